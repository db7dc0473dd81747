//! Both digests: an account's, after its sweep, and the Organization's,
//! from the day's per-account summaries. Each renders its own view once
//! ([`digest`](crate::views::mail::digest), [`org_digest`](crate::views::mail::org_digest))
//! and goes out through the same [`deliver`]: nothing in a dry run, one
//! SendEmail to `DIGEST_RECIPIENTS` otherwise.
//!
//! The Organization's digest is sent by a second schedule (a scheduled
//! event whose `detail.run` is `digest`), some time after the fan-out on
//! the same day: the sweeps run in parallel, each in its own invocation,
//! and no one of them knows when the last has finished. It reads the
//! summaries of today's run from the ledger, one GetItem per account, a few
//! at a time.

use chrono::NaiveDate;
use futures_util::StreamExt;

use super::Deps;
use super::scope::digest_accounts;
use crate::calendar;
use crate::clock::Clock;
use crate::config::Config;
use crate::error::Error;
use crate::outcome::MailStatus;
use crate::outcome::fanout::OrganizationDigestOutcome;
use crate::outcome::report::Report;
use crate::outcome::summary::{AccountState, AccountSummary};
use crate::outcome::sweep::{DigestOutcome, SweepOutcome};
use crate::ports::Ports;
use crate::ports::ledger::NoticeLedger;
use crate::ports::mailer::{Mail, Mailer};
use crate::views::mail::digest::DigestView;
use crate::views::mail::org_digest::OrganizationView;
use crate::views::mail::{self, Rendered};

/// A digest not sent by the end of the sweep's budget.
pub(crate) const OUT_OF_TIME: &str = "the digest was not sent within the sweep's time budget";

/// Summaries read at once.
const READS_AT_ONCE: usize = 16;

/// The one way a rendered digest leaves: in a dry run not at all (`None`),
/// otherwise one mail to `DIGEST_RECIPIENTS`, tagged `notice_source`
/// = `source`, whose message id is returned.
async fn deliver<M: Mailer>(
    config: &Config,
    mailer: &M,
    rendered: &Rendered,
    source: &str,
) -> Result<Option<String>, Error> {
    if config.dry_run {
        return Ok(None);
    }
    let mail = Mail::new(
        config,
        &config.digest_recipients,
        &[],
        rendered,
        vec![("notice_source".into(), source.into())],
    );
    mailer.send(&mail).await.map(Some)
}

/// Renders and sends (or, in a dry run, only renders) an account's digest.
/// A digest that fails, or is not sent by `end` (the sweep's budget), is
/// reported in the outcome; the sweep's notices stand.
pub(crate) async fn account_digest<M: Mailer>(
    config: &Config,
    mailer: &M,
    report: &Report,
    outcome: &SweepOutcome,
    end: Option<tokio::time::Instant>,
) -> DigestOutcome {
    let locale = config.policy.default_locale;
    let failed = |error: String, rendered| DigestOutcome {
        status: MailStatus::Failed,
        message_id: None,
        error: Some(error),
        rendered,
    };
    let view = DigestView::new(report, outcome, locale);
    let rendered = match mail::digest::render(&view, locale) {
        Ok(r) => r,
        Err(e) => return failed(Error::Render(e).safe_message(), None),
    };
    let sent = deliver(config, mailer, &rendered, "digest");
    let sent = match end {
        Some(end) => match tokio::time::timeout_at(end, sent).await {
            Ok(sent) => sent,
            Err(_) => return failed(OUT_OF_TIME.into(), Some(rendered)),
        },
        None => sent.await,
    };
    match sent {
        Ok(message_id) => DigestOutcome {
            status: if message_id.is_some() {
                MailStatus::Sent
            } else {
                MailStatus::DryRun
            },
            message_id,
            error: None,
            rendered: Some(rendered),
        },
        Err(e) => failed(e.safe_message(), Some(rendered)),
    }
}

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

/// Reads today's summaries of every account served and mails the
/// Organization's digest. Listing the accounts or reading a summary
/// failing is a retryable error (the digest would be wrong); a mail that
/// fails is too.
pub(crate) async fn organization_digest<P: Ports>(
    deps: &Deps<P>,
) -> Result<OrganizationDigestOutcome, Error> {
    let config = &deps.config;
    let Some(ledger) = &deps.ledger else {
        return Err(Error::NoLedger);
    };
    let run = config.policy.date_of(deps.clock.now());
    let accounts = digest_accounts(config, &deps.accounts).await?;
    let read = futures_util::stream::iter(accounts)
        .map(|account| read_state(ledger, run, account))
        .buffer_unordered(READS_AT_ONCE)
        .collect::<Vec<_>>()
        .await;
    let states = read.into_iter().collect::<Result<Vec<_>, _>>()?;
    let view = OrganizationView::new(
        states,
        &calendar::iso(run),
        config.policy.time_zone.name(),
        config.dry_run,
    );
    let mut outcome = OrganizationDigestOutcome {
        kind: "organization_digest",
        run: run.to_string(),
        accounts: view.accounts,
        not_swept: view.not_swept.clone(),
        status: MailStatus::NoRecipients,
        message_id: None,
        error: None,
        chat: None,
        rendered: None,
    };
    // One Organization-wide chat summary, whatever becomes of the mail.
    let summary = crate::views::chat::organization(&view, config.chat_locale);
    outcome.chat = super::publish::publish(config, deps.chat.as_ref(), vec![summary], None).await;
    if config.digest_recipients.is_empty() {
        return Ok(outcome);
    }
    let rendered = mail::org_digest::render(&view, config.policy.default_locale)?;
    outcome.message_id = deliver(config, &deps.mailer, &rendered, "organization_digest").await?;
    outcome.status = if outcome.message_id.is_some() {
        MailStatus::Sent
    } else {
        MailStatus::DryRun
    };
    outcome.rendered = Some(rendered);
    Ok(outcome)
}
