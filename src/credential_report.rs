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
//! A report is refused when it is older than [`MAX_AGE`] at `now`:
//! GenerateCredentialReport hands back an existing report only while it is
//! at most four hours old, so an older one means the answer is not what
//! was asked for.

use chrono::{DateTime, Duration, Utc};

use crate::decision::{self, AccessKey, LastUsed, Policy};

/// The root account's row.
pub const ROOT_ROW: &str = "<root_account>";

/// How old a report may be when it is read: IAM's four hours of reuse and
/// an hour's margin for a report read late in an invocation.
pub const MAX_AGE: Duration = Duration::hours(5);

/// Rows read at most: ten times IAM's quota of 5,000 users per account,
/// as for ListUsers.
pub const MAX_ROWS: usize = 50_000;

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
/// 12). The others have no key the sweep could mail or enforce about.
pub fn candidates<'a>(
    policy: &Policy,
    report: &'a CredentialReport,
    now: DateTime<Utc>,
) -> Vec<&'a ReportUser> {
    report
        .users
        .iter()
        .filter(|u| !decision::due_keys(policy, &u.access_keys(), now).is_empty())
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

    let mut report = CredentialReport {
        generated,
        users: Vec::new(),
        root_key_active: false,
    };
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
        if name == ROOT_ROW {
            report.root_key_active = keys.iter().any(|k| k.active);
            continue;
        }
        if name.is_empty() {
            return Err(format!("row {row} names no user"));
        }
        report.users.push(ReportUser {
            name: name.to_string(),
            arn: cell(arn).to_string(),
            keys,
        });
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
        let names: Vec<&str> = candidates(&policy, &report, now())
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
        let names: Vec<&str> = candidates(&unused, &report, now())
            .iter()
            .map(|u| u.name.as_str())
            .collect();
        assert_eq!(names, ["idle"]);
    }

    #[test]
    fn a_report_older_than_the_bound_or_damaged_is_refused_in_words() {
        let content = report(&[]);
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
                .contains("access_key_1_active")
        );
        let bad = report(&[
            "alice,arn:x,2025-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,yes,2026-08-25T09:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
        ]);
        assert!(parse(&bad, now(), now()).unwrap_err().contains("row 2"));
        let short = report(&["alice,arn:x"]);
        assert!(parse(&short, now(), now()).unwrap_err().contains("row 2"));
    }
}
