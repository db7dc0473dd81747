//! Where every due key of an account stands: what the digest mails, the
//! chat summary counts and `scan` prints. Built from the sweep's
//! [`UserResult`]s, user by user ([`Report::add`]), then sorted into its
//! sections ([`Report::finish`]); the table and CSV writers are a view
//! (`views::report`). It holds masked key ids only, and an owner tag's
//! problem by reason code, never the tag's value.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Serialize, Serializer};

use super::ages::KeyAges;
use crate::calendar;
use crate::decision::Policy;
use crate::model::{
    Action, Credential, DaysLeft, EnforcementState, Exemption, KeyResult, KeyRotation, NoticeState,
    PasswordPolicy, SkipReason, Stage, UserResult,
};

/// What the owner tag gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "reason")]
pub enum OwnerTag {
    /// A valid address within the allowed domains: the owner is mailed.
    Used,
    /// No owner tag: the fallback list (if any) is mailed.
    Missing,
    /// Present but not used, with the rejection's code.
    Rejected(&'static str),
}

impl OwnerTag {
    pub fn code(self) -> &'static str {
        match self {
            OwnerTag::Used => "ok",
            OwnerTag::Missing => "missing",
            OwnerTag::Rejected(code) => code,
        }
    }
}

/// What this run did about a key's user's notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeCode {
    Sent,
    DryRun,
    /// Not sent, for this reason (`already_notified` among them).
    Skipped(SkipReason),
    /// Reading or sending failed.
    Failed,
    /// Decided, not sent: `scan`.
    Due,
}

impl NoticeCode {
    /// The stable code: `sent`, `dry_run`, a skip reason, `failed`, `due`.
    pub fn code(self) -> &'static str {
        match self {
            NoticeCode::Sent => "sent",
            NoticeCode::DryRun => "dry_run",
            NoticeCode::Skipped(reason) => reason.code(),
            NoticeCode::Failed => "failed",
            NoticeCode::Due => "due",
        }
    }
}

impl Serialize for NoticeCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// What IAM says of a key's last use, as the report shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LastUse {
    /// Not read (the unused-key policy off, and no credential report).
    Unread,
    Never,
    /// Its date, in `TIME_ZONE`.
    On(NaiveDate),
}

impl LastUse {
    /// `""` (not read), `never`, or the date.
    pub fn code(self) -> String {
        match self {
            LastUse::Unread => String::new(),
            LastUse::Never => "never".to_string(),
            LastUse::On(date) => calendar::iso(date),
        }
    }
}

impl Serialize for LastUse {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.code())
    }
}

/// Enforcement's state as a code, `""` where the account does not enforce.
fn enforcement_code<S: Serializer>(
    state: &Option<EnforcementState>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match state {
        Some(state) => state.serialize(s),
        None => s.serialize_str(""),
    }
}

/// Rotation's state as a code, `""` where the user is not rotated.
fn rotation_code<S: Serializer>(rotation: &Option<KeyRotation>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(rotation.as_ref().map_or("", KeyRotation::code))
}

/// Whether console passwords' expiry is told, and if not, why: `scan`
/// says it beside the rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum PasswordExpiry {
    /// `PASSWORD_NOTICE_DAYS` is empty.
    #[default]
    Off,
    /// The account has no password policy: passwords never expire.
    NoPasswordPolicy,
    /// The account's password policy sets no `MaxPasswordAge`.
    NoMaxPasswordAge,
    /// Told, by this policy.
    Told {
        max_password_age_days: u32,
        hard_expiry: bool,
    },
}

impl PasswordExpiry {
    /// From the tiers and the password policy the sweep read (`None`: the
    /// account has none, or it was not read because the tiers are off).
    pub(crate) fn of(policy: &Policy, account: Option<&PasswordPolicy>) -> PasswordExpiry {
        if policy.password_notice_days.is_empty() {
            return PasswordExpiry::Off;
        }
        match account {
            None => PasswordExpiry::NoPasswordPolicy,
            Some(PasswordPolicy {
                max_age_days: None, ..
            }) => PasswordExpiry::NoMaxPasswordAge,
            Some(PasswordPolicy {
                max_age_days: Some(days),
                hard_expiry,
            }) => PasswordExpiry::Told {
                max_password_age_days: *days,
                hard_expiry: *hard_expiry,
            },
        }
    }
}

/// A key's stage as its code.
fn stage_code<S: Serializer>(stage: &Stage, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&stage.code())
}

/// One due key (or console password), as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportKey {
    pub user: String,
    /// The user's ARN (Security Hub's resource).
    #[serde(skip)]
    pub user_arn: String,
    /// `AKIA…WXYZ`; `console-password` for the user's console password.
    pub access_key_id: String,
    /// The console password's expiry date, where the account's policy
    /// dates it; `None` for a key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_expires: Option<NaiveDate>,
    /// A console password, not a key.
    #[serde(skip)]
    pub password: bool,
    pub created: NaiveDate,
    pub deadline: NaiveDate,
    pub age_days: u32,
    /// Days to the deadline's date; 0 once overdue.
    pub days_remaining: u32,
    /// Days past the deadline's date; 0 before it.
    pub days_overdue: u32,
    #[serde(serialize_with = "stage_code")]
    pub stage: Stage,
    pub owner: OwnerTag,
    pub exempt: bool,
    /// What this run did about the user's notice.
    pub notice: NoticeCode,
    /// What enforcement did or will do; `None` when the account does not
    /// enforce (`""` in JSON).
    #[serde(serialize_with = "enforcement_code")]
    pub enforcement: Option<EnforcementState>,
    /// What rotation made of it; `None` when the user is not rotated (`""`
    /// in JSON).
    #[serde(serialize_with = "rotation_code")]
    pub rotation: Option<KeyRotation>,
    /// An exempt user's exemption ends after this date (the tag's date).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exempt_until: Option<NaiveDate>,
    /// The key's last use.
    pub last_used: LastUse,
    /// Days since the key's last use (or creation, never used), when it is
    /// unused (decision rule 12).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unused_days: Option<u32>,
    #[serde(skip)]
    pub days: DaysLeft,
    /// Listed for its unused period, not for rotation (decision rule 12).
    #[serde(skip)]
    pub listed_unused: bool,
    /// When enforcement may take it next (for the next-run section).
    #[serde(skip)]
    due: Due,
}

/// When enforcement may take a key that is still active.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Due {
    /// Acted on, or never again (reactivated), or not enforced.
    #[default]
    Never,
    /// The next run (held by the cap, or its action failed).
    NextRun,
    From(NaiveDate),
}

/// A user whose owner tag could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnerProblem {
    pub user: String,
    /// `missing`, or the rejection's code (`invalid_address`, …).
    pub reason: &'static str,
}

/// A user whose notice failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedNotice {
    pub user: String,
    #[serde(rename = "errorType")]
    pub error_type: String,
}

/// The account's report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub account: String,
    pub today: NaiveDate,
    pub time_zone: String,
    pub max_key_age_days: u32,
    /// The unused-key policy's days (0: off).
    pub unused_key_days: u32,
    /// The unused-password policy's days (0: off).
    pub unused_password_days: u32,
    /// Whether console passwords' expiry is told, or why not.
    pub password_expiry: PasswordExpiry,
    /// How old every active key of the account is.
    pub key_ages: KeyAges,
    /// Overdue keys of users who are not exempt, oldest deadline first.
    pub overdue: Vec<ReportKey>,
    /// Keys within a notice tier, of users who are not exempt, earliest
    /// deadline first.
    pub within_tier: Vec<ReportKey>,
    /// Keys listed because they are unused (not due for rotation), of
    /// users who are not exempt, longest unused first.
    pub unused: Vec<ReportKey>,
    /// Due keys of exempt users.
    pub exempt: Vec<ReportKey>,
    /// Users with a due key whose owner tag is missing or was rejected.
    pub owner_problems: Vec<OwnerProblem>,
    /// Users whose notice failed in this run.
    pub failed: Vec<FailedNotice>,
    /// Keys deactivated by this run (or, in a dry run, that would be).
    pub deactivated: Vec<ReportKey>,
    /// Keys the next run will deactivate: held by the cap, failed, or whose
    /// earliest date is tomorrow or sooner.
    pub next_run: Vec<ReportKey>,
    /// Keys deactivated before and active again since: listed until they
    /// are rotated, never deactivated again.
    pub reactivated: Vec<ReportKey>,
    /// Keys held because nobody can be warned: no warning counts and the
    /// user's notice reaches no owner.
    pub no_one_to_warn: Vec<ReportKey>,
    /// Exempt users whose exemption tag ends within
    /// [`EXPIRING_WITHIN_DAYS`] days.
    pub exemptions_expiring: Vec<ReportKey>,
    /// The exemption list's entries, as written, that name no user of the
    /// account (renamed or deleted), in the list's order. Only a
    /// single-account deployment's sweep knows them: in Organizations mode
    /// a name or UserId entry may be meant for any account.
    pub exempt_entries_unmatched: Vec<String>,
    /// Console passwords within an expiry tier, of users who are not
    /// exempt, earliest expiry first.
    pub passwords_expiring: Vec<ReportKey>,
    /// Console passwords listed for their unused period, of users who are
    /// not exempt, longest unused first.
    pub passwords_unused: Vec<ReportKey>,
    /// Keys of users opted in to rotation, in every state but a
    /// replacement in use (that one's old key is in `deactivated` the day
    /// it goes): replaced by this run, would be (dry run), blocked, failed,
    /// awaiting their new key's use, or whose new key is gone.
    pub rotation: Vec<ReportKey>,
    #[serde(skip)]
    tz: chrono_tz::Tz,
    /// The rows taken in, before [`Report::finish`] sorts them.
    #[serde(skip)]
    rows: Vec<ReportKey>,
}

/// How far ahead the report looks for exemptions that end.
pub(crate) const EXPIRING_WITHIN_DAYS: i64 = 14;

impl Report {
    pub fn new(account: &str, now: DateTime<Utc>, policy: &Policy) -> Report {
        Report {
            account: account.to_string(),
            today: policy.date_of(now),
            time_zone: policy.time_zone.name().to_string(),
            max_key_age_days: policy.max_key_age_days,
            unused_key_days: policy.unused_key_days,
            unused_password_days: policy.unused_password_days,
            password_expiry: PasswordExpiry::default(),
            key_ages: KeyAges::new(policy, policy.date_of(now)),
            overdue: Vec::new(),
            within_tier: Vec::new(),
            unused: Vec::new(),
            exempt: Vec::new(),
            owner_problems: Vec::new(),
            failed: Vec::new(),
            deactivated: Vec::new(),
            next_run: Vec::new(),
            reactivated: Vec::new(),
            no_one_to_warn: Vec::new(),
            exemptions_expiring: Vec::new(),
            exempt_entries_unmatched: Vec::new(),
            passwords_expiring: Vec::new(),
            passwords_unused: Vec::new(),
            rotation: Vec::new(),
            tz: policy.time_zone,
            rows: Vec::new(),
        }
    }

    /// Takes in what the sweep made of one user with a due key.
    pub(crate) fn add(&mut self, result: &UserResult) {
        let verdict = &result.verdict;
        let owner = match (verdict.owner_tag_present, verdict.owner_tag_rejected) {
            (_, Some(r)) => OwnerTag::Rejected(r.code()),
            (true, None) => OwnerTag::Used,
            (false, None) => OwnerTag::Missing,
        };
        let notice = match &result.notice {
            Ok(noticed) => match noticed.state {
                NoticeState::Sent(_) => NoticeCode::Sent,
                NoticeState::DryRun => NoticeCode::DryRun,
                NoticeState::Skipped(reason) => NoticeCode::Skipped(reason),
                NoticeState::Due => NoticeCode::Due,
            },
            Err(e) => {
                self.failed.push(FailedNotice {
                    user: result.name.clone(),
                    error_type: e.error_type(),
                });
                NoticeCode::Failed
            }
        };
        let exempt_until = match verdict.exemption {
            Some(Exemption::TagUntil(until)) => Some(until),
            _ => None,
        };
        let exempt = verdict.exemption.is_some();
        for k in &result.keys {
            self.rows
                .push(self.row(result, k, owner, exempt, notice, exempt_until));
        }
        if owner != OwnerTag::Used {
            self.owner_problems.push(OwnerProblem {
                user: result.name.clone(),
                reason: owner.code(),
            });
        }
    }

    fn row(
        &self,
        user: &UserResult,
        result: &KeyResult,
        owner: OwnerTag,
        exempt: bool,
        notice: NoticeCode,
        exempt_until: Option<NaiveDate>,
    ) -> ReportKey {
        let k = &result.key;
        let enforcement = result.enforcement.as_ref().map(|e| e.state());
        let due = match enforcement {
            None | Some(EnforcementState::Acted(_)) => match enforcement {
                Some(EnforcementState::Acted(Action::HeldByCap)) => Due::NextRun,
                _ => Due::Never,
            },
            Some(EnforcementState::Failed) => Due::NextRun,
            // Once the new key is used: no date can be told.
            Some(EnforcementState::AwaitingNewKeyUse) => Due::Never,
            Some(EnforcementState::FinalWarning(from) | EnforcementState::Waits(from)) => {
                Due::From(from)
            }
        };
        let password_expires = match &k.credential {
            Credential::ConsolePassword(facts) => facts.expiry.map(|e| e.date),
            Credential::AccessKey => None,
        };
        ReportKey {
            user: user.name.clone(),
            user_arn: user.arn.clone(),
            access_key_id: k.shown_id(),
            password_expires,
            password: k.is_password(),
            created: k.created_date,
            deadline: k.deadline_date,
            age_days: k.age_days,
            days_remaining: k.days.remaining(),
            days_overdue: k.days.overdue(),
            stage: k.stage,
            owner,
            exempt,
            notice,
            enforcement,
            rotation: result.rotation.clone(),
            exempt_until,
            last_used: match &k.last_used {
                None => LastUse::Unread,
                Some(used) => used.time.map_or(LastUse::Never, |t| {
                    LastUse::On(t.with_timezone(&self.tz).date_naive())
                }),
            },
            unused_days: k.unused.as_ref().map(|u| u.days),
            days: k.days,
            listed_unused: k.listed_unused(),
            due,
        }
    }

    /// Sorts the rows taken in into the report's sections: every due key
    /// in exactly one of exempt, unused, overdue and within a tier, and
    /// also in the enforcement sections it belongs to.
    pub(crate) fn finish(&mut self) {
        let mut rows = std::mem::take(&mut self.rows);
        // By user, each user's keys in the decision's order.
        rows.sort_by(|a, b| a.user.cmp(&b.user));
        let tomorrow = self.today.succ_opt();
        for row in rows {
            if matches!(
                row.enforcement,
                Some(EnforcementState::Acted(
                    Action::Deactivated | Action::DryRun
                ))
            ) {
                self.deactivated.push(row.clone());
            }
            let next_run = match row.due {
                Due::Never => false,
                Due::NextRun => true,
                Due::From(from) => tomorrow.is_some_and(|t| from <= t),
            };
            if next_run {
                self.next_run.push(row.clone());
            }
            match row.enforcement {
                Some(EnforcementState::Acted(Action::Reactivated)) => {
                    self.reactivated.push(row.clone())
                }
                Some(EnforcementState::Acted(Action::NoOneToWarn)) => {
                    self.no_one_to_warn.push(row.clone())
                }
                _ => {}
            }
            let expiring = row
                .exempt_until
                .is_some_and(|until| (until - self.today).num_days() <= EXPIRING_WITHIN_DAYS);
            if row.exempt && expiring {
                self.exemptions_expiring.push(row.clone());
            }
            if row.rotation.as_ref().is_some_and(|r| !r.new_key_used()) {
                self.rotation.push(row.clone());
            }
            if row.exempt {
                self.exempt.push(row);
            } else if row.password && row.listed_unused {
                self.passwords_unused.push(row);
            } else if row.password {
                self.passwords_expiring.push(row);
            } else if row.listed_unused {
                self.unused.push(row);
            } else if row.days.is_overdue() {
                self.overdue.push(row);
            } else {
                self.within_tier.push(row);
            }
        }
        let by_deadline =
            |a: &ReportKey, b: &ReportKey| a.deadline.cmp(&b.deadline).then(a.user.cmp(&b.user));
        self.overdue.sort_by(by_deadline);
        self.within_tier.sort_by(by_deadline);
        self.exempt.sort_by(by_deadline);
        self.unused
            .sort_by(|a, b| b.unused_days.cmp(&a.unused_days).then(a.user.cmp(&b.user)));
        self.passwords_unused
            .sort_by(|a, b| b.unused_days.cmp(&a.unused_days).then(a.user.cmp(&b.user)));
        self.passwords_expiring.sort_by(|a, b| {
            a.password_expires
                .cmp(&b.password_expires)
                .then(a.user.cmp(&b.user))
        });
        self.deactivated.sort_by(by_deadline);
        self.next_run.sort_by(by_deadline);
        self.reactivated.sort_by(by_deadline);
        self.no_one_to_warn.sort_by(by_deadline);
        self.exemptions_expiring.sort_by(|a, b| {
            a.exempt_until
                .cmp(&b.exempt_until)
                .then(a.user.cmp(&b.user))
        });
        self.owner_problems.sort_by(|a, b| a.user.cmp(&b.user));
        self.failed.sort_by(|a, b| a.user.cmp(&b.user));
    }

    /// The time zone dates are counted in.
    pub(crate) fn tz(&self) -> chrono_tz::Tz {
        self.tz
    }

    /// Every due key, in the report's order: overdue, within a tier,
    /// unused, the console passwords (expiring, unused), exempt.
    pub fn keys(&self) -> impl Iterator<Item = &ReportKey> {
        self.overdue
            .iter()
            .chain(&self.within_tier)
            .chain(&self.unused)
            .chain(&self.passwords_expiring)
            .chain(&self.passwords_unused)
            .chain(&self.exempt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{Mode, decide, due_keys};
    use crate::model::{AccessKey, KeyAction, KeyEnforcement, KeyVerdict, Noticed, Tag};
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
    }

    fn date(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    fn policy() -> Policy {
        crate::config::Config::from_lookup(|k| match k {
            "SENDER_ADDRESS" => Some("n@example.com".into()),
            "EXEMPT_TAG" => Some("Exempt".into()),
            _ => None,
        })
        .unwrap()
        .policy
    }

    /// A user with keys of these ages, tagged as given, each due key judged
    /// by `judged` (in the due keys' order), the notice as `state`.
    fn user(
        name: &str,
        ages: &[i64],
        tags: &[(&str, &str)],
        judged: &[Option<(KeyVerdict, Option<Action>)>],
        state: NoticeState,
    ) -> UserResult {
        let p = policy();
        let keys: Vec<AccessKey> = ages
            .iter()
            .map(|age| AccessKey {
                id: format!("AKIA{:0>12}{age:04}", name.to_uppercase()),
                active: true,
                created: now() - Duration::days(*age),
                last_used: None,
            })
            .collect();
        let tags: Vec<Tag> = tags
            .iter()
            .map(|(k, v)| Tag {
                key: k.to_string(),
                value: v.to_string(),
            })
            .collect();
        let due = due_keys(&p, &keys, now());
        let verdict = decide(&p, Mode::Ledger, &tags, false, due, now());
        let keys = verdict
            .due
            .iter()
            .enumerate()
            .map(|(i, k)| KeyResult {
                key: k.clone(),
                listed: None,
                enforcement: judged.get(i).copied().flatten().map(|(verdict, action)| {
                    KeyEnforcement {
                        verdict,
                        action: action.map(|action| KeyAction {
                            user: name.into(),
                            access_key_id: crate::mask::mask_key_id(&k.id),
                            credential: Default::default(),
                            action,
                            deadline: k.deadline_date,
                            days_overdue: k.days.overdue(),
                            unused_days: None,
                            age_days: k.age_days,
                            warned: None,
                            mail: None,
                            message_id: None,
                        }),
                    }
                }),
                rotation: None,
            })
            .collect();
        UserResult {
            name: name.into(),
            arn: format!("arn:aws:iam::123456789012:user/{name}"),
            id: format!("AIDA{name}"),
            verdict,
            keys,
            notice: Ok(Noticed {
                state,
                rendered: None,
            }),
            enforcement_error: None,
            rotation_error: None,
        }
    }

    const OWNER: (&str, &str) = ("Email", "someone@example.com");

    fn users(section: &[ReportKey]) -> Vec<&str> {
        section.iter().map(|k| k.user.as_str()).collect()
    }

    #[test]
    fn every_key_lands_in_one_section_in_that_section_s_order() {
        let mut r = Report::new("123456789012", now(), &policy());
        let sent = NoticeState::Sent("m".into());
        r.add(&user("zoe", &[100], &[OWNER], &[], sent.clone()));
        r.add(&user("amy", &[120, 80], &[OWNER], &[], sent.clone()));
        r.add(&user("bob", &[85], &[OWNER], &[], sent.clone()));
        r.add(&user(
            "eve",
            &[95],
            &[OWNER, ("Exempt", "true")],
            &[],
            NoticeState::Skipped(SkipReason::Exempt),
        ));
        r.finish();
        // Overdue oldest deadline first (amy 120 days, zoe 100), then due
        // soon earliest first (bob 85, amy 80), the exempt apart.
        assert_eq!(users(&r.overdue), ["amy", "zoe"]);
        assert_eq!(users(&r.within_tier), ["bob", "amy"]);
        assert_eq!(users(&r.exempt), ["eve"]);
        assert!(r.unused.is_empty());
        assert_eq!(r.keys().count(), 5, "each key once");
        assert_eq!(r.exempt[0].notice, NoticeCode::Skipped(SkipReason::Exempt));
        assert_eq!(r.overdue[0].notice, NoticeCode::Sent);
    }

    #[test]
    fn enforcement_sections_follow_each_key_s_state() {
        let mut r = Report::new("123456789012", now(), &policy());
        let sent = NoticeState::Sent("m".into());
        let acted = |a| Some((KeyVerdict::Deactivate, Some(a)));
        r.add(&user(
            "dee",
            &[120],
            &[OWNER],
            &[acted(Action::Deactivated)],
            sent.clone(),
        ));
        r.add(&user(
            "dry",
            &[119],
            &[OWNER],
            &[acted(Action::DryRun)],
            sent.clone(),
        ));
        r.add(&user(
            "cap",
            &[118],
            &[OWNER],
            &[Some((KeyVerdict::HeldByCap, Some(Action::HeldByCap)))],
            sent.clone(),
        ));
        r.add(&user(
            "rea",
            &[117],
            &[OWNER],
            &[acted(Action::Reactivated)],
            sent.clone(),
        ));
        r.add(&user(
            "nob",
            &[116],
            &[],
            &[Some((KeyVerdict::NoOneToWarn, Some(Action::NoOneToWarn)))],
            sent.clone(),
        ));
        // A verdict to act with no act: the run stopped first.
        r.add(&user(
            "err",
            &[115],
            &[OWNER],
            &[Some((KeyVerdict::Deactivate, None))],
            sent.clone(),
        ));
        // Waiting until tomorrow, and until next month.
        r.add(&user(
            "tom",
            &[114],
            &[OWNER],
            &[Some((KeyVerdict::Wait { from: date(11, 24) }, None))],
            sent.clone(),
        ));
        r.add(&user(
            "mon",
            &[113],
            &[OWNER],
            &[Some((
                KeyVerdict::FinalWarning { from: date(12, 24) },
                None,
            ))],
            sent.clone(),
        ));
        r.finish();
        assert_eq!(users(&r.deactivated), ["dee", "dry"]);
        assert_eq!(users(&r.next_run), ["cap", "err", "tom"]);
        assert_eq!(users(&r.reactivated), ["rea"]);
        assert_eq!(users(&r.no_one_to_warn), ["nob"]);
        let owners: Vec<&str> = r.owner_problems.iter().map(|p| p.user.as_str()).collect();
        assert_eq!(owners, ["nob"]);
        let mon = r.overdue.iter().find(|k| k.user == "mon").unwrap();
        assert_eq!(
            serde_json::to_value(mon).unwrap()["enforcement"],
            "final_warning, from 2026-12-24"
        );
        let err = r.overdue.iter().find(|k| k.user == "err").unwrap();
        assert_eq!(err.enforcement, Some(EnforcementState::Failed));
    }

    #[test]
    fn exemptions_ending_within_two_weeks_are_listed_soonest_first() {
        let mut r = Report::new("123456789012", now(), &policy());
        let exempt = NoticeState::Skipped(SkipReason::Exempt);
        r.add(&user(
            "late",
            &[95],
            &[OWNER, ("Exempt", "2027-06-01")],
            &[],
            exempt.clone(),
        ));
        r.add(&user(
            "soon",
            &[95],
            &[OWNER, ("Exempt", "2026-12-07")],
            &[],
            exempt.clone(),
        ));
        r.add(&user(
            "sooner",
            &[96],
            &[OWNER, ("Exempt", "2026-11-30")],
            &[],
            exempt.clone(),
        ));
        r.finish();
        assert_eq!(users(&r.exempt).len(), 3);
        assert_eq!(users(&r.exemptions_expiring), ["sooner", "soon"]);
        assert_eq!(r.exemptions_expiring[0].exempt_until, Some(date(11, 30)));
    }
}

/// Rows for the tests of what is made from the report.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// `user`'s key `AKIA…WXYZ` (created 2026-08-25), `remaining` days to
    /// its deadline or `overdue` days past it, not exempt.
    pub(crate) fn row(user: &str, remaining: u32, overdue: u32) -> ReportKey {
        let created = NaiveDate::from_ymd_opt(2026, 8, 25).unwrap();
        ReportKey {
            user: user.to_string(),
            user_arn: format!("arn:aws:iam::123456789012:user/{user}"),
            access_key_id: "AKIA…WXYZ".to_string(),
            password_expires: None,
            password: false,
            created,
            deadline: created + chrono::Duration::days(90),
            age_days: 90,
            days_remaining: remaining,
            days_overdue: overdue,
            stage: Stage::Overdue,
            owner: OwnerTag::Used,
            exempt: false,
            notice: NoticeCode::Due,
            enforcement: None,
            rotation: None,
            exempt_until: None,
            last_used: LastUse::Never,
            unused_days: None,
            days: DaysLeft(i64::from(remaining) - i64::from(overdue)),
            listed_unused: false,
            due: Due::Never,
        }
    }
}
