//! [`Accounts`] in memory: the function's own directory, and member
//! accounts each with its own directory. An account can be made
//! unassumable, as a member account whose role is missing or does not
//! trust the function. Calls are counted per operation (`AssumeRole`,
//! `ListAccounts`) and failures scripted.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Deref;
use std::sync::{Arc, Mutex};

use super::directory::{ACCOUNT_ID, MemoryDirectory};
use super::findings::MemoryFindings;
use super::script::Script;
use super::secrets::MemorySecrets;
use crate::error::Error;
use crate::ports::accounts::Accounts;
use crate::sync::lock;

pub struct MemoryAccounts {
    own: Arc<MemoryDirectory>,
    own_secrets: Arc<MemorySecrets>,
    members: Mutex<BTreeMap<String, Arc<MemoryDirectory>>>,
    member_secrets: Mutex<BTreeMap<String, Arc<MemorySecrets>>>,
    /// Each account's Security Hub findings.
    findings: Mutex<BTreeMap<String, Arc<MemoryFindings>>>,
    /// The Organization's active accounts, as ListAccounts answers.
    organization: Mutex<Vec<String>>,
    unassumable: Mutex<BTreeSet<String>>,
    /// `AssumeRole` and `ListAccounts` (the own directory's calls are in
    /// its `script`, reached through `Deref`).
    pub calls: Script,
}

impl Default for MemoryAccounts {
    fn default() -> MemoryAccounts {
        MemoryAccounts {
            own: Arc::default(),
            own_secrets: Arc::new(MemorySecrets::new(ACCOUNT_ID)),
            members: Mutex::default(),
            member_secrets: Mutex::default(),
            findings: Mutex::default(),
            organization: Mutex::default(),
            unassumable: Mutex::default(),
            calls: Script::default(),
        }
    }
}

impl MemoryAccounts {
    pub fn new() -> MemoryAccounts {
        MemoryAccounts::default()
    }

    /// The Security Hub findings of `account`.
    pub fn findings_of(&self, account: &str) -> Arc<MemoryFindings> {
        lock(&self.findings)
            .entry(account.to_string())
            .or_insert_with(|| Arc::new(MemoryFindings::new()))
            .clone()
    }

    /// The secret store of the function's own account.
    pub fn secrets(&self) -> Arc<MemorySecrets> {
        self.own_secrets.clone()
    }

    /// The time keys are created and secrets stored at, in every account,
    /// from now on (the flows' clock is the test's own).
    pub fn set_now(&self, now: chrono::DateTime<chrono::Utc>) {
        self.own.set_now(now);
        self.own_secrets.set_now(now);
        for d in lock(&self.members).values() {
            d.set_now(now);
        }
        for s in lock(&self.member_secrets).values() {
            s.set_now(now);
        }
    }

    /// Adds a member account with its alias, in the Organization, and
    /// returns its directory to fill.
    #[cfg(test)]
    pub(crate) fn add_member(&self, account: &str, alias: Option<&str>) -> Arc<MemoryDirectory> {
        let directory = Arc::new(MemoryDirectory::of_account(account, alias));
        lock(&self.members).insert(account.to_string(), directory.clone());
        lock(&self.member_secrets)
            .insert(account.to_string(), Arc::new(MemorySecrets::new(account)));
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

    /// The secret store of a member account added before.
    #[cfg(test)]
    pub(crate) fn secrets_of(&self, account: &str) -> Arc<MemorySecrets> {
        lock(&self.member_secrets)
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
    type Secrets = MemorySecrets;
    type Findings = MemoryFindings;

    async fn findings(&self, account: &str) -> Result<Arc<MemoryFindings>, Error> {
        Ok(self.findings_of(account))
    }

    fn own(&self) -> Arc<MemoryDirectory> {
        self.own.clone()
    }

    fn own_secrets(&self) -> Arc<MemorySecrets> {
        self.own_secrets.clone()
    }

    async fn member_secrets(&self, account: &str) -> Result<Arc<MemorySecrets>, Error> {
        self.member(account).await?;
        lock(&self.member_secrets)
            .get(account)
            .cloned()
            .ok_or_else(|| Error::MemberRole {
                account: account.to_string(),
                message: "NoSuchEntity: the account has no member role".into(),
            })
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
