//! The findings hub port: where an account's Security Hub findings go
//! (`SECURITY_HUB`; Security Hub in `aws::securityhub`, in memory in
//! `ports::memory::findings`). The sweep imports its findings and archives
//! those of this tool it no longer produces (`findings`, rule 4).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use chrono::{DateTime, Utc};

use crate::error::Error;
use crate::findings::Finding;

/// Findings the hub refused: how many, by its `ErrorCode`.
pub type Refused = BTreeMap<String, usize>;

pub trait FindingsHub: Send + Sync {
    /// The region the findings go to (the product ARN names it).
    fn region(&self) -> String;

    /// BatchImportFindings of at most [`MAX_PER_CALL`](crate::findings::MAX_PER_CALL)
    /// findings; the findings the hub refused (`FailedFindings`), by code.
    fn import(&self, findings: &[Finding]) -> impl Future<Output = Result<Refused, Error>> + Send;

    /// Archives every ACTIVE finding of this tool's generator in
    /// `product_arn` whose id is not in `keep`: each re-imported with
    /// `RecordState` ARCHIVED, `Compliance` PASSED and `UpdatedAt` `now`,
    /// nothing else changed (never `Workflow`). Returns how many were
    /// archived, and those the hub refused.
    fn archive_others(
        &self,
        product_arn: &str,
        keep: &BTreeSet<String>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(usize, Refused), Error>> + Send;
}
