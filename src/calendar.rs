//! Dates as every mail, outcome, log line and ledger record prints them,
//! and day arithmetic that never panics.

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;

/// `2026-12-01`.
pub(crate) fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// An instant as a date in `tz`, in the form of [`iso`].
pub(crate) fn date_in(tz: Tz, t: DateTime<Utc>) -> String {
    iso(t.with_timezone(&tz).date_naive())
}

/// `date` plus `days`; the last representable date past it.
pub(crate) fn add_days(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_add_days(Days::new(days))
        .unwrap_or(NaiveDate::MAX)
}
