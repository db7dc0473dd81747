//! The accounts port: the user directory of the function's own account,
//! of each member account (through the member role), and the list of the
//! Organization's accounts. The IAM adapter is in [`iam`], an in-memory one
//! in [`memory`].

use std::future::Future;
use std::sync::Arc;

use serde_json::json;

use super::{Organization, account_label, admit};
use crate::decision::SkipReason;
use crate::directory::UserDirectory;
use crate::error::Error;
use crate::logging::{self, Level};
use crate::ports::Ports;

pub mod iam;
pub mod memory;

/// Reaches the accounts the function serves.
pub trait Accounts: Send + Sync {
    type Directory: UserDirectory + 'static;

    /// The directory of the function's own account.
    fn own(&self) -> Arc<Self::Directory>;

    /// The directory of `account`, read through the member role assumed
    /// there; a role that cannot be assumed is [`Error::MemberRole`]. The
    /// same directory (and its UserId cache) serves the account for the
    /// life of the process; its credentials are renewed before they expire.
    fn member(
        &self,
        account: &str,
    ) -> impl Future<Output = Result<Arc<Self::Directory>, Error>> + Send;

    /// The ids of the Organization's ACTIVE accounts (ListAccounts). An
    /// adapter may keep the answer a few minutes.
    fn organization_accounts(&self) -> impl Future<Output = Result<Vec<String>, Error>> + Send;
}

/// The directory of one account, as an event or a sweep message reaches it.
pub struct Scope<D> {
    /// The account's id, when known (a single-account event may lack it;
    /// the handler requires it whenever the ledger is used).
    pub account: Option<String>,
    /// How mails name the account (rule 6); the id alone outside
    /// Organizations mode.
    pub label: Option<String>,
    pub directory: Arc<D>,
}

/// The accounts served (rule 4): `ACCOUNTS`, or the Organization's.
pub async fn served<A: Accounts>(org: &Organization, accounts: &A) -> Result<Vec<String>, Error> {
    match &org.accounts {
        Some(listed) => Ok(listed.clone()),
        None => accounts.organization_accounts().await,
    }
}

/// The directory an event or sweep message of `account` is read from
/// (rules 1 to 6), or why the account is not served.
pub async fn scope<P: Ports>(
    org: Option<&Organization>,
    accounts: &P::Accounts,
    account: Option<&str>,
) -> Result<Result<Scope<<P::Accounts as Accounts>::Directory>, SkipReason>, Error> {
    let Some(org) = org else {
        return Ok(Ok(Scope {
            account: account.map(str::to_string),
            label: account.map(str::to_string),
            directory: accounts.own(),
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
    }))
}
