//! `scan --format html` through the real binary against the emulator: one
//! self-contained page whose every section and count is the JSON report's
//! of the same account, hostile names shown as text, and the page rendered
//! by headless Chromium (installed by `make test`, as the emulator is).

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{Emulator, emulator_with_ledger, key_aged, notifier, owned_user, stdout_of};
use serde_json::{Value, json};

/// Names a person could not give an IAM user, given to the emulator's:
/// markup, quotes, a spreadsheet formula.
const SCRIPT_NAME: &str = "<script>document.title='pwned'</script>";
const QUOTED_NAME: &str = "\"quoted\" o'neil";
const FORMULA_NAME: &str = "=1+2";

/// The notice ledger, which unused keys need.
const TABLE: &str = "html-report-ledger";

/// The account: keys overdue, due soon, unused, exempt, without an owner
/// tag, hostile names among them, young keys, and an active root key.
fn seed(emu: &mut Emulator) {
    for (name, ages) in [("alice", &[100][..]), ("bob", &[95, 80]), ("carol", &[78])] {
        emu.create_user(owned_user(name, ages));
    }
    for i in 0..6 {
        emu.create_user(owned_user(&format!("young-{i}"), &[i * 9]));
    }
    emu.create_user(
        json!({"name": SCRIPT_NAME, "user_id": "AIDA0000000000SCRIPT",
                           "keys": [key_aged(120)]}),
    );
    emu.create_user(
        json!({"name": QUOTED_NAME, "user_id": "AIDA0000000000QUOTED",
                           "tags": {"Email": "not an address"}, "keys": [key_aged(81)]}),
    );
    emu.create_user(
        json!({"name": FORMULA_NAME, "user_id": "AIDA00000000FORMULA",
                           "tags": {"KeyRotationExempt": "true"}, "keys": [key_aged(200)]}),
    );
    let idle = common::rfc3339(chrono::Utc::now() - chrono::Duration::days(65));
    emu.create_user(json!({"name": "idle-etl", "user_id": "AIDA000000000IDLEETL",
                           "tags": {"Email": "etl@example.com"},
                           "keys": [{"created": common::rfc3339(chrono::Utc::now() - chrono::Duration::days(70)),
                                     "last_used": {"time": idle, "service": "s3", "region": "us-east-1"}}]}));
    emu.call(json!({"op": "credential_report", "root_key_active": true}));
}

fn scan(emu: &Emulator, format: &str) -> String {
    let mut cmd = notifier(
        env!("CARGO_BIN_EXE_access-key-notifier"),
        Some(&emu.endpoint),
    );
    cmd.env_remove("SENDER_ADDRESS")
        .env("EXEMPT_TAG", "KeyRotationExempt")
        .env("UNUSED_KEY_DAYS", "60")
        .env("LEDGER_TABLE", TABLE)
        .args(["scan", "--format", format]);
    stdout_of(&mut cmd, &format!("scan --format {format}"))
}

/// The text of the element that starts at `open` (up to its `close`).
fn element<'a>(html: &'a str, open: &str, close: &str) -> &'a str {
    let start = html
        .find(open)
        .unwrap_or_else(|| panic!("no {open} in the page"));
    let end = html[start..].find(close).unwrap() + start;
    &html[start..end]
}

/// The first cell of each body row of a section's table: its users, in the
/// page's order.
fn users_of(section: &str) -> Vec<String> {
    let Some(body) = section.split("<tbody>").nth(1) else {
        return Vec::new();
    };
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            let cell = row.split("<td class=\"user\">").nth(1).unwrap();
            unescape(&cell[..cell.find("</td>").unwrap()])
        })
        .collect()
}

/// HTML's character references undone: the named ones askama writes and
/// any decimal one (askama writes `<` as `&#60;`).
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(';').expect("a reference ends with ;");
        let name = &tail[1..end];
        out.push(match name {
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "amp" => '&',
            _ => name
                .strip_prefix('#')
                .and_then(|n| n.parse::<u32>().ok())
                .and_then(char::from_u32)
                .unwrap_or_else(|| panic!("unknown reference &{name};")),
        });
        rest = &tail[end + 1..];
    }
    out + rest
}

/// The number written right after the first `after` in `html`.
fn number(html: &str, after: &str) -> usize {
    let at = html
        .find(after)
        .unwrap_or_else(|| panic!("no {after} in {html}"))
        + after.len();
    let digits: String = html[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap()
}

#[tokio::test]
async fn the_html_report_is_one_page_with_the_json_report_s_sections_and_counts() {
    let mut emu = emulator_with_ledger(TABLE).await;
    seed(&mut emu);
    let html = scan(&emu, "html");
    let json: Value = serde_json::from_str(&scan(&emu, "json")).unwrap();

    // One file, nothing fetched: no script, link, image, frame, import or URL.
    for external in [
        "<script", "<link", "<img", "<iframe", "<object", "<embed", " src=", " href=", "url(",
        "@import", "http:", "https:", "//",
    ] {
        let found = html.to_lowercase().find(external);
        assert!(
            found.is_none(),
            "the page refers to something outside it ({external}): …{}…",
            &html[found.unwrap().saturating_sub(80)..(found.unwrap() + 80).min(html.len())]
        );
    }

    // Every section is the JSON report's: the same users in the same order.
    for section in ["overdue", "within_tier", "unused", "exempt"] {
        let part = element(&html, &format!("<section id=\"{section}\""), "</section>");
        let want: Vec<String> = json[section]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["user"].as_str().unwrap().to_string())
            .collect();
        assert!(
            !want.is_empty(),
            "the account has keys in {section}: {json:#}"
        );
        assert_eq!(number(part, "data-count=\""), want.len(), "{section}");
        assert_eq!(users_of(part), want, "{section}");
    }
    let problems = element(&html, "<section id=\"owner_problems\"", "</section>");
    let want: Vec<String> = json["owner_problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["user"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(users_of(problems), want);
    assert_eq!(json["summary"]["root_access_key_active"], true);
    assert!(html.contains("data-section=\"root_access_key_active\""));

    // The tiles are the JSON report's counts.
    for (tile, count) in [
        ("overdue", json["overdue"].as_array().unwrap().len()),
        ("due soon", json["within_tier"].as_array().unwrap().len()),
        ("unused", json["unused"].as_array().unwrap().len()),
        ("exempt", json["exempt"].as_array().unwrap().len()),
        (
            "owner tag problems",
            json["owner_problems"].as_array().unwrap().len(),
        ),
        (
            "users",
            json["summary"]["users"]["listed"].as_u64().unwrap() as usize,
        ),
        (
            "active keys",
            json["key_ages"]["keys"].as_u64().unwrap() as usize,
        ),
    ] {
        let tile = element(&html, &format!("data-tile=\"{tile}\""), "</div>");
        assert_eq!(number(tile, "<b>").to_string(), count.to_string(), "{tile}");
    }

    // The chart: every active key of the account, band by band as in JSON.
    let ages = &json["key_ages"];
    assert_eq!(ages["keys"], 14, "every active key, read or settled");
    let chart = element(&html, "<figure id=\"ages\"", "</figure>");
    let bands: Vec<usize> = chart
        .split("<g data-band=")
        .skip(1)
        .map(|g| number(g, "data-keys=\""))
        .collect();
    let want: Vec<usize> = ages["bands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["keys"].as_u64().unwrap() as usize)
        .collect();
    assert_eq!(bands, want);
    assert!(chart.contains("deadline 90 d"));
    assert!(chart.contains("14 d before") && chart.contains("7 d before"));

    // Hostile names are text: escaped, never markup.
    assert!(unescape(&html).contains(SCRIPT_NAME));
    assert!(!html.contains(SCRIPT_NAME));
    assert!(!html.contains(QUOTED_NAME));
    assert!(html.contains(">=1+2</td>"));
    // Key ids are masked.
    for k in json["overdue"].as_array().unwrap() {
        let id = k["access_key_id"].as_str().unwrap();
        assert!(id.contains('…') && html.contains(id));
    }

    // Chromium renders it: the page's title unchanged (no script ran), the
    // hostile names as text in the document, and a screenshot.
    let dir = tempdir();
    let page = dir.join("report.html");
    std::fs::write(&page, &html).unwrap();
    let dom = chromium(&dir, &["--dump-dom"], &page);
    assert!(dom.contains("<title>IAM access keys · account 123456789012"));
    assert!(!dom.contains("pwned</title>"));
    assert!(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"));
    assert!(dom.contains("\"quoted\" o'neil"));
    assert_eq!(
        users_of(element(&dom, "<section id=\"overdue\"", "</section>")).len(),
        3
    );
    let shot = dir.join("report.png");
    chromium(
        &dir,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1160,1400",
        ],
        &page,
    );
    let png = std::fs::read(&shot).expect("Chromium wrote the screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "{} bytes",
        png.len()
    );
}

/// A fresh directory under the target's temporary directory.
fn tempdir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("html-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Headless Chromium over `page` with `args`; its stdout. Chromium is
/// Debian's, installed by `make test` (`AKN_CHROMIUM`, else
/// `/usr/bin/chromium`); started with the flags this machine's closed
/// network needs and a fresh profile.
fn chromium(dir: &std::path::Path, args: &[&str], page: &std::path::Path) -> String {
    let binary = std::env::var_os("AKN_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        binary.exists(),
        "{} is missing: `make test` installs it (apt-get install chromium), or set AKN_CHROMIUM",
        binary.display()
    );
    let profile = dir.join(format!("profile-{}", args.len()));
    let mut cmd = Command::new(&binary);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(args)
    .arg(format!("file://{}", page.display()));
    stdout_of(&mut cmd, "chromium")
}
