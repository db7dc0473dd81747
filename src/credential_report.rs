//! The IAM credential report, read: one CSV row per user (and one for the
//! account's root, `<root_account>`), with each of a user's two access
//! key slots' state, last rotation and last use.
//!
//! Pure: the caller passes the report's bytes and `GeneratedTime`. The
//! columns are found by their header name, so a reordered or widened
//! report reads the same; the CSV is read with the `csv` crate (quoting,
//! line ends), never by splitting lines.
//!
//! What IAM writes, relied on here (IAM User Guide, "Getting credential
//! reports for your AWS account", the report's format):
//!
//! - dates are ISO 8601 with an offset (`2026-11-23T09:00:00+00:00`);
//! - `access_key_N_active` is `true` or `false`;
//! - a slot without a key has `N/A` in its date columns; a key never used
//!   has `N/A` as its last-used date (region and service `N/A` too);
//! - `no_information` and `not_supported` mean IAM does not know.
//!
//! - every report starts with the `<root_account>` row, right after the
//!   header, and a user's row is written whole or not at all.
//!
//! A report is refused (a damaged answer: the sweep then lists every user)
//! when it is older than [`MAX_AGE`] at `now` (GenerateCredentialReport
//! hands back an existing report only while it is at most four hours old,
//! so an older one means the answer is not what was asked for), when its
//! first row is not the root's (a header alone, or a report cut before its
//! start), and when it holds more than [`MAX_ROWS`] rows. A report cut at
//! a row boundary after the root's row reads like a whole one; the sweep
//! tells it by the users the listing names and the report does not
//! (`flow::targets`).
//!
//! # The report's size
//!
//! The report is one answer, read whole (IAM has no paging for it), so its
//! size bounds the function's memory. [`MAX_ROWS`] rows of at most
//! [`MAX_ROW_BYTES`] bytes each are [`MAX_CSV_BYTES`] of CSV, and the
//! answer that carries them base64-encoded inside IAM's XML is at most
//! [`MAX_ANSWER_BYTES`]: the one answer allowed beyond the 4 MiB of every
//! other (`aws::answers`). Reading it takes about three times its size in
//! memory (the body, the decoded CSV, the rows), well within the
//! function's 128 MB.

use chrono::{DateTime, Duration, Utc};

use crate::decision::{self, Policy};
use crate::model::{AccessKey, ConsolePassword, LastUsed, PasswordPolicy};

/// The root account's row.
pub(crate) const ROOT_ROW: &str = "<root_account>";

/// How old a report may be when it is read: IAM's four hours of reuse and
/// an hour's margin for a report read late in an invocation.
pub(crate) const MAX_AGE: Duration = Duration::hours(5);

/// Rows read at most: twice IAM's default quota of 5,000 users per
/// account. An account with more is swept through its listing (which
/// allows ten times the quota, `aws::iam::MAX_LISTED_USERS`): no user is
/// missed, the sweep only reads more.
pub(crate) const MAX_ROWS: usize = 10_000;

/// The longest row IAM can write, from its own limits (IAM User Guide,
/// "IAM object quotas", and the report's format), column by column: the
/// user name, at most 64 characters, quoted (66); the ARN,
/// `arn:aws-us-gov:iam::` (20), the account (12), `:user` (5), a path of
/// at most 512 and the name, quoted (615); ten dates of 25 characters
/// (`2026-11-23T09:00:00+00:00`: the user's creation, the password's
/// three, two per key slot, one per certificate); the password's and
/// MFA's state (13 and 5); per key slot its state (5), a region (14) and
/// a service name (at most 64); the certificates' states (5 each); 21
/// commas and a line end (2). That sums to 1,148; the bound rounds it up.
pub(crate) const MAX_ROW_BYTES: usize = 1_536;

/// The most CSV a report may hold: [`MAX_ROWS`] rows of
/// [`MAX_ROW_BYTES`], and the header.
pub(crate) const MAX_CSV_BYTES: usize = (MAX_ROWS + 1) * MAX_ROW_BYTES;

/// The largest GetCredentialReport answer read: [`MAX_CSV_BYTES`] in
/// base64 (four bytes for every three) and 4 KiB for the XML around it.
pub const MAX_ANSWER_BYTES: usize = MAX_CSV_BYTES.div_ceil(3) * 4 + 4_096;

/// One access key slot of a row, when it holds a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportKey {
    pub active: bool,
    /// When the key was created (IAM's "last rotated").
    pub last_rotated: DateTime<Utc>,
    /// `None` when IAM has no information (`no_information`); a key never
    /// used has a [`LastUsed`] without a time.
    pub last_used: Option<LastUsed>,
}

/// One user's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportUser {
    pub name: String,
    pub arn: String,
    /// The two key slots, in the report's order.
    pub keys: Vec<ReportKey>,
    /// The console password, when the user has one (`password_enabled`).
    pub password: Option<ConsolePassword>,
}

/// The report, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialReport {
    pub generated: DateTime<Utc>,
    pub users: Vec<ReportUser>,
    /// The root account has an active access key (its own finding: never
    /// mailed, never enforced).
    pub root_key_active: bool,
}

impl ReportUser {
    /// The row's keys as the decision reads keys (the report has no key
    /// ids: each is named by its slot).
    pub fn access_keys(&self) -> Vec<AccessKey> {
        self.keys
            .iter()
            .enumerate()
            .map(|(slot, k)| AccessKey {
                id: format!("access_key_{}", slot + 1),
                active: k.active,
                created: k.last_rotated,
                last_used: k.last_used.clone(),
            })
            .collect()
    }
}

/// The users a report-driven sweep reads afresh: those whose row shows an
/// active key that is due or unused at `now` (decision rules 2, 3 and
/// 12), or a console password that is listed (the password rules, under
/// the account's password policy `account`). The others have nothing the
/// sweep could mail or enforce about.
pub fn candidates<'a>(
    policy: &Policy,
    account: Option<&PasswordPolicy>,
    report: &'a CredentialReport,
    now: DateTime<Utc>,
) -> Vec<&'a ReportUser> {
    report
        .users
        .iter()
        .filter(|u| {
            !decision::due_keys(policy, &u.access_keys(), now).is_empty()
                || u.password.as_ref().is_some_and(|p| {
                    crate::password::due_password(policy, account, "", p, now).is_some()
                })
        })
        .collect()
}

const COLUMNS: [&str; 2] = ["user", "arn"];

/// Reads `content`, generated at `generated`, as seen at `now`. The error
/// says what is wrong in words (a column, a row, the age), never quoting a
/// cell beyond its column's name.
pub fn parse(
    content: &[u8],
    generated: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<CredentialReport, String> {
    if now - generated > MAX_AGE {
        return Err(format!(
            "the credential report was generated at {generated}, more than {} hours before now",
            MAX_AGE.num_hours()
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(content);
    let headers = reader
        .headers()
        .map_err(|e| format!("the credential report's header is unreadable: {e}"))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("the credential report has no column {name}"))
    };
    let [user, arn] = COLUMNS.map(column);
    let (user, arn) = (user?, arn?);
    let password_columns = [
        column("password_enabled")?,
        column("password_last_used")?,
        column("password_last_changed")?,
        column("password_next_rotation")?,
    ];
    let mut slots = Vec::new();
    for n in 1..=2 {
        let col = |what: &str| column(&format!("access_key_{n}_{what}"));
        slots.push([
            col("active")?,
            col("last_rotated")?,
            col("last_used_date")?,
            col("last_used_region")?,
            col("last_used_service")?,
        ]);
    }

    if content.len() > MAX_CSV_BYTES {
        return Err(format!(
            "the credential report is larger than {MAX_CSV_BYTES} bytes ({MAX_ROWS} rows of {MAX_ROW_BYTES})"
        ));
    }
    let mut report = CredentialReport {
        generated,
        users: Vec::new(),
        root_key_active: false,
    };
    let mut root_seen = false;
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        if i >= MAX_ROWS {
            return Err(format!(
                "the credential report has more than {MAX_ROWS} rows"
            ));
        }
        let record =
            record.map_err(|e| format!("the credential report's row {row} is unreadable: {e}"))?;
        let cell = |c: usize| record.get(c).unwrap_or_default();
        let mut keys = Vec::new();
        for [active, rotated, used, region, service] in &slots {
            let active = match cell(*active) {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(format!(
                        "row {row}: an access key's active column is neither true nor false"
                    ));
                }
            };
            let Some(last_rotated) = date(cell(*rotated)) else {
                if active {
                    return Err(format!(
                        "row {row}: an active access key without a readable last_rotated date"
                    ));
                }
                continue;
            };
            // `N/A`: never used; a date: used then; anything else
            // (`no_information`): IAM does not say.
            let last_used = match cell(*used) {
                "N/A" => Some(None),
                used => date(used).map(Some),
            }
            .map(|time| LastUsed {
                time,
                region: known(cell(*region)),
                service: known(cell(*service)),
            });
            keys.push(ReportKey {
                active,
                last_rotated,
                last_used,
            });
        }
        let name = cell(user);
        // IAM writes the root's row first: a report that starts with
        // another row was cut before its start (or is not IAM's).
        if i == 0 && name != ROOT_ROW {
            return Err(format!(
                "row {row}: the credential report does not start with the {ROOT_ROW} row, which IAM writes first: the report is cut"
            ));
        }
        if name == ROOT_ROW {
            if root_seen {
                return Err(format!("row {row}: a second {ROOT_ROW} row"));
            }
            root_seen = true;
            report.root_key_active = keys.iter().any(|k| k.active);
            continue;
        }
        if name.is_empty() {
            return Err(format!("row {row} names no user"));
        }
        let [enabled, used, changed, next] = password_columns.map(cell);
        let password = match enabled {
            "false" => None,
            // A password never used reads `no_information` (or, before
            // IAM tracked it, has no date): never used, by IAM's record.
            "true" => Some(ConsolePassword {
                last_used: LastUsed {
                    time: date(used),
                    ..LastUsed::default()
                },
                last_changed: date(changed),
                next_rotation: date(next),
            }),
            _ => {
                return Err(format!(
                    "row {row}: password_enabled is neither true nor false"
                ));
            }
        };
        report.users.push(ReportUser {
            name: name.to_string(),
            arn: cell(arn).to_string(),
            keys,
            password,
        });
    }
    if !root_seen {
        return Err(format!(
            "the credential report holds no {ROOT_ROW} row, which IAM writes first: the report is cut (a header alone)"
        ));
    }
    Ok(report)
}

/// A date cell; `None` for `N/A`, `no_information`, `not_supported` and
/// anything else that is not a date.
fn date(cell: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(cell)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A region or service cell, unless IAM does not know it.
fn known(cell: &str) -> Option<String> {
    match cell {
        "" | "N/A" | "no_information" | "not_supported" => None,
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
    }

    fn report(rows: &[&str]) -> Vec<u8> {
        let mut text = format!("{HEADER}\n");
        for r in rows {
            text.push_str(r);
            text.push('\n');
        }
        text.into_bytes()
    }

    #[test]
    fn reads_each_slot_its_use_and_the_root_row_apart() {
        let content = report(&[
            "<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,2026-11-01T00:00:00+00:00,not_supported,not_supported,true,true,2021-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
            "alice,arn:aws:iam::123456789012:user/alice,2025-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2026-08-25T09:00:00+00:00,2026-11-22T10:00:00+00:00,us-east-1,s3,false,2026-01-02T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A",
            "\"ops,ci\",arn:aws:iam::123456789012:user/ops-ci,2025-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
            "old,arn:aws:iam::123456789012:user/old,2014-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2014-01-01T00:00:00+00:00,no_information,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
        ]);
        let r = parse(&content, now(), now()).unwrap();
        assert!(r.root_key_active);
        assert_eq!(r.users.len(), 3, "the root row is no user");
        let alice = &r.users[0];
        assert_eq!(alice.keys.len(), 2);
        assert!(alice.keys[0].active && !alice.keys[1].active);
        assert_eq!(
            alice.keys[0].last_rotated,
            Utc.with_ymd_and_hms(2026, 8, 25, 9, 0, 0).unwrap()
        );
        let used = alice.keys[0].last_used.as_ref().unwrap();
        assert_eq!(used.service.as_deref(), Some("s3"));
        assert_eq!(
            used.time,
            Some(Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap())
        );
        assert_eq!(
            alice.keys[1].last_used,
            Some(LastUsed::default()),
            "never used"
        );
        assert_eq!(r.users[1].name, "ops,ci", "a quoted name with a comma");
        assert!(r.users[1].keys.is_empty());
        assert_eq!(
            r.users[2].keys[0].last_used, None,
            "no_information: IAM does not say"
        );
    }

    #[test]
    fn the_candidates_are_the_users_with_an_active_due_key() {
        let policy = crate::config::Config::from_lookup(|k| {
            (k == "SENDER_ADDRESS").then(|| "n@example.com".into())
        })
        .unwrap()
        .policy;
        let key = |active, age: i64| ReportKey {
            active,
            last_rotated: now() - Duration::days(age),
            last_used: Some(LastUsed::default()),
        };
        let user = |name: &str, keys| ReportUser {
            name: name.into(),
            arn: String::new(),
            keys,
            password: None,
        };
        let report = CredentialReport {
            generated: now(),
            users: vec![
                user("due", vec![key(true, 80)]),
                user("second-key-due", vec![key(true, 10), key(true, 120)]),
                user("inactive", vec![key(false, 120)]),
                user("fresh", vec![key(true, 10)]),
                user("none", vec![]),
            ],
            root_key_active: false,
        };
        let names: Vec<&str> = candidates(&policy, None, &report, now())
            .iter()
            .map(|u| u.name.as_str())
            .collect();
        assert_eq!(names, ["due", "second-key-due"]);

        // With the unused-key policy on, a young key never used for as
        // long is a candidate too; one IAM says nothing about is not.
        let unused = Policy {
            unused_key_days: 5,
            ..policy
        };
        let mut unknown = key(true, 10);
        unknown.last_used = None;
        let report = CredentialReport {
            users: vec![
                user("fresh", vec![key(true, 3)]),
                user("idle", vec![key(true, 10)]),
                user("unknown", vec![unknown]),
            ],
            ..report
        };
        let names: Vec<&str> = candidates(&unused, None, &report, now())
            .iter()
            .map(|u| u.name.as_str())
            .collect();
        assert_eq!(names, ["idle"]);
    }

    /// The root's row as IAM writes it, first after the header.
    const ROOT: &str = "<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,no_information,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A";

    fn row(name: &str) -> String {
        format!(
            "{name},arn:aws:iam::123456789012:user/{name},2025-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2026-08-25T09:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
        )
    }

    #[test]
    fn a_report_that_does_not_start_with_the_root_row_is_cut() {
        // A header alone (the report cut after its first line).
        let header_only = report(&[]);
        let e = parse(&header_only, now(), now()).unwrap_err();
        assert!(e.contains("holds no <root_account> row"), "{e}");
        // Users without the root's row before them: cut before its start.
        let alice = row("alice");
        let e = parse(&report(&[&alice]), now(), now()).unwrap_err();
        assert!(e.contains("row 2") && e.contains("does not start"), "{e}");
        let e = parse(&report(&[&alice, ROOT]), now(), now()).unwrap_err();
        assert!(e.contains("does not start"), "{e}");
        // Two root rows are no report IAM writes.
        let e = parse(&report(&[ROOT, &alice, ROOT]), now(), now()).unwrap_err();
        assert!(e.contains("row 4") && e.contains("second"), "{e}");
        // The root's row alone is a whole report of an account without users.
        let r = parse(&report(&[ROOT]), now(), now()).unwrap();
        assert!(r.users.is_empty() && !r.root_key_active);
        assert_eq!(
            parse(&report(&[ROOT, &alice]), now(), now())
                .unwrap()
                .users
                .len(),
            1
        );
    }

    #[test]
    fn the_report_s_bounds_follow_from_its_rows_and_hold_a_real_one() {
        // The longest row IAM writes: a 64-character name under a 512-character path.
        let name = "n".repeat(64);
        let path = format!("/{}/", "p".repeat(510));
        let longest = format!(
            "{name},arn:aws-us-gov:iam::123456789012:user{path}{name},2025-01-01T00:00:00+00:00,not_supported,2026-11-01T00:00:00+00:00,2026-11-01T00:00:00+00:00,2026-11-01T00:00:00+00:00,false,true,2026-08-25T09:00:00+00:00,2026-11-22T10:00:00+00:00,ap-southeast-2,{service},true,2026-08-25T09:00:00+00:00,2026-11-22T10:00:00+00:00,ap-southeast-2,{service},false,2026-08-25T09:00:00+00:00,false,2026-08-25T09:00:00+00:00\r\n",
            service = "s".repeat(64)
        );
        assert!(longest.len() <= MAX_ROW_BYTES, "{}", longest.len());
        // 5,000 such users (IAM's quota) fit, with room to spare, in
        // both the CSV bound and the answer bound derived from it.
        let csv = 5_000 * longest.len();
        assert!(csv < MAX_CSV_BYTES / 2);
        assert!(csv.div_ceil(3) * 4 < MAX_ANSWER_BYTES);
        // A report beyond the bound is refused before it is read.
        let mut big = report(&[ROOT]);
        big.resize(MAX_CSV_BYTES + 1, b'\n');
        let e = parse(&big, now(), now()).unwrap_err();
        assert!(e.contains("larger than"), "{e}");
    }

    #[test]
    fn a_report_older_than_the_bound_or_damaged_is_refused_in_words() {
        let content = report(&[ROOT]);
        let old = now() - MAX_AGE - Duration::seconds(1);
        assert!(
            parse(&content, old, now())
                .unwrap_err()
                .contains("more than 5 hours")
        );
        assert!(parse(&content, now() - MAX_AGE, now()).is_ok());
        let no_column = b"user,arn\nalice,arn\n";
        assert!(
            parse(no_column, now(), now())
                .unwrap_err()
                .contains("no column password_enabled")
        );
        let bad = report(&[
            ROOT,
            "alice,arn:x,2025-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,yes,2026-08-25T09:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
        ]);
        assert!(parse(&bad, now(), now()).unwrap_err().contains("row 3"));
        let short = report(&[ROOT, "alice,arn:x"]);
        assert!(parse(&short, now(), now()).unwrap_err().contains("row 3"));
    }
}
