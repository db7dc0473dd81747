//! The outcome contract: every invocation ends in exactly one outcome,
//! returned to Lambda, printed by the commands and logged as one line. This
//! module holds a Config event's ([`Outcome`]); the sweep's, its report,
//! the account summaries and the Organizations flows' are its submodules.

use serde::Serialize;

use crate::calendar::iso;
use crate::mask::mask_key_id;
use crate::model::{
    DaysLeft, KeyAction, KeyRotation, NoticeState, Recipients, SkipReason, Stage, Trigger,
    UserResult,
};

pub(crate) mod ages;
pub(crate) mod fanout;
pub(crate) mod report;
pub(crate) mod summary;
pub mod sweep;

/// The Organizations flows' outcomes, as `route::Answer` returns them.
pub use fanout::{FanOutOutcome, OrganizationDigestOutcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Sent,
    Skipped,
    DryRun,
    /// The notice failed after enforcement acted: the invocation answers
    /// with `error`, and the outcome keeps what enforcement did.
    Failed,
}

/// One key a notice lists: masked id, dates in the configured time zone,
/// the days between today and its deadline, and its stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyOutcome {
    pub access_key_id: String,
    pub created: String,
    pub deadline: String,
    pub days_remaining: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_overdue: Option<u32>,
    pub stage: Stage,
    /// This key's stage was recorded as sent before: the notice lists it
    /// again beside a key whose stage is new.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub already_notified: bool,
}

/// One key of a user opted in to rotation, as outcomes list it: never the
/// secret, only where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RotatedKey {
    pub user: String,
    /// `AKIA…WXYZ`
    pub access_key_id: String,
    /// `rotated`, `would_rotate`, `rotation_blocked`, … ([`KeyRotation::code`]).
    pub rotation: KeyRotation,
    /// The new key, masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_access_key_id: Option<String>,
    /// The secret that holds the new key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_arn: Option<String>,
}

impl RotatedKey {
    /// The due keys of `result` that rotation judged.
    pub(crate) fn all(result: &UserResult) -> impl Iterator<Item = RotatedKey> + '_ {
        result.keys.iter().filter_map(|k| {
            let rotation = k.rotation.clone()?;
            let replacement = rotation.replacement();
            Some(RotatedKey {
                user: result.name.clone(),
                access_key_id: mask_key_id(&k.key.id),
                new_access_key_id: replacement.map(|r| mask_key_id(&r.new_key_id)),
                secret_arn: replacement.map(|r| r.secret_arn.clone()),
                rotation,
            })
        })
    }
}

/// Fields are filled in as far as the invocation got; empty ones are left
/// out of the JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<SkipReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The tier of the rule whose event this was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier_days: Option<u32>,
    /// The date the days are counted from, in the configured time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub today: Option<String>,
    /// The earliest deadline among `keys`, and its days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_remaining: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_overdue: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<KeyOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipients: Option<Recipients>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// What enforcement did (or, in a dry run, would have done) about the
    /// user's keys.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub enforcement: Vec<KeyAction>,
    /// What rotation made of the user's keys (a user opted in).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rotation: Vec<RotatedKey>,
    /// What the team's chat channel was sent about this event's
    /// deactivations (`CHAT_TOPIC_ARN`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat: Option<ChatOutcome>,
    /// The error the invocation answered with, when it failed after
    /// enforcement acted (the outcome is logged all the same).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<OutcomeError>,
}

/// An error, as an outcome names it: its type and its masked message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutcomeError {
    #[serde(rename = "errorType")]
    pub error_type: String,
    pub error: String,
}

impl From<&crate::error::Error> for OutcomeError {
    fn from(e: &crate::error::Error) -> OutcomeError {
        OutcomeError {
            error_type: e.error_type(),
            error: e.safe_message(),
        }
    }
}

/// What became of the chat channel's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatStatus {
    #[default]
    Published,
    /// Rendered, nothing published (`DRY_RUN`).
    DryRun,
    /// At least one message was not published.
    Failed,
}

/// What became of a mail a flow sends besides the notices (a digest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailStatus {
    Sent,
    /// Rendered, not sent (`DRY_RUN`).
    DryRun,
    Failed,
    /// Nobody to send it to (`DIGEST_RECIPIENTS` is empty).
    NoRecipients,
}

/// What was published to the team's chat channel.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ChatOutcome {
    pub status: ChatStatus,
    pub published: usize,
    pub failed: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The messages, as published or as a dry run would have (for
    /// `sweep --show-chat`, the demo and the log); not part of the JSON.
    #[serde(skip)]
    pub messages: Vec<String>,
}

impl ChatOutcome {
    pub fn failed(&self) -> bool {
        self.status == ChatStatus::Failed
    }
}

impl Outcome {
    /// A Config event's outcome, from what the notice service made of its
    /// user (`account` the event's, `event_id` its id): the notice's
    /// status (or its error) and the keys it listed, what enforcement did,
    /// and the error enforcement stopped on.
    pub fn of(
        result: &UserResult,
        trigger: Trigger<'_>,
        account: Option<&str>,
        event_id: Option<&str>,
    ) -> Outcome {
        let overdue = |d: DaysLeft| d.is_overdue().then_some(d.overdue());
        let mut outcome = Outcome {
            rule: trigger.rule().map(str::to_string),
            account: account.map(str::to_string),
            user: Some(result.name.clone()),
            user_id: Some(result.id.clone()),
            event_id: event_id.map(str::to_string),
            enforcement: result.actions().cloned().collect(),
            rotation: RotatedKey::all(result).collect(),
            ..Outcome::skipped(SkipReason::NoActiveKeyDue)
        };
        let (status, reason, message_id) = match &result.notice {
            Ok(noticed) => match &noticed.state {
                NoticeState::Sent(id) => (Status::Sent, None, Some(id.clone())),
                NoticeState::DryRun => (Status::DryRun, None, None),
                NoticeState::Skipped(reason) => (Status::Skipped, Some(*reason), None),
                NoticeState::Due => (Status::Skipped, None, None),
            },
            Err(e) => {
                outcome.error = Some(e.into());
                (Status::Failed, None, None)
            }
        };
        (outcome.status, outcome.reason, outcome.message_id) = (status, reason, message_id);
        if let Some(e) = &result.enforcement_error {
            outcome.error.get_or_insert_with(|| e.into());
        }
        if let Some(e) = &result.rotation_error {
            outcome.error.get_or_insert_with(|| e.into());
        }
        if !matches!(status, Status::Sent | Status::DryRun) {
            return outcome;
        }
        let listed: Vec<_> = result.listed().collect();
        if let (Some((lead, _)), Ok(notice)) = (listed.first(), &result.verdict.result) {
            outcome.tier_days = trigger.tier_days();
            outcome.today = Some(iso(notice.today));
            outcome.deadline = Some(iso(lead.deadline_date));
            outcome.days_remaining = Some(lead.days.remaining());
            outcome.days_overdue = overdue(lead.days);
            outcome.recipients = Some(notice.recipients.clone());
        }
        outcome.keys = listed
            .iter()
            .map(|(k, l)| KeyOutcome {
                access_key_id: k.shown_id(),
                created: iso(k.created_date),
                deadline: iso(k.deadline_date),
                days_remaining: k.days.remaining(),
                days_overdue: overdue(k.days),
                stage: l.stage,
                already_notified: l.already_notified,
            })
            .collect();
        outcome
    }

    /// A skip, with what is known of the event.
    pub fn skipped(reason: SkipReason) -> Outcome {
        Outcome {
            status: Status::Skipped,
            reason: Some(reason),
            rule: None,
            account: None,
            user: None,
            user_id: None,
            tier_days: None,
            today: None,
            deadline: None,
            days_remaining: None,
            days_overdue: None,
            keys: Vec::new(),
            recipients: None,
            message_id: None,
            event_id: None,
            enforcement: Vec::new(),
            rotation: Vec::new(),
            chat: None,
            error: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address;
    use serde_json::json;

    #[test]
    fn a_sent_outcome_has_the_contract_shape() {
        let o = Outcome {
            status: Status::Sent,
            reason: None,
            rule: Some("access-keys-rotated-1".into()),
            account: Some("123456789012".into()),
            user: Some("alice".into()),
            user_id: Some("AIDATCKAQT2XHRAS7UPNO".into()),
            tier_days: Some(7),
            today: Some("2026-11-24".into()),
            deadline: Some("2026-12-01".into()),
            days_remaining: Some(7),
            days_overdue: None,
            keys: vec![
                KeyOutcome {
                    access_key_id: "AKIA…WXYZ".into(),
                    created: "2026-09-02".into(),
                    deadline: "2026-12-01".into(),
                    days_remaining: 7,
                    days_overdue: None,
                    stage: Stage::Tier(7),
                    already_notified: false,
                },
                KeyOutcome {
                    access_key_id: "AKIA…ABCD".into(),
                    created: "2026-09-10".into(),
                    deadline: "2026-12-09".into(),
                    days_remaining: 15,
                    days_overdue: None,
                    stage: Stage::Tier(14),
                    already_notified: true,
                },
            ],
            recipients: Some(Recipients {
                to: vec![address::parse("alice@example.com").unwrap()],
                cc: vec![address::parse("security@example.com").unwrap()],
            }),
            message_id: Some("0100018c".into()),
            event_id: None,
            enforcement: Vec::new(),
            rotation: Vec::new(),
            chat: None,
            error: None,
        };
        assert_eq!(
            serde_json::to_value(&o).unwrap(),
            json!({"status":"sent","rule":"access-keys-rotated-1","account":"123456789012",
                   "user":"alice","user_id":"AIDATCKAQT2XHRAS7UPNO","tier_days":7,
                   "today":"2026-11-24","deadline":"2026-12-01","days_remaining":7,
                   "keys":[{"access_key_id":"AKIA…WXYZ","created":"2026-09-02","deadline":"2026-12-01",
                            "days_remaining":7,"stage":"tier_7"},
                           {"access_key_id":"AKIA…ABCD","created":"2026-09-10","deadline":"2026-12-09",
                            "days_remaining":15,"stage":"tier_14","already_notified":true}],
                   "recipients":{"to":["alice@example.com"],"cc":["security@example.com"]},
                   "message_id":"0100018c"})
        );
        let text = serde_json::to_string(&o).unwrap();
        assert!(text.starts_with(r#"{"status":"sent","rule":"#), "{text}");
    }

    #[test]
    fn a_skip_names_its_reason() {
        let o = Outcome {
            user: Some("alice".into()),
            ..Outcome::skipped(SkipReason::AlreadyNotified)
        };
        assert_eq!(
            serde_json::to_value(&o).unwrap(),
            json!({"status":"skipped","reason":"already_notified","user":"alice"})
        );
    }
}
