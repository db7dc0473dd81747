//! Writes an owner notice, a digest and `scan --format html`'s page,
//! rendered by the real templates, and the sweep's chat summary laid out as a Slack client shows its markdown,
//! as HTML files for `make pictures` (which screenshots them with headless
//! Chromium for the README).
//!
//! A sweep over the in-memory adapters at a fixed date: the same code path
//! the deployed function runs, with made-up users.
//!
//! Usage: cargo run --example render_samples -- OUTPUT_DIR

use access_key_notifier::clock::FixedClock;
use access_key_notifier::config::Config;
use access_key_notifier::flow::sweep::{Run, run};
use access_key_notifier::flow::{Deps, Invocation};
use access_key_notifier::model::AccessKey;
use access_key_notifier::model::LastUsed;
use access_key_notifier::ports::MemoryPorts;
use access_key_notifier::ports::exemptions::Exemptions;
use access_key_notifier::ports::memory::accounts::MemoryAccounts;
use access_key_notifier::ports::memory::channel::MemoryChat;
use access_key_notifier::ports::memory::ledger::MemoryLedger;
use access_key_notifier::ports::memory::mailer::MemoryMailer;
use chrono::{Duration, TimeZone, Utc};

/// A sample user: name, tags, keys.
type Sample = (
    &'static str,
    &'static [(&'static str, &'static str)],
    Vec<(AccessKey, LastUsed)>,
);

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let out = std::env::args()
        .nth(1)
        .expect("usage: render_samples OUTPUT_DIR");
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 0, 30, 0).unwrap();
    let vars = [
        ("SENDER_ADDRESS", "key-notices@example.com"),
        ("CC_RECIPIENTS", "security@example.com"),
        ("DIGEST_RECIPIENTS", "security-lead@example.com"),
        ("EXEMPT_TAG", "KeyRotationExempt"),
        ("TIME_ZONE", "Asia/Tokyo"),
        ("UNUSED_KEY_DAYS", "45"),
        ("LEDGER_TABLE", "samples"),
        ("SECURITY_HUB", "true"),
        (
            "CHAT_TOPIC_ARN",
            "arn:aws:sns:ap-northeast-1:123456789012:access-key-notifier-chat",
        ),
    ];
    let config = Config::from_lookup(|k| {
        vars.iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v.to_string())
    })
    .expect("a valid configuration");
    let deps: Deps<MemoryPorts> = Deps {
        config,
        accounts: MemoryAccounts::new(),
        mailer: MemoryMailer::new(),
        ledger: Some(MemoryLedger::new()),
        clock: FixedClock::at(now),
        exemptions: Exemptions::new(None),
        queue: None,
        chat: Some(MemoryChat::new()),
    };
    // A key `age` days old, last used `idle` days ago by `service`.
    let used = |id: &str, age: i64, idle: i64, service: &str| {
        (
            AccessKey {
                id: id.into(),
                active: true,
                created: now - Duration::days(age) - Duration::hours(5),
                last_used: None,
            },
            LastUsed {
                time: Some(now - Duration::days(idle)),
                service: Some(service.into()),
                region: Some("ap-northeast-1".into()),
            },
        )
    };
    let key = |id: &str, age: i64, service: &str| used(id, age, 1, service);
    let users: [Sample; 7] = [
        (
            "deploy-bot",
            &[("Email", "platform@example.com")],
            vec![
                key("AKIA2DEPLOYBOT0KEY85", 85, "s3"),
                used("AKIA2DEPLOYBOT0KEY78", 78, 52, "ecr"),
            ],
        ),
        (
            "frank",
            &[("Email", "frank@example.com")],
            vec![used("AKIA2FRANK0000KEY060", 60, 48, "sts")],
        ),
        (
            "heidi",
            &[("Email", "heidi@example.com")],
            vec![key("AKIA2HEIDI00000K100", 100, "sqs")],
        ),
        (
            "dave",
            &[("Email", "dave@example.com")],
            vec![key("AKIA2DAVE000000KEY95", 95, "dynamodb")],
        ),
        (
            "erin-ci",
            &[],
            vec![key("AKIA2ERINCI0000KEY80", 80, "codebuild")],
        ),
        (
            "legacy-etl",
            &[("KeyRotationExempt", "true")],
            vec![key("AKIA2LEGACYETL0K0400", 400, "glue")],
        ),
        (
            "grace",
            &[("Email", "grace@example.com")],
            vec![key("AKIA2GRACE0000KEY079", 79, "lambda")],
        ),
    ];
    for (i, (name, tags, keys)) in users.into_iter().enumerate() {
        let id = format!("AIDA2SAMPLE{i:010}");
        deps.accounts.add_user(&id, name, tags, keys);
    }
    // Keys rotated on time, for the HTML report's age chart.
    for i in 0..36_i64 {
        let name = format!("svc-{i:02}");
        let id = format!("AIDA2FILLER{i:010}");
        let age = (i * 13) % 75;
        let key = key(&format!("AKIA2FILLER{i:05}KEY0"), age, "s3");
        deps.accounts
            .add_user(&id, &name, &[("Email", "platform@example.com")], vec![key]);
    }
    let outcome = run(
        &deps,
        &Invocation::local(),
        Some("123456789012".into()),
        Run::Sweep,
    )
    .await
    .expect("the sample sweep runs");
    assert_eq!(
        outcome.digest.as_ref().map(|d| d.status),
        Some(access_key_notifier::outcome::MailStatus::Sent)
    );
    let sent = deps.mailer.sent();
    let notice = sent
        .iter()
        .find(|m| {
            m.to.first()
                .is_some_and(|a| a.as_str() == "platform@example.com")
        })
        .expect("deploy-bot's notice");
    let digest = sent.last().expect("the digest");
    std::fs::write(format!("{out}/notice.html"), &notice.html).expect("writable");
    std::fs::write(format!("{out}/digest.html"), &digest.html).expect("writable");
    let chat = deps
        .chat
        .as_ref()
        .map(MemoryChat::published)
        .unwrap_or_default();
    let summary: serde_json::Value =
        serde_json::from_str(chat.first().expect("the chat summary")).expect("JSON");
    std::fs::write(format!("{out}/chat.html"), slack_like(&summary)).expect("writable");
    let findings: Vec<serde_json::Value> = deps
        .accounts
        .findings_of("123456789012")
        .all()
        .values()
        .map(|f| serde_json::to_value(f).expect("JSON"))
        .collect();
    std::fs::write(format!("{out}/finding.html"), console_like(&findings)).expect("writable");
    // `scan --format html` over the same account, the day after.
    let scan = run(
        &deps,
        &Invocation::local(),
        Some("123456789012".into()),
        Run::ReadOnly { full: true },
    )
    .await
    .expect("the sample scan runs");
    let report = scan.report.as_ref().expect("the scan's report");
    let page = access_key_notifier::cli::scan_text(
        access_key_notifier::cli::Format::Html,
        &scan,
        report,
        &deps.config,
    );
    std::fs::write(format!("{out}/report.html"), page).expect("writable");
    println!(
        "wrote {out}/notice.html, {out}/digest.html, {out}/chat.html, {out}/finding.html and {out}/report.html"
    );
}

/// The findings as Security Hub's console lists them (severity, title,
/// resource, updated), the most severe first, and the first one's details
/// beside: laid out from the findings' real JSON, for the picture only.
fn console_like(findings: &[serde_json::Value]) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let text = |v: &serde_json::Value| escape(v.as_str().unwrap_or_default());
    let rank = |f: &serde_json::Value| match f["Severity"]["Label"].as_str() {
        Some("CRITICAL") => 0,
        Some("HIGH") => 1,
        Some("MEDIUM") => 2,
        Some("LOW") => 3,
        _ => 4,
    };
    let colour = |label: &str| match label {
        "CRITICAL" => "#7d2105",
        "HIGH" => "#d13212",
        "MEDIUM" => "#ec7211",
        "LOW" => "#1d8102",
        _ => "#545b64",
    };
    let mut sorted: Vec<&serde_json::Value> = findings.iter().collect();
    sorted.sort_by_key(|f| rank(f));
    let rows: String = sorted
        .iter()
        .map(|f| {
            let label = f["Severity"]["Label"].as_str().unwrap_or_default();
            format!(
                "<tr><td><span class=sev style=\"background:{}\">{label}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                colour(label),
                text(&f["Title"]),
                text(&f["Resources"][0]["Id"]),
                text(&f["Compliance"]["Status"]),
                text(&f["UpdatedAt"]),
            )
        })
        .collect();
    let first = sorted.first().copied().cloned().unwrap_or_default();
    let detail = escape(&serde_json::to_string_pretty(&first).unwrap_or_default());
    format!(
        "<!doctype html><meta charset=utf-8><style>body{{font:13px 'Amazon Ember',Arial,sans-serif;margin:0;color:#16191f;background:#f2f3f3}}\
header{{background:#232f3e;color:#fff;padding:10px 16px;font-weight:bold}}main{{padding:12px 16px}}\
h2{{font-size:16px;margin:4px 0 10px}}table{{border-collapse:collapse;width:100%;background:#fff}}\
th,td{{text-align:left;padding:7px 8px;border-bottom:1px solid #eaeded;vertical-align:top}}th{{background:#fafafa}}\
.sev{{color:#fff;border-radius:2px;padding:1px 6px;font-size:11px;font-weight:bold}}\
pre{{background:#fff;border:1px solid #eaeded;padding:10px;font-size:11px;white-space:pre-wrap}}</style>\
<header>Security Hub &rsaquo; Findings</header><main><h2>Findings ({n}) &middot; GeneratorId = access-key-notifier</h2>\
<table><tr><th>Severity</th><th>Title</th><th>Resource</th><th>Compliance status</th><th>Updated at</th></tr>{rows}</table>\
<h2 style=\"margin-top:14px\">Finding JSON (the most severe)</h2><pre>{detail}</pre></main>",
        n = findings.len()
    )
}

/// The message as a Slack client lays out a custom notification: the
/// title in bold, the description's markdown (`*bold*`, `` `code` ``,
/// emoji short codes, line breaks), the next steps as a list. Written here,
/// for the picture only: the few markdown forms the messages use.
fn slack_like(m: &serde_json::Value) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let markdown = |s: &str| {
        let mut out = String::new();
        let (mut bold, mut code) = (false, false);
        for c in escape(s)
            .replace(":key:", "🔑")
            .replace(":warning:", "⚠️")
            .replace(":no_entry:", "⛔")
            .replace(":hourglass:", "⏳")
            .replace(":octagonal_sign:", "🛑")
            .chars()
        {
            match c {
                '`' => {
                    out.push_str(if code { "</code>" } else { "<code>" });
                    code = !code;
                }
                '*' if !code => {
                    out.push_str(if bold { "</b>" } else { "<b>" });
                    bold = !bold;
                }
                '\n' => out.push_str("<br>"),
                c => out.push(c),
            }
        }
        out
    };
    let content = &m["content"];
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let steps: String = content["nextSteps"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| format!("<li>{}</li>", markdown(&text(s))))
                .collect()
        })
        .unwrap_or_default();
    format!(
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body {{ margin: 0; padding: 24px; background: #fff; font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; font-size: 15px; line-height: 1.46668; color: #1d1c1d; }}
.msg {{ display: flex; gap: 10px; max-width: 780px; }}
.avatar {{ width: 36px; height: 36px; border-radius: 6px; background: #232f3e; color: #fff; font-weight: bold; display: flex; align-items: center; justify-content: center; }}
.who {{ font-weight: 900; }} .app {{ font-size: 11px; background: #e8e8e8; border-radius: 3px; padding: 1px 3px; margin-left: 4px; color: #616061; }} .time {{ color: #616061; font-size: 12px; margin-left: 6px; }}
.card {{ border-left: 4px solid #d97706; padding: 2px 0 2px 12px; margin-top: 4px; }}
code {{ font-family: Monaco, Menlo, Consolas, monospace; font-size: 12px; color: #e01e5a; background: #f6f6f6; border: 1px solid #e2e2e2; border-radius: 3px; padding: 1px 3px; white-space: nowrap; }}
ul {{ margin: 6px 0 0; padding-left: 20px; }} .thread {{ color: #1264a3; font-size: 13px; margin-top: 6px; }}
</style></head><body><div class="msg"><div class="avatar">Q</div><div>
<div><span class="who">Amazon Q</span><span class="app">APP</span><span class="time">09:00</span></div>
<div class="card"><div><b>{title}</b></div><div>{description}</div><div style="margin-top:6px;"><b>Next steps</b><ul>{steps}</ul></div></div>
<div class="thread">Thread {thread}</div>
</div></div></body></html>"#,
        title = markdown(&text(&content["title"])),
        description = markdown(&text(&content["description"])),
        thread = escape(&text(&m["metadata"]["threadId"])),
    )
}
