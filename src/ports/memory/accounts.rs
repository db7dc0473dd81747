//! [`Accounts`] in memory: the function's own directory, and member
//! accounts each with its own directory. An account can be made
//! unassumable, as a member account whose role is missing or does not
//! trust the function. Calls are counted per operation (`AssumeRole`,
//! `ListAccounts`) and failures scripted.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Deref;
use std::sync::{Arc, Mutex};

use super::directory::MemoryDirectory;
use super::script::Script;
use crate::error::Error;
use crate::ports::accounts::Accounts;
use crate::sync::lock;

#[derive(Default)]
pub struct MemoryAccounts {
    own: Arc<MemoryDirectory>,
    members: Mutex<BTreeMap<String, Arc<MemoryDirectory>>>,
    /// The Organization's active accounts, as ListAccounts answers.
    organization: Mutex<Vec<String>>,
    unassumable: Mutex<BTreeSet<String>>,
    /// `AssumeRole` and `ListAccounts` (the own directory's calls are in
    /// its `script`, reached through `Deref`).
    pub calls: Script,
}

impl MemoryAccounts {
    pub fn new() -> MemoryAccounts {
        MemoryAccounts::default()
    }

    /// Adds a member account with its alias, in the Organization, and
    /// returns its directory to fill.
    #[cfg(test)]
    pub(crate) fn add_member(&self, account: &str, alias: Option<&str>) -> Arc<MemoryDirectory> {
        let directory = Arc::new(MemoryDirectory::of_account(account, alias));
        lock(&self.members).insert(account.to_string(), directory.clone());
        lock(&self.organization).push(account.to_string());
        directory
    }

    /// The directory of a member account added before.
    #[cfg(test)]
    pub(crate) fn directory_of(&self, account: &str) -> Arc<MemoryDirectory> {
        lock(&self.members)
            .get(account)
            .cloned()
            .unwrap_or_else(|| panic!("no member account {account}"))
    }

    /// The member role of `account` can no longer be assumed.
    #[cfg(test)]
    pub(crate) fn refuse_role(&self, account: &str) {
        lock(&self.unassumable).insert(account.to_string());
    }
}

/// The function's own directory, which single-account tests fill.
impl Deref for MemoryAccounts {
    type Target = MemoryDirectory;

    fn deref(&self) -> &MemoryDirectory {
        &self.own
    }
}

impl Accounts for MemoryAccounts {
    type Directory = MemoryDirectory;

    fn own(&self) -> Arc<MemoryDirectory> {
        self.own.clone()
    }

    async fn member(&self, account: &str) -> Result<Arc<MemoryDirectory>, Error> {
        self.calls.answer("AssumeRole").await?;
        let refused = |message: &str| Error::MemberRole {
            account: account.to_string(),
            message: message.to_string(),
        };
        if lock(&self.unassumable).contains(account) {
            return Err(refused("AccessDenied: the role does not trust the caller"));
        }
        lock(&self.members)
            .get(account)
            .cloned()
            .ok_or_else(|| refused("NoSuchEntity: the account has no member role"))
    }

    async fn organization_accounts(&self) -> Result<Vec<String>, Error> {
        self.calls.answer("ListAccounts").await?;
        Ok(lock(&self.organization).clone())
    }
}
