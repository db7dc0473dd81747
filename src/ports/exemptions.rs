//! The exemption list port: the Parameter Store parameter's raw value
//! (SSM in `aws::ssm`, in memory in `ports::memory::exemptions`), and the
//! few-minute cache the function holds ([`Exemptions`]), so a warm
//! function reads it at most every [`CACHE_FOR`]. A read that fails, or a
//! value with any entry that is not a user name or user ARN, is not cached
//! and is never taken as "nobody is exempt": it is [`ExemptionListing::Unavailable`],
//! which keeps enforcement from acting (a retryable error naming the
//! parameter and the first bad entry's position) and does not stop notices.

use std::future::Future;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::error::Error;
use crate::exemption::{ExemptList, ExemptionListing};
use crate::logging::{self, Level};
use crate::mask::quote;
use crate::sync::lock;

/// How long a list read from the parameter is used before it is read again.
pub(crate) const CACHE_FOR: Duration = Duration::minutes(5);

/// Reads the exemption parameter's raw value.
pub trait ExemptionSource: Send + Sync {
    /// The parameter's value: entries separated by commas (a StringList, or
    /// a String written the same way).
    fn read(&self) -> impl Future<Output = Result<String, Error>> + Send;

    /// The parameter's name, for messages.
    fn parameter(&self) -> &str;
}

/// The exemption list with its cache: what the function holds.
pub struct Exemptions<S> {
    source: Option<S>,
    cached: Mutex<Option<(DateTime<Utc>, Arc<ExemptList>)>>,
}

impl<S: ExemptionSource> Exemptions<S> {
    /// The list read through `source`; `None`: no parameter is configured.
    pub fn new(source: Option<S>) -> Exemptions<S> {
        Exemptions {
            source,
            cached: Mutex::new(None),
        }
    }

    pub fn source(&self) -> Option<&S> {
        self.source.as_ref()
    }

    /// The list at `now`: from the cache when it was read less than
    /// [`CACHE_FOR`] ago, otherwise read again.
    pub async fn listing(&self, now: DateTime<Utc>) -> ExemptionListing {
        let Some(source) = &self.source else {
            return ExemptionListing::NotConfigured;
        };
        if let Some((read_at, list)) = lock(&self.cached).as_ref()
            && now >= *read_at
            && now - *read_at < CACHE_FOR
        {
            return ExemptionListing::Known(list.clone());
        }
        let value = match source.read().await {
            Ok(value) => value,
            Err(e) => {
                logging::log(
                    Level::Error,
                    "the exemption list could not be read; no key is deactivated until it can be",
                    json!({"errorType": e.error_type(), "error": e.safe_message()}),
                );
                return ExemptionListing::Unavailable(e.safe_message());
            }
        };
        let (list, problems) = ExemptList::parse(&value);
        // One entry that is not a user is a list whose meaning is unknown
        // (a String written with newlines or semicolons parses to nothing):
        // unusable as a whole, like an unreadable one, and not cached.
        if let Some((position, problem)) = problems.first() {
            let why = format!(
                "parameter {}: entry {position} is not an IAM user name or user ARN ({}; {} such entries); entries are separated by commas",
                quote(source.parameter()),
                problem.code(),
                problems.len()
            );
            logging::log(
                Level::Error,
                "the exemption list is unusable; no key is deactivated until it is fixed",
                json!({"errorType": "Retryable.ExemptionsUnavailable", "position": position, "reason": problem.code(), "entries_refused": problems.len()}),
            );
            return ExemptionListing::Unavailable(why);
        }
        let list = Arc::new(list);
        *lock(&self.cached) = Some((now, list.clone()));
        ExemptionListing::Known(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::memory::exemptions::MemoryExemptionSource;
    use chrono::TimeZone;

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap() + Duration::minutes(minute)
    }

    #[tokio::test]
    async fn the_list_is_read_at_most_every_five_minutes_and_a_failure_is_not_cached() {
        let source = MemoryExemptionSource::new("alice");
        let exemptions = Exemptions::new(Some(source));
        let src = exemptions.source().unwrap();
        assert!(exemptions.listing(at(0)).await.lists(
            "123456789012",
            "alice",
            "AIDAALICE00000000001"
        ));
        src.set("bob");
        assert!(exemptions.listing(at(4)).await.lists(
            "123456789012",
            "alice",
            "AIDAALICE00000000001"
        ));
        assert_eq!(src.script.count("GetParameter"), 1);
        assert!(exemptions.listing(at(5)).await.lists(
            "123456789012",
            "bob",
            "AIDABOB0000000000001"
        ));
        assert_eq!(src.script.count("GetParameter"), 2);

        src.script.fail_next(
            "GetParameter",
            Error::Aws {
                service: "SSM",
                operation: "GetParameter",
                code: Some("AccessDeniedException".into()),
                message: "denied".into(),
                retryable: false,
            },
        );
        let listing = exemptions.listing(at(11)).await;
        assert!(matches!(listing, ExemptionListing::Unavailable(_)));
        assert!(listing.known().is_err());
        assert!(!listing.lists("123456789012", "bob", "AIDABOB0000000000001"));
        // The next run reads again.
        assert!(exemptions.listing(at(11)).await.known().is_ok());
        assert_eq!(src.script.count("GetParameter"), 4);
    }

    #[tokio::test]
    async fn without_a_parameter_nobody_is_listed_and_nothing_is_read() {
        let exemptions: Exemptions<MemoryExemptionSource> = Exemptions::new(None);
        let listing = exemptions.listing(at(0)).await;
        assert!(matches!(listing, ExemptionListing::NotConfigured));
        assert!(listing.known().is_ok());
    }
}
