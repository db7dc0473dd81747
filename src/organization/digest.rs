//! The Organization's digest: one mail to `DIGEST_RECIPIENTS` after the
//! day's per-account sweeps, every account served on one page, worst
//! first ([`worst_first`]), with the accounts whose sweep left no summary
//! at the top.
//!
//! A second schedule sends it (a scheduled event whose `detail.run` is
//! `digest`), some time after the fan-out on the same day: the sweeps run
//! in parallel, each in its own invocation, and no one of them knows when
//! the last has finished. It reads the summaries of today's run from the
//! ledger, one GetItem per account, a few at a time.

use chrono::NaiveDate;
use futures_util::StreamExt;
use serde::Serialize;

use super::fanout::digest_accounts;
use super::summary::{AccountState, AccountSummary, worst_first};
use crate::clock::Clock;
use crate::error::Error;
use crate::handler::Deps;
use crate::ledger::NoticeLedger;
use crate::mail;
use crate::mailer::{Mail, Mailer};
use crate::ports::Ports;

/// Summaries read at once.
const READS_AT_ONCE: usize = 16;

/// What the Organization's digest says.
#[derive(Debug, Clone)]
pub struct OrganizationView {
    pub today: String,
    pub time_zone: String,
    pub dry_run: bool,
    pub accounts: usize,
    pub not_swept: Vec<String>,
    pub swept: Vec<AccountSummary>,
    pub overdue: usize,
    pub within_tier: usize,
    pub notices_sent: usize,
    pub deactivated: usize,
    pub users_failed: usize,
}

impl OrganizationView {
    /// The view of `states`, ordered worst first.
    pub fn new(mut states: Vec<AccountState>, today: &str, time_zone: &str, dry_run: bool) -> Self {
        worst_first(&mut states);
        let mut view = OrganizationView {
            today: today.to_string(),
            time_zone: time_zone.to_string(),
            dry_run,
            accounts: states.len(),
            not_swept: Vec::new(),
            swept: Vec::new(),
            overdue: 0,
            within_tier: 0,
            notices_sent: 0,
            deactivated: 0,
            users_failed: 0,
        };
        for state in states {
            match state {
                AccountState::NotSwept { account } => view.not_swept.push(account),
                AccountState::Swept(s) => {
                    view.overdue += s.overdue;
                    view.within_tier += s.within_tier;
                    view.notices_sent += s.notices_sent;
                    view.deactivated += s.deactivated;
                    view.users_failed += s.users_failed;
                    view.swept.push(s);
                }
            }
        }
        view
    }
}

crate::mail::localized_mail!(
    OrganizationView,
    d,
    en: ["org_digest/en/subject.txt", "org_digest/en/body.txt", "org_digest/en/body.html"],
    ja: ["org_digest/ja/subject.txt", "org_digest/ja/body.txt", "org_digest/ja/body.html"],
);

/// Where `account` stands in the run: its summary, or not swept. An
/// unreadable summary counts as missing: the table is the function's own,
/// so it means damage, and "not swept" is the honest line for it.
async fn read_state<L: NoticeLedger>(
    ledger: &L,
    run: NaiveDate,
    account: String,
) -> Result<AccountState, Error> {
    let text = ledger.summary(run, &account).await?;
    let summary = text.and_then(|t| serde_json::from_str::<AccountSummary>(&t).ok());
    Ok(match summary {
        Some(s) if s.account == account => AccountState::Swept(s),
        _ => AccountState::NotSwept { account },
    })
}

/// What the digest event did.
#[derive(Debug, Clone, Serialize)]
pub struct OrganizationDigestOutcome {
    pub kind: &'static str,
    pub run: String,
    pub accounts: usize,
    pub not_swept: Vec<String>,
    /// `sent`, `dry_run`, `failed`, or `no_recipients`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The rendered digest; not part of the JSON.
    #[serde(skip)]
    pub rendered: Option<mail::Rendered>,
}

/// Reads today's summaries of every account served and mails the
/// Organization's digest. Listing the accounts or reading a summary
/// failing is a retryable error (the digest would be wrong); a mail that
/// fails is too.
pub async fn send<P: Ports>(deps: &Deps<P>) -> Result<OrganizationDigestOutcome, Error> {
    let config = &deps.config;
    let Some(ledger) = &deps.ledger else {
        return Err(Error::NoLedger);
    };
    let now = deps.clock.now();
    let run = config.policy.date_of(now);
    let accounts = digest_accounts(deps).await?;
    let read = futures_util::stream::iter(accounts)
        .map(|account| read_state(ledger, run, account))
        .buffer_unordered(READS_AT_ONCE)
        .collect::<Vec<_>>()
        .await;
    let states = read.into_iter().collect::<Result<Vec<_>, _>>()?;
    let view = OrganizationView::new(
        states,
        &mail::iso(run),
        config.policy.time_zone.name(),
        config.dry_run,
    );
    let mut outcome = OrganizationDigestOutcome {
        kind: "organization_digest",
        run: run.to_string(),
        accounts: view.accounts,
        not_swept: view.not_swept.clone(),
        status: "no_recipients",
        message_id: None,
        error: None,
        rendered: None,
    };
    if config.digest_recipients.is_empty() {
        return Ok(outcome);
    }
    let locale = config.policy.default_locale;
    let rendered = render(&view, locale)?;
    if config.dry_run {
        outcome.status = "dry_run";
    } else {
        let message = Mail::new(
            config,
            &config.digest_recipients,
            &[],
            &rendered,
            vec![("notice_source".into(), "organization_digest".into())],
        );
        outcome.message_id = Some(deps.mailer.send(&message).await?);
        outcome.status = "sent";
    }
    outcome.rendered = Some(rendered);
    Ok(outcome)
}
