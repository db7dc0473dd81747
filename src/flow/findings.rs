//! The sweep's Security Hub step (`SECURITY_HUB`): the account's findings
//! (`findings` decides them, `views::findings` words them) imported into
//! its hub (a member account's through its member role), then the
//! findings this tool no longer produces archived. Refusals are counted,
//! never fatal: the digest and chat still go out.

use std::collections::BTreeSet;

use tokio::time::Instant;

use super::Deps;
use crate::clock::Clock;
use crate::error::Error;
use crate::findings::{self, Finding, product_arn};
use crate::outcome::report::Report;
use crate::outcome::sweep::{SecurityHubOutcome, SecurityHubStatus};
use crate::ports::Ports;
use crate::ports::accounts::Accounts;
use crate::ports::findings::FindingsHub;

/// The findings of `report` as a sweep in `region` at the clock's now
/// would import them (also `scan --format asff`).
pub(crate) fn of(
    config: &crate::config::Config,
    report: &Report,
    root_key_active: bool,
    region: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Finding> {
    let tiers: Vec<u32> = config
        .policy
        .notice_rules
        .iter()
        .map(|r| r.days_before_deadline)
        .collect();
    let facts = findings::select(
        report,
        &tiers,
        &config.policy.password_notice_days,
        root_key_active,
    );
    crate::views::findings::asff(&facts, &report.account, region, now)
}

/// Imports the account's findings and archives the others, by `end`.
pub(super) async fn import<P: Ports>(
    deps: &Deps<P>,
    report: &Report,
    root_key_active: bool,
    (end, budget): (Option<Instant>, std::time::Duration),
) -> SecurityHubOutcome {
    let work = async {
        let hub = deps.accounts.findings(&report.account).await?;
        let (now, region) = (deps.clock.now(), hub.region());
        let findings = of(&deps.config, report, root_key_active, &region, now);
        let mut outcome = SecurityHubOutcome {
            imported: findings.len(),
            ..SecurityHubOutcome::default()
        };
        if deps.config.dry_run {
            outcome.status = SecurityHubStatus::DryRun;
            return Ok::<_, Error>(outcome);
        }
        // At most MAX_PER_CALL a call, one call after another.
        for chunk in findings.chunks(findings::MAX_PER_CALL) {
            let refused = hub.import(chunk).await?;
            count(&mut outcome, refused, true);
        }
        let keep: BTreeSet<String> = findings.iter().map(|f| f.id.clone()).collect();
        let product = product_arn(&region, &report.account);
        let (archived, refused) = hub.archive_others(&product, &keep, now).await?;
        outcome.archived = archived;
        count(&mut outcome, refused, false);
        Ok(outcome)
    };
    let result = match end {
        Some(end) => tokio::time::timeout_at(end, work)
            .await
            .unwrap_or_else(|_| Err(super::deps::out_of_time(budget))),
        None => work.await,
    };
    result.unwrap_or_else(|e| {
        crate::logging::log(
            crate::logging::Level::Error,
            "Security Hub findings could not be imported; the mail goes on",
            serde_json::json!({"account": report.account, "error": e.safe_message(), "errorType": e.error_type()}),
        );
        SecurityHubOutcome {
            status: SecurityHubStatus::Failed,
            error: Some(e.safe_message()),
            ..SecurityHubOutcome::default()
        }
    })
}

/// Takes in what the hub refused (`imports`: of the imported findings).
fn count(
    outcome: &mut SecurityHubOutcome,
    refused: crate::ports::findings::Refused,
    imports: bool,
) {
    let n: usize = refused.values().sum();
    if imports {
        outcome.imported = outcome.imported.saturating_sub(n);
    }
    outcome.failed += n;
    for (code, k) in refused {
        *outcome.failures.entry(code).or_default() += k;
    }
}
