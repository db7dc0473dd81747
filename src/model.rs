//! The shared model: the words every layer speaks, apart from the rules
//! that judge them. Who a user is and what IAM says of their keys
//! ([`User`], [`AccessKey`], [`LastUsed`], [`Tag`]), what made the tool
//! look ([`Trigger`]), the calendar of a key ([`Stage`], [`DaysLeft`],
//! [`Unused`], [`DueKey`]), and what the decision concludes ([`Verdict`],
//! [`Notice`], [`Recipients`], [`SkipReason`]), in the language a mail is
//! written in ([`Locale`]); enforcement's verdicts and acts ([`KeyVerdict`],
//! [`Action`], [`KeyAction`]); and the results one run hands every view
//! ([`UserResult`], one [`KeyResult`] per due key).
//!
//! Data only, with the few methods that read it; the rules that make it
//! are [`decision`](crate::decision), [`unused`](crate::unused) and
//! [`enforcement`](crate::enforcement).

use chrono::{DateTime, NaiveDate, Utc};

use crate::address::{Address, Rejection};

/// Languages the mail is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    En,
    Ja,
}

impl Locale {
    /// Reads `en`, `ja`, `en-US`, `ja_JP` and the like, case-insensitively.
    pub(crate) fn from_tag(value: &str) -> Option<Locale> {
        let primary = value.trim().split(['-', '_']).next().unwrap_or_default();
        match primary.to_ascii_lowercase().as_str() {
            "en" => Some(Locale::En),
            "ja" => Some(Locale::Ja),
            _ => None,
        }
    }
}

/// An IAM user tag, as written by whoever could tag the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// An access key as IAM lists it, with its last use where it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub id: String,
    pub active: bool,
    pub created: DateTime<Utc>,
    /// What IAM says of its last use (the credential report, or
    /// GetAccessKeyLastUsed); `None`: not read, or IAM does not say.
    pub last_used: Option<LastUsed>,
}

/// A user as GetUser returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The UserId (`AIDA…`): stable across renames, unlike the name.
    pub id: String,
    pub name: String,
    /// The user's ARN (with its path): how Security Hub names it.
    pub arn: String,
    pub tags: Vec<Tag>,
    /// When the user's console password was last used (GetUser's
    /// `PasswordLastUsed`); `None` when it never was, or there is none.
    pub password_last_used: Option<DateTime<Utc>>,
}

/// When and where a key was last used, as IAM reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LastUsed {
    /// `None` when the key has never been used.
    pub time: Option<DateTime<Utc>>,
    pub service: Option<String>,
    pub region: Option<String>,
}

/// An unused key's period (rules 3 and 4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unused {
    /// The date of the last use, or of the creation when never used, in
    /// `TIME_ZONE`: what mails and reports print, and what days count from.
    pub since: NaiveDate,
    /// The period's name (rule 5): the UTC date of the same instant, which
    /// no setting moves. Its ledger stage and its warning's subject.
    pub period: NaiveDate,
    /// Today minus `since`: at least `UNUSED_KEY_DAYS`.
    pub days: u32,
    /// The date it became unused: `since` plus `UNUSED_KEY_DAYS`.
    pub from: NaiveDate,
    /// What IAM said of its last use (`time: None`: never used).
    pub last_used: LastUsed,
}

impl Unused {
    /// The key was never used.
    pub(crate) fn never_used(&self) -> bool {
        self.last_used.time.is_none()
    }

    /// The period's start as an instant, that date's midnight in UTC:
    /// what a warning about this period is about (rule 5; a warning kept
    /// for the key with another start is about an earlier period), and
    /// where the key falls in a notice's order.
    pub fn start(&self) -> DateTime<Utc> {
        self.period.and_time(chrono::NaiveTime::MIN).and_utc()
    }
}

/// What made the tool look at a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger<'a> {
    /// The Config event of this notice rule, of this tier.
    Rule { name: &'a str, tier_days: u32 },
    /// The Config event of this `iam-user-unused-credentials-check` rule.
    UnusedRule { name: &'a str },
    /// An IAM Access Analyzer unused-access finding of this type
    /// (`UnusedIAMUserAccessKey`, `UnusedIAMUserPassword`): served as an
    /// unused rule's event is.
    AccessAnalyzer { finding_type: &'a str },
    /// The daily sweep.
    Sweep,
}

impl<'a> Trigger<'a> {
    /// The Config rule whose event this is (an Access Analyzer
    /// finding's type); `None` for the sweep.
    pub fn rule(self) -> Option<&'a str> {
        match self {
            Trigger::Rule { name, .. } | Trigger::UnusedRule { name } => Some(name),
            Trigger::AccessAnalyzer { finding_type } => Some(finding_type),
            Trigger::Sweep => None,
        }
    }

    /// An unused-credentials trigger: an unused rule's event or an Access
    /// Analyzer finding.
    pub fn is_unused(self) -> bool {
        matches!(
            self,
            Trigger::UnusedRule { .. } | Trigger::AccessAnalyzer { .. }
        )
    }

    /// The tier of the notice rule whose event this is.
    pub fn tier_days(self) -> Option<u32> {
        match self {
            Trigger::Rule { tier_days, .. } => Some(tier_days),
            Trigger::UnusedRule { .. } | Trigger::AccessAnalyzer { .. } | Trigger::Sweep => None,
        }
    }

    /// What the ledger records as a notice's source, and SES's message tag
    /// `notice_source`: the rule, or `sweep`.
    pub fn source(self) -> &'a str {
        self.rule().unwrap_or("sweep")
    }
}

/// The stages of an active key, in the order it reaches them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Within the tier that notifies this many days before the deadline.
    Tier(u32),
    /// Past the deadline's date: the first notice after it.
    Overdue,
    /// A reminder, due on this many days past the deadline's date.
    Reminder(u32),
    /// Enforcement: the notice of a key it could deactivate now, but whose
    /// owner has no recorded warning (see `enforcement`).
    FinalWarning,
    /// Enforcement: the key was deactivated; the notice says so.
    Deactivated,
    /// Unused since this date (rule 12): one stage per unused period,
    /// named by the UTC date of its start ([`Unused::period`]).
    Unused(NaiveDate),
    /// Rotation (`rotation`): the replacement of the key, claimed before
    /// anything is created and recorded with the new key and its secret.
    Rotation,
    /// Rotation: the notice that told the owner the key was replaced.
    Rotated,
    /// Rotation: the notice that told the owner the key could not be
    /// replaced while the user has two keys.
    RotationBlocked,
    /// A console password that expires on this date, at this notice tier
    /// (`password_expires_<date>_tier_<n>`): a password changed since has
    /// another date, and its own stages.
    PasswordExpiry { expires: NaiveDate, tier: u32 },
    /// A console password unused since this date (its period, as
    /// [`Stage::Unused`]).
    PasswordUnused(NaiveDate),
    /// Enforcement: the final warning about an unused password's period.
    PasswordFinalWarning(NaiveDate),
    /// Enforcement: the unused password of this period was removed.
    PasswordRemoved(NaiveDate),
}

impl Stage {
    /// One of rotation's notices (`rotated`, `rotation_blocked`).
    pub fn is_rotation(self) -> bool {
        matches!(self, Stage::Rotated | Stage::RotationBlocked)
    }

    /// The stable code used in outcomes and ledger records: `tier_14`,
    /// `tier_7`, `overdue`, `reminder_8`.
    pub fn code(self) -> String {
        match self {
            Stage::Tier(days) => format!("tier_{days}"),
            Stage::Overdue => "overdue".to_string(),
            Stage::Reminder(days) => format!("reminder_{days}"),
            Stage::FinalWarning => "final_warning".to_string(),
            Stage::Deactivated => "deactivated".to_string(),
            Stage::Unused(since) => format!("unused_since_{since}"),
            Stage::Rotation => "rotation".to_string(),
            Stage::Rotated => "rotated".to_string(),
            Stage::RotationBlocked => "rotation_blocked".to_string(),
            Stage::PasswordExpiry { expires, tier } => {
                format!("password_expires_{expires}_tier_{tier}")
            }
            Stage::PasswordUnused(since) => format!("password_unused_since_{since}"),
            Stage::PasswordFinalWarning(since) => format!("password_final_warning_{since}"),
            Stage::PasswordRemoved(since) => format!("password_removed_{since}"),
        }
    }

    /// A reminder after the first overdue notice.
    pub(crate) fn is_reminder(self) -> bool {
        matches!(self, Stage::Reminder(_))
    }
}

impl serde::Serialize for Stage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.code())
    }
}

/// Calendar days from today to a deadline's date (rule 2): positive while
/// days are left, 0 on the deadline's date, negative once overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DaysLeft(pub i64);

impl DaysLeft {
    pub fn between(today: NaiveDate, deadline: NaiveDate) -> DaysLeft {
        DaysLeft((deadline - today).num_days())
    }

    /// Days left; 0 once overdue, never negative.
    pub fn remaining(self) -> u32 {
        clamp_days(self.0)
    }

    /// Days past the deadline's date; 0 before it.
    pub fn overdue(self) -> u32 {
        clamp_days(-self.0)
    }

    pub(crate) fn is_overdue(self) -> bool {
        self.0 < 0
    }
}

/// `days`, never negative, within `u32`.
pub(crate) fn clamp_days(days: i64) -> u32 {
    u32::try_from(days.max(0)).unwrap_or(u32::MAX)
}

/// A due key, as the notice reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueKey {
    pub id: String,
    pub created: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub created_date: NaiveDate,
    pub deadline_date: NaiveDate,
    pub days: DaysLeft,
    /// Today minus the creation date.
    pub age_days: u32,
    pub stage: Stage,
    /// The earliest date enforcement may deactivate the key, which the
    /// notice states; filled in by [`enforcement`](crate::enforcement),
    /// `None` where the account does not enforce.
    pub deactivation_from: Option<NaiveDate>,
    /// Its unused period, when it is unused (rule 12).
    pub unused: Option<Unused>,
    /// Listed for its unused period rather than for rotation (rule 12).
    pub for_unused: bool,
    /// What IAM says of its last use, where it was read.
    pub last_used: Option<LastUsed>,
    /// What rotation made of it (`rotation`), filled in by the notice
    /// service for a user opted in; `None` otherwise.
    pub rotation: Option<KeyRotation>,
    /// An access key, or the user's console password listed on the same
    /// path (its `id` is then `password:USERID`, its `created` when the
    /// password was last set, its deadline the expiry).
    pub credential: Credential,
}

/// What a listed entry is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Credential {
    #[default]
    AccessKey,
    ConsolePassword(PasswordFacts),
}

/// What a listed console password's notice says of it beside its unused
/// period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordFacts {
    /// When it expires, where the account's password policy dates it.
    pub expiry: Option<PasswordExpiry>,
}

/// When a console password expires (the account's `MaxPasswordAge`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordExpiry {
    pub at: DateTime<Utc>,
    /// Its date in `TIME_ZONE`, and the days left to it.
    pub date: NaiveDate,
    pub days: DaysLeft,
    /// The account's `HardExpiry`: once expired, only an administrator
    /// can let its owner in again.
    pub hard: bool,
}

/// A user's console password (login profile), as IAM reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsolePassword {
    /// Its last use; `time: None` when it was never used.
    pub last_used: LastUsed,
    /// When it was last set: the credential report's
    /// `password_last_changed`; elsewhere the login profile's CreateDate.
    pub last_changed: Option<DateTime<Utc>>,
    /// When IAM requires it changed (the report's
    /// `password_next_rotation`); `None` where IAM does not say.
    pub next_rotation: Option<DateTime<Utc>>,
}

/// The parts of the account's password policy that date a password
/// (GetAccountPasswordPolicy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// `MaxPasswordAge`; `None`: passwords never expire.
    pub max_age_days: Option<u32>,
    /// `HardExpiry`.
    pub hard_expiry: bool,
}

impl DueKey {
    /// How outcomes, logs and mails name it: the masked key id
    /// (`AKIA…WXYZ`), or `console-password`.
    pub fn shown_id(&self) -> String {
        if self.is_password() {
            "console-password".to_string()
        } else {
            crate::mask::mask_key_id(&self.id)
        }
    }

    /// The user's console password, not an access key.
    pub fn is_password(&self) -> bool {
        matches!(self.credential, Credential::ConsolePassword(_))
    }

    /// The stage of enforcement's final warning about it.
    /// The deadline a log or table shows: a key's, a console password's
    /// expiry, or `None` for a password its policy lets live forever.
    pub fn shown_deadline(&self) -> Option<NaiveDate> {
        match &self.credential {
            Credential::AccessKey => Some(self.deadline_date),
            Credential::ConsolePassword(facts) => facts.expiry.map(|e| e.date),
        }
    }

    /// The stage by the clock a sent notice records for a listed password
    /// beside its own (a final warning stands in for the unused period's
    /// notice); `None` for an access key.
    pub(crate) fn password_clock_stage(&self) -> Option<Stage> {
        let Credential::ConsolePassword(facts) = &self.credential else {
            return None;
        };
        match (&self.unused, &facts.expiry) {
            (Some(u), _) => Some(Stage::PasswordUnused(u.period)),
            (None, Some(e)) => match self.stage {
                Stage::PasswordExpiry { tier, .. } => Some(Stage::PasswordExpiry {
                    expires: e.date,
                    tier,
                }),
                _ => None,
            },
            (None, None) => None,
        }
    }

    pub(crate) fn final_warning_stage(&self) -> Stage {
        match (&self.credential, self.unused_period()) {
            (Credential::ConsolePassword(_), Some(u)) => Stage::PasswordFinalWarning(u.period),
            _ => Stage::FinalWarning,
        }
    }

    /// The stage of enforcement's act on it: `deactivated` for a key,
    /// `password_removed_<period>` for a password.
    pub(crate) fn acted_stage(&self) -> Stage {
        match (&self.credential, self.unused_period()) {
            (Credential::ConsolePassword(_), Some(u)) => Stage::PasswordRemoved(u.period),
            _ => Stage::Deactivated,
        }
    }

    /// Listed for its unused period, not for rotation.
    pub(crate) fn listed_unused(&self) -> bool {
        self.unused_period().is_some()
    }

    /// Its unused period, when it is listed for it (its stage is
    /// `unused_since_…`, or a final warning or deactivation about it).
    pub fn unused_period(&self) -> Option<&Unused> {
        self.unused.as_ref().filter(|_| self.for_unused)
    }

    /// What a warning about this key's listing is about: the key's
    /// CreateDate for rotation (the same id, another key, is another
    /// subject), its unused period's start for an unused key
    /// ([`Unused::start`]).
    pub fn warning_subject(&self) -> DateTime<Utc> {
        self.unused_period().map_or(self.created, Unused::start)
    }

    /// The ledger's name for the warning kept about this listing: the key
    /// id for rotation, `KEYID#unused` for an unused key, so the two
    /// policies' warnings and announced dates never mix.
    pub(crate) fn warning_slot(&self) -> String {
        if self.listed_unused() {
            format!("{}#unused", self.id)
        } else {
            self.id.clone()
        }
    }
}

/// Who receives the notice.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Recipients {
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
}

impl Recipients {
    /// The mail goes To someone who answers for the user: the owner's
    /// address, or the fallback list (rule 6). A copy alone does not.
    pub(crate) fn reach_owner(&self) -> bool {
        !self.to.is_empty()
    }
}

/// A notice to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The date the days are counted from.
    pub today: NaiveDate,
    /// Every due key, earliest deadline first; never empty.
    pub keys: Vec<DueKey>,
    pub recipients: Recipients,
    pub locale: Locale,
}

impl Notice {
    /// The key with the earliest deadline: the subject and the headline
    /// speak of it.
    pub fn lead(&self) -> &DueKey {
        // `decide` never builds a notice without a key.
        &self.keys[0]
    }
}

/// Why nothing is sent. A skip is a success: there is nothing to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    NotComplianceChange,
    NotNonCompliant,
    NotIamUser,
    /// An Access Analyzer finding that is not `ACTIVE` (resolved,
    /// archived): nothing to tell.
    FindingNotActive,
    UnknownRule,
    UserNotFound,
    NoActiveKeyDue,
    SupersededByCloserNotice,
    AlreadyNotified,
    Exempt,
    NoRecipient,
    /// Every due key was deactivated by enforcement; the deactivated mail
    /// replaces the notice.
    Deactivated,
    /// The event's account is on `EXEMPT_ACCOUNTS` (`organization`).
    AccountExempt,
    /// The event's account is not one the function serves: not on
    /// `ACCOUNTS`, or not an active account of the Organization.
    AccountNotServed,
}

impl SkipReason {
    pub fn code(self) -> &'static str {
        match self {
            SkipReason::NotComplianceChange => "not_compliance_change",
            SkipReason::NotNonCompliant => "not_non_compliant",
            SkipReason::NotIamUser => "not_iam_user",
            SkipReason::FindingNotActive => "finding_not_active",
            SkipReason::UnknownRule => "unknown_rule",
            SkipReason::UserNotFound => "user_not_found",
            SkipReason::NoActiveKeyDue => "no_active_key_due",
            SkipReason::SupersededByCloserNotice => "superseded_by_closer_notice",
            SkipReason::AlreadyNotified => "already_notified",
            SkipReason::Exempt => "exempt",
            SkipReason::NoRecipient => "no_recipient",
            SkipReason::Deactivated => "deactivated",
            SkipReason::AccountExempt => "account_exempt",
            SkipReason::AccountNotServed => "account_not_served",
        }
    }
}

/// The decision, with what was noticed on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Every due key of the user, earliest deadline first, whether or not
    /// a notice lists them (an exempt user's too): what reports show.
    pub due: Vec<DueKey>,
    pub result: Result<Notice, SkipReason>,
    /// The user carries the owner tag (used or not).
    pub owner_tag_present: bool,
    /// The owner tag was present but not used, and why. Logged as a code,
    /// never with the raw value.
    pub owner_tag_rejected: Option<Rejection>,
    /// The locale tag was present but names no supported language.
    pub locale_tag_ignored: bool,
    /// Why the user is exempt (rule 1), if they are.
    pub exemption: Option<Exemption>,
    /// The exemption tag was present but exempts no one, and why.
    pub exempt_tag_problem: Option<ExemptTagProblem>,
    /// Who a mail about this user goes to (rule 6); `None`: nobody.
    pub recipients: Option<Recipients>,
    /// The language of a mail to this user (rule 7).
    pub locale: Locale,
}

/// Why a user is exempt (rule 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exemption {
    /// The exemption tag says `true`.
    Tag,
    /// The exemption tag names a date that has not passed: the user is
    /// exempt through that date.
    TagUntil(NaiveDate),
    /// The user is on the exemption list.
    Listed,
}

/// An exemption tag that exempts no one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExemptTagProblem {
    /// It names a date that has passed.
    Expired(NaiveDate),
    /// It is neither `true`, `false` nor an ISO date.
    Unreadable,
}

impl ExemptTagProblem {
    /// The stable reason code logs and the digest use.
    pub fn code(self) -> &'static str {
        match self {
            ExemptTagProblem::Expired(_) => "exempt_tag_expired",
            ExemptTagProblem::Unreadable => "exempt_tag_unreadable",
        }
    }
}

// Enforcement's words: the rules that reach them are `enforcement`, the
// calls that act on them `service::enforce`.

/// What enforcement decided about one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyVerdict {
    /// Deactivate it now (rules 2 to 6 allow it; the cap may still hold it).
    Deactivate,
    /// It would be deactivated now, but the day's cap is spent (rule 7).
    HeldByCap,
    /// Its enforcement date has come and no warning counts: its notice is
    /// the final warning, and it may be deactivated from `from` (rule 6).
    FinalWarning { from: NaiveDate },
    /// Its enforcement date has come, no warning counts, and the user's
    /// notice reaches no owner: held until one can be warned (rule 6).
    NoOneToWarn,
    /// Not yet: it may be deactivated from `from` (rule 6).
    Wait { from: NaiveDate },
    /// Replaced by rotation, and the date has come, but the new key has not
    /// been used: the old key stays active (rotation rule 5).
    AwaitingNewKeyUse,
}

/// What happened to a key enforcement would deactivate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Deactivated,
    /// A dry run: it would have been deactivated.
    DryRun,
    /// Past the day's cap: the next day's runs take it.
    HeldByCap,
    /// No warning counts and the user's notice reaches no owner: held
    /// until one can be warned.
    NoOneToWarn,
    /// Read again, it was gone, inactive or another key: not touched.
    LeftAlone,
    /// Deactivated once before, and active again since: not touched again.
    Reactivated,
}

/// Which kind of credential enforcement acted on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    #[default]
    AccessKey,
    ConsolePassword,
}

impl CredentialKind {
    pub(crate) fn is_access_key(&self) -> bool {
        *self == CredentialKind::AccessKey
    }
}

/// One key (or console password) enforcement acted on (or would have, or
/// held), for outcomes, the log and the digest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KeyAction {
    pub user: String,
    /// `AKIA…WXYZ`; `-` for a console password.
    pub access_key_id: String,
    /// A console password (removed, for `deactivated`); left out for a
    /// key.
    #[serde(skip_serializing_if = "CredentialKind::is_access_key")]
    pub credential: CredentialKind,
    pub action: Action,
    pub deadline: NaiveDate,
    pub days_overdue: u32,
    /// Days unused, for a key deactivated (or held) as unused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unused_days: Option<u32>,
    pub age_days: u32,
    /// The date of the first counted warning the action relied on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warned: Option<NaiveDate>,
    /// What became of the deactivated mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail: Option<MailState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

/// What became of a mail enforcement sends after acting (the deactivated
/// mail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailState {
    Sent,
    /// A dry run: nothing was sent.
    DryRun,
    /// The user has nobody to mail.
    NoRecipient,
    /// SES refused it, or it could not be rendered (logged; the key stays
    /// as it is).
    Failed,
}

/// What enforcement made of one due key: its verdict, and what was done
/// (`action`: deactivated, or held, or found changed) when it came to that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEnforcement {
    pub verdict: KeyVerdict,
    pub action: Option<KeyAction>,
}

/// Where a key stands with enforcement, as every view names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnforcementState {
    /// Acted on, or held: what happened.
    Acted(Action),
    /// Its notice is its final warning; it may be deactivated from this date.
    FinalWarning(NaiveDate),
    /// Not yet; it may be deactivated from this date.
    Waits(NaiveDate),
    /// Replaced, and kept active until the new key is used.
    AwaitingNewKeyUse,
    /// Its verdict called for an act, and the run stopped before it (the
    /// user's error says why): the next run takes it.
    Failed,
}

impl KeyEnforcement {
    pub(crate) fn state(&self) -> EnforcementState {
        match (&self.action, self.verdict) {
            (Some(a), _) => EnforcementState::Acted(a.action),
            (None, KeyVerdict::FinalWarning { from }) => EnforcementState::FinalWarning(from),
            (None, KeyVerdict::Wait { from }) => EnforcementState::Waits(from),
            (None, KeyVerdict::AwaitingNewKeyUse) => EnforcementState::AwaitingNewKeyUse,
            (None, KeyVerdict::Deactivate | KeyVerdict::HeldByCap | KeyVerdict::NoOneToWarn) => {
                EnforcementState::Failed
            }
        }
    }
}

/// The stable code of a key's enforcement state in reports and `scan`:
/// `deactivated`, `would_deactivate`, `held_by_cap`, `no_one_to_warn`,
/// `left_alone`, `reactivated`, `failed`, `final_warning, from 2026-11-26`,
/// `from 2026-12-04`, `awaiting_new_key_use`; the same in JSON.
impl EnforcementState {
    /// The state's stable code (see the `Serialize` impl).
    pub fn code(self) -> String {
        match self {
            EnforcementState::Acted(Action::Deactivated) => "deactivated".to_string(),
            EnforcementState::Acted(Action::DryRun) => "would_deactivate".to_string(),
            EnforcementState::Acted(Action::HeldByCap) => "held_by_cap".to_string(),
            EnforcementState::Acted(Action::NoOneToWarn) => "no_one_to_warn".to_string(),
            EnforcementState::Acted(Action::LeftAlone) => "left_alone".to_string(),
            EnforcementState::Acted(Action::Reactivated) => "reactivated".to_string(),
            EnforcementState::Failed => "failed".to_string(),
            EnforcementState::FinalWarning(from) => format!("final_warning, from {from}"),
            EnforcementState::Waits(from) => format!("from {from}"),
            EnforcementState::AwaitingNewKeyUse => "awaiting_new_key_use".to_string(),
        }
    }
}

impl serde::Serialize for EnforcementState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.code())
    }
}

// Results: what one run did about one user, and about each of the user's
// due keys, from the decision to the mail. Made once by the notice service
// (`service`) and read unchanged by every view: the outcome, the report,
// the digest, the chat messages and the metrics.

/// How a sent (or dry-run) notice listed a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listed {
    /// The stage the notice announced (a final warning, a first overdue
    /// notice, or the stage by the clock).
    pub stage: Stage,
    /// This stage was recorded as sent before: the key is listed again
    /// beside a key whose stage is new.
    pub already_notified: bool,
}

/// A key's replacement: the new key and the secret that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    /// The new key's id (an identifier, not a secret; views mask it).
    pub new_key_id: String,
    pub new_key_created: DateTime<Utc>,
    /// The secret's name and ARN (its value never leaves Secrets Manager).
    pub secret_name: String,
    pub secret_arn: String,
}

/// What rotation made of one due key of a user opted in (`rotation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRotation {
    /// `ROTATE=dry_run` (or `DRY_RUN`, or `scan`): it would be replaced
    /// now; nothing was created.
    WouldRotate,
    /// Replaced in this run (or a replacement an earlier run stored was
    /// recorded).
    Rotated(Replacement),
    /// Replaced before; `new_key_used`: the new key has been used since it
    /// was created, so the old key may be retired.
    Replaced {
        replacement: Replacement,
        new_key_used: bool,
    },
    /// Replaced before, and the new key has since been deleted or
    /// deactivated: rotation never retires the old key.
    NewKeyGone(Replacement),
    /// Not replaced: the user has the two keys IAM allows; `other_key_id`
    /// is the other one (views mask it).
    Blocked { other_key_id: String },
    /// The replacement failed (the new key's secret could not be stored,
    /// or a run that stopped left a new key nobody has): the new key was
    /// deactivated; the user's rotation error says why.
    Failed,
    /// Not replaced now: another run is replacing it, or the key or its
    /// user changed since it was read.
    LeftAlone,
}

impl KeyRotation {
    /// The key's replacement, if it has one.
    pub fn replacement(&self) -> Option<&Replacement> {
        match self {
            KeyRotation::Rotated(r)
            | KeyRotation::Replaced { replacement: r, .. }
            | KeyRotation::NewKeyGone(r) => Some(r),
            _ => None,
        }
    }

    /// The key's replacement is there (replaced now or before, its new key
    /// still active): rotation retires the old key once the new one is
    /// used.
    pub fn retires(&self) -> bool {
        matches!(self, KeyRotation::Rotated(_) | KeyRotation::Replaced { .. })
    }

    /// The new key has been used: rotation may retire the old one.
    pub fn new_key_used(&self) -> bool {
        matches!(
            self,
            KeyRotation::Replaced {
                new_key_used: true,
                ..
            }
        )
    }

    /// The stable code: `would_rotate`, `rotated`, `replaced`,
    /// `awaiting_new_key_use`, `new_key_gone`, `rotation_blocked`,
    /// `rotation_failed`, `left_alone`.
    pub fn code(&self) -> &'static str {
        match self {
            KeyRotation::WouldRotate => "would_rotate",
            KeyRotation::Rotated(_) => "rotated",
            KeyRotation::Replaced {
                new_key_used: true, ..
            } => "replaced",
            KeyRotation::Replaced {
                new_key_used: false,
                ..
            } => "awaiting_new_key_use",
            KeyRotation::NewKeyGone(_) => "new_key_gone",
            KeyRotation::Blocked { .. } => "rotation_blocked",
            KeyRotation::Failed => "rotation_failed",
            KeyRotation::LeftAlone => "left_alone",
        }
    }
}

impl serde::Serialize for KeyRotation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// What one run did about one due key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyResult {
    /// The key as decided: its dates, days, stage by the clock, unused
    /// period and last use.
    pub key: DueKey,
    /// How this run's notice listed it; `None`: it was in no notice.
    pub listed: Option<Listed>,
    /// What enforcement made of it; `None`: its policy is off (or the
    /// user is exempt, or the run only reads).
    pub enforcement: Option<KeyEnforcement>,
    /// What rotation made of it; `None`: the user is not opted in.
    pub rotation: Option<KeyRotation>,
}

/// What became of a user's notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeState {
    /// Sent; SES's message id.
    Sent(String),
    /// Decided and rendered, not sent (`DRY_RUN`).
    DryRun,
    /// Nothing to send, and why (`already_notified` among the reasons).
    Skipped(SkipReason),
    /// Decided only: a read-only run (`scan`) sends nothing.
    Due,
}

/// A user's notice as it ended (when it did not fail).
#[derive(Debug, Clone)]
pub struct Noticed {
    pub state: NoticeState,
    /// The mail, when one was rendered (for `invoke --dry-run`).
    pub rendered: Option<crate::rendered::Rendered>,
}

/// What one run did about one user: the decision, one result per due key
/// (in the decision's order), and the notice.
#[derive(Debug)]
pub struct UserResult {
    pub name: String,
    /// The user's ARN, as GetUser gave it.
    pub arn: String,
    /// The UserId the reading was checked against.
    pub id: String,
    pub verdict: Verdict,
    pub keys: Vec<KeyResult>,
    /// The notice, or the error that stopped it (the flow retries it).
    pub notice: Result<Noticed, crate::error::Error>,
    /// What kept enforcement from finishing with the user's keys (an
    /// unreadable exemption list, the ledger, IAM): the keys not yet acted
    /// on wait for the next run.
    pub enforcement_error: Option<crate::error::Error>,
    /// What stopped a rotation (the secret could not be stored, IAM): the
    /// user's other keys wait for the next run.
    pub rotation_error: Option<crate::error::Error>,
}

impl UserResult {
    /// The keys the notice listed, in its order, with how it listed them.
    pub fn listed(&self) -> impl Iterator<Item = (&DueKey, Listed)> {
        self.keys
            .iter()
            .filter_map(|k| k.listed.map(|l| (&k.key, l)))
    }

    /// What enforcement did (or held), key by key.
    pub fn actions(&self) -> impl Iterator<Item = &KeyAction> {
        self.keys
            .iter()
            .filter_map(|k| k.enforcement.as_ref()?.action.as_ref())
    }
}
