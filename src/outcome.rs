//! The outcome contract: every invocation ends in exactly one of these,
//! returned by the handler, printed by `invoke` and logged as one line.

use serde::{Deserialize, Serialize};

use crate::decision::{Recipients, SkipReason};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Sent,
    Skipped,
    DryRun,
}

/// One due key, as reported: masked id, dates in the configured time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyOutcome {
    pub access_key_id: String,
    pub created: String,
    pub days_remaining: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_overdue: Option<u32>,
}

/// Fields are filled in as far as the invocation got; empty ones are left
/// out of the JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_remaining: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_overdue: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<KeyOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipients: Option<Recipients>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// A duplicate delivery: this is the outcome stored by the first one,
    /// and nothing was done this time.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub replayed: bool,
}

impl Outcome {
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
            days_remaining: None,
            days_overdue: None,
            deadline: None,
            keys: Vec::new(),
            recipients: None,
            message_id: None,
            event_id: None,
            replayed: false,
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
            days_remaining: Some(7),
            days_overdue: None,
            deadline: Some("2026-12-01".into()),
            keys: vec![KeyOutcome {
                access_key_id: "AKIA…WXYZ".into(),
                created: "2026-09-02".into(),
                days_remaining: 7,
                days_overdue: None,
            }],
            recipients: Some(Recipients {
                to: vec![address::parse("alice@example.com").unwrap()],
                cc: vec![address::parse("security@example.com").unwrap()],
            }),
            message_id: Some("0100018c".into()),
            event_id: None,
            replayed: false,
        };
        assert_eq!(
            serde_json::to_value(&o).unwrap(),
            json!({"status":"sent","rule":"access-keys-rotated-1","account":"123456789012",
                   "user":"alice","user_id":"AIDATCKAQT2XHRAS7UPNO","tier_days":7,"days_remaining":7,
                   "deadline":"2026-12-01",
                   "keys":[{"access_key_id":"AKIA…WXYZ","created":"2026-09-02","days_remaining":7}],
                   "recipients":{"to":["alice@example.com"],"cc":["security@example.com"]},
                   "message_id":"0100018c"})
        );
        let text = serde_json::to_string(&o).unwrap();
        assert!(text.starts_with(r#"{"status":"sent","rule":"#), "{text}");
        // What is stored for duplicates reads back the same.
        let back: Outcome = serde_json::from_str(&text).unwrap();
        assert_eq!(back, o);
    }

    #[test]
    fn a_skip_names_its_reason() {
        let o = Outcome {
            user: Some("alice".into()),
            ..Outcome::skipped(SkipReason::NoActiveKeyDue)
        };
        assert_eq!(
            serde_json::to_value(&o).unwrap(),
            json!({"status":"skipped","reason":"no_active_key_due","user":"alice"})
        );
    }
}
