//! Which account an event, a sweep message or a digest reads, and through
//! which directory (the Organizations rules of [`organization`](crate::organization)
//! over the accounts port). A single-account deployment reads its own.

use std::sync::Arc;

use serde_json::json;

use crate::config::Config;
use crate::error::Error;
use crate::logging::{self, Level};
use crate::model::SkipReason;
use crate::organization::{Organization, account_label, admit, fan_out_targets};
use crate::ports::accounts::Accounts;
use crate::ports::directory::UserDirectory;

/// The directory and secret store of one account, as an event or a sweep
/// message reaches it.
pub struct Scope<D, S> {
    /// The account's id, when known (a single-account event may lack it;
    /// the Config flow requires it whenever the ledger is used).
    pub account: Option<String>,
    /// How mails name the account (rule 6); the id alone outside
    /// Organizations mode.
    pub label: Option<String>,
    pub directory: Arc<D>,
    /// Where a rotated key's secret goes (`ROTATE`).
    pub secrets: Arc<S>,
}

/// The accounts served (rule 4): `ACCOUNTS`, or the Organization's.
pub(crate) async fn served<A: Accounts>(
    org: &Organization,
    accounts: &A,
) -> Result<Vec<String>, Error> {
    match &org.accounts {
        Some(listed) => Ok(listed.clone()),
        None => accounts.organization_accounts().await,
    }
}

/// The directory an event or sweep message of `account` is read from
/// (rules 1 to 6), or why the account is not served.
pub(crate) async fn scope<A: Accounts>(
    org: Option<&Organization>,
    accounts: &A,
    account: Option<&str>,
) -> Result<Result<Scope<A::Directory, A::Secrets>, SkipReason>, Error> {
    let Some(org) = org else {
        // Outside Organizations mode the function serves its own account
        // only: an event naming another (anyone allowed to invoke the
        // function can write one) is not read at all.
        if let Some(named) = account
            && named != accounts.own().account_id().await?
        {
            return Ok(Err(SkipReason::AccountNotServed));
        }
        return Ok(Ok(Scope {
            account: account.map(str::to_string),
            label: account.map(str::to_string),
            directory: accounts.own(),
            secrets: accounts.own_secrets(),
        }));
    };
    let Some(account) = account else {
        return Err(Error::InvalidEvent(
            "the event names no account (`account` or `detail.awsAccountId`), which Organizations mode reads IAM from".into(),
        ));
    };
    if let Err(reason) = admit(org, &served(org, accounts).await?, account) {
        return Ok(Err(reason));
    }
    let directory = accounts.member(account).await?;
    // The alias only names the account in mails: without it the id does.
    let alias = match directory.account_alias().await {
        Ok(alias) => alias,
        Err(e) => {
            logging::log(
                Level::Warn,
                "the account alias could not be read; mails name the account by id",
                json!({"account": account, "error": e.safe_message()}),
            );
            None
        }
    };
    Ok(Ok(Scope {
        account: Some(account.to_string()),
        label: Some(account_label(account, alias.as_deref())),
        directory,
        secrets: accounts.member_secrets(account).await?,
    }))
}

/// The accounts a digest covers, and the fan-out queues: those served, less
/// the exempt; none outside Organizations mode.
pub(crate) async fn digest_accounts<A: Accounts>(
    config: &Config,
    accounts: &A,
) -> Result<Vec<String>, Error> {
    let Some(org) = &config.organization else {
        return Ok(Vec::new());
    };
    let served = served(org, accounts).await?;
    Ok(fan_out_targets(org, &served).0)
}
