//! The accounts port: the user directory and the secret store of the
//! function's own account (every deployment has one), of each member
//! account (Organizations mode, through the member role), and the list of
//! the Organization's accounts.
//! The IAM adapter is `aws::accounts`, an in-memory one
//! `ports::memory::accounts`.

use std::future::Future;
use std::sync::Arc;

use crate::error::Error;
use crate::ports::directory::UserDirectory;
use crate::ports::findings::FindingsHub;
use crate::ports::secrets::SecretStore;

/// Reaches the accounts the function serves.
pub trait Accounts: Send + Sync {
    type Directory: UserDirectory + 'static;
    type Secrets: SecretStore + 'static;
    type Findings: FindingsHub + 'static;

    /// The directory of the function's own account.
    fn own(&self) -> Arc<Self::Directory>;

    /// The secret store of the function's own account (rotation).
    fn own_secrets(&self) -> Arc<Self::Secrets>;

    /// The directory of `account`, read through the member role assumed
    /// there; a role that cannot be assumed is [`Error::MemberRole`]. The
    /// same directory (and its UserId cache) serves the account for the
    /// life of the process; its credentials are renewed before they expire.
    fn member(
        &self,
        account: &str,
    ) -> impl Future<Output = Result<Arc<Self::Directory>, Error>> + Send;

    /// The secret store of `account`, written through the member role
    /// (rotation in Organizations mode: a member's secrets live in the
    /// member account); a role that cannot be assumed is
    /// [`Error::MemberRole`].
    fn member_secrets(
        &self,
        account: &str,
    ) -> impl Future<Output = Result<Arc<Self::Secrets>, Error>> + Send;

    /// The ids of the Organization's ACTIVE accounts (ListAccounts). An
    /// adapter may keep the answer a few minutes.
    /// Where `account`'s Security Hub findings go: the function's own hub
    /// in a single account, the member account's (through its member role)
    /// in Organizations mode.
    fn findings(
        &self,
        account: &str,
    ) -> impl Future<Output = Result<Arc<Self::Findings>, Error>> + Send;

    fn organization_accounts(&self) -> impl Future<Output = Result<Vec<String>, Error>> + Send;
}
