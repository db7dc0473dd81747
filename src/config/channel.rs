//! The chat section: `CHAT_TOPIC_ARN`, the SNS topic Amazon Q Developer in
//! chat applications delivers to the team's Slack or Teams channel.

use super::{ConfigError, err};
use crate::mask::quote;
use crate::organization::is_account_id;

/// `CHAT_LOCALE`: `en` or `ja`; unset, the chat speaks `LOCALE`.
pub(super) fn chat_locale(
    get: &impl Fn(&str) -> Option<String>,
    default: crate::model::Locale,
) -> Result<crate::model::Locale, ConfigError> {
    match get("CHAT_LOCALE") {
        None => Ok(default),
        Some(v) => crate::model::Locale::from_tag(&v).ok_or_else(|| {
            err(
                "CHAT_LOCALE",
                format!("`{}` is not `en` or `ja`", quote(&v)),
                "ja",
            )
        }),
    }
}

const EX_TOPIC: &str = "arn:aws:sns:us-east-1:111111111111:access-key-notifier-chat";

/// `CHAT_TOPIC_ARN`: empty, or a standard SNS topic's ARN
/// (`arn:PARTITION:sns:REGION:ACCOUNT:NAME`, a name of 1 to 256 letters,
/// digits, `-` and `_`). Chat is off without it. A FIFO topic (a name
/// ending `.fifo`) is refused: every Publish to one needs a
/// `MessageGroupId` (SNS API reference, Publish), and Amazon Q Developer
/// in chat applications subscribes to standard topics only.
pub(super) fn chat_topic(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<String>, ConfigError> {
    let Some(v) = get("CHAT_TOPIC_ARN") else {
        return Ok(None);
    };
    let v = v.trim().to_string();
    let parts: Vec<&str> = v.split(':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "sns"
        && !parts[3].is_empty()
        && parts[3]
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && is_account_id(parts[4])
        && (1..=256).contains(&parts[5].len())
        && parts[5]
            .trim_end_matches(".fifo")
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        return Err(err(
            "CHAT_TOPIC_ARN",
            format!("`{}` is not an SNS topic ARN", quote(&v)),
            EX_TOPIC,
        ));
    }
    if parts[5].ends_with(".fifo") {
        return Err(err(
            "CHAT_TOPIC_ARN",
            format!(
                "`{}` is a FIFO topic, which needs a message group on every publish and which Amazon Q Developer in chat applications does not read; use a standard topic",
                quote(&v)
            ),
            EX_TOPIC,
        ));
    }
    Ok(Some(v))
}
