//! The per-account sweep message of Organizations mode: what the fan-out
//! queues and an SQS record's body carries, `{"sweep_account", "run"}`,
//! checked field by field like every event.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::mask::quote;
use crate::organization::is_account_id;

/// A message body is refused past this size: a real one is about 60 bytes.
pub(crate) const MAX_BODY: usize = 1024;

/// What each per-account message says: sweep this account for this run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SweepMessage {
    pub account: String,
    /// The fan-out's date in the configured time zone: the summary is kept
    /// under it, so a sweep that runs past midnight still counts for its
    /// run.
    pub run: NaiveDate,
}

impl SweepMessage {
    pub(crate) fn body(&self) -> String {
        json!({"sweep_account": self.account, "run": self.run.to_string()}).to_string()
    }

    /// Reads a message body, checking each field.
    pub(crate) fn parse(body: &str) -> Result<SweepMessage, String> {
        if body.len() > MAX_BODY {
            return Err(format!(
                "the body is {} bytes, more than {MAX_BODY}",
                body.len()
            ));
        }
        let value: Value =
            serde_json::from_str(body).map_err(|_| "the body is not JSON".to_string())?;
        let field = |name: &str| value.get(name).and_then(Value::as_str);
        let account = field("sweep_account")
            .ok_or("the body has no `sweep_account` string")?
            .to_string();
        if !is_account_id(&account) {
            return Err(format!(
                "sweep_account `{}` is not a 12-digit account id",
                quote(&account)
            ));
        }
        let run = field("run")
            .and_then(|r| NaiveDate::parse_from_str(r, "%Y-%m-%d").ok())
            .ok_or("the body has no `run` date (YYYY-MM-DD)")?;
        Ok(SweepMessage { account, run })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_says_which_account_and_run() {
        let m = SweepMessage {
            account: "111111111111".into(),
            run: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        };
        assert_eq!(
            m.body(),
            r#"{"run":"2026-11-23","sweep_account":"111111111111"}"#
        );
        assert_eq!(SweepMessage::parse(&m.body()), Ok(m));
    }

    #[test]
    fn a_bad_message_is_refused_with_its_problem() {
        for (body, problem) in [
            ("", "not JSON"),
            ("{}", "sweep_account"),
            (r#"{"sweep_account":"12345"}"#, "12-digit"),
            (
                r#"{"sweep_account":"111111111111","run":"23/11/2026"}"#,
                "run",
            ),
            (
                &format!(r#"{{"pad":"{}"}}"#, "x".repeat(2000)),
                "more than 1024",
            ),
        ] {
            let e = SweepMessage::parse(body).unwrap_err();
            assert!(e.contains(problem), "{body}: {e}");
        }
    }
}
