//! The ledger's and the sweep's section: the notice ledger's table (and the
//! old name it replaces) and how many users the sweep reads at once.

use super::{ConfigError, err};
use crate::mask::quote;

/// The sweep's default concurrency: IAM's request quota is shared by the
/// whole account (IAM and AWS STS quotas, IAM User Guide: request rates are
/// throttled per account, not published as a number), so the sweep keeps a
/// few calls in flight rather than as many as it could.
pub(crate) const DEFAULT_SWEEP_CONCURRENCY: usize = 8;
/// The most users read at once: past this, IAM throttles and the sweep gets
/// slower, not faster.
pub(crate) const MAX_SWEEP_CONCURRENCY: usize = 32;

/// `LEDGER_TABLE` (refusing the old `IDEMPOTENCY_TABLE`).
pub(super) fn ledger_table(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<String>, ConfigError> {
    // The event-id table of earlier versions is now the notice ledger.
    // Ignoring the old name would silently turn the ledger off.
    if get("IDEMPOTENCY_TABLE").is_some() {
        return Err(err(
            "LEDGER_TABLE",
            "replaces IDEMPOTENCY_TABLE, which is still set: unset it and name the ledger's table here (same table shape)",
            "access-key-notifier-ledger",
        ));
    }
    let ledger_table = match get("LEDGER_TABLE") {
        None => None,
        Some(v) => {
            let v = v.trim().to_string();
            let ok = (3..=255).contains(&v.len())
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
            if !ok {
                return Err(err(
                    "LEDGER_TABLE",
                    format!(
                        "`{}` is not a DynamoDB table name (3-255 of letters, digits, _ . -)",
                        quote(&v)
                    ),
                    "access-key-notifier-ledger",
                ));
            }
            Some(v)
        }
    };
    Ok(ledger_table)
}

/// `SWEEP_CONCURRENCY`.
pub(super) fn sweep_concurrency(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<usize, ConfigError> {
    let sweep_concurrency = match get("SWEEP_CONCURRENCY") {
        None => DEFAULT_SWEEP_CONCURRENCY,
        Some(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_SWEEP_CONCURRENCY).contains(n))
            .ok_or_else(|| {
                err(
                    "SWEEP_CONCURRENCY",
                    format!(
                        "`{}` is not a whole number from 1 to {MAX_SWEEP_CONCURRENCY}",
                        quote(&v)
                    ),
                    "8",
                )
            })?,
    };
    Ok(sweep_concurrency)
}
