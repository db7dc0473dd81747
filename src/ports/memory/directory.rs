//! [`UserDirectory`] in memory, for the flow tests, the bench and the demo.
//!
//! It behaves like the IAM adapter where that matters to the flows: a
//! UserId, once resolved, is answered from a cache that does not see later
//! renames until [`forget`](UserDirectory::forget) is called, as in a warm
//! Lambda container. Calls are counted and failures scripted per IAM
//! operation (`ListUsers`, `GetUser`, `ListAccessKeys`,
//! `GetAccessKeyLastUsed`, `GetCallerIdentity`, `ListAccountAliases`,
//! `UpdateAccessKey`, `GetLoginProfile`, `GetAccountPasswordPolicy`,
//! `DeleteLoginProfile`, and `GetCredentialReport` for the whole report), each of
//! which can be made slow. A user's keys can be set to change right after
//! the next listing (`MemoryDirectory::change_keys_after_listing`), as a
//! rotation between a decision and the action on it would.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use super::script::Script;
use crate::credential_report::{CredentialReport, ReportKey, ReportUser};
use crate::error::Error;
use crate::model::{AccessKey, ConsolePassword, LastUsed, PasswordPolicy, Tag, User};
use crate::ports::directory::{
    ListedUser, MAX_ACCESS_KEYS, NewAccessKey, UserDirectory, too_many_keys,
};
use crate::sync::lock;
use secrecy::SecretString;

/// The account the in-memory directory says it reads.
pub(crate) const ACCOUNT_ID: &str = "123456789012";

#[derive(Debug, Clone)]
struct Stored {
    id: String,
    name: String,
    /// Long before any report: every in-memory report has the user's row.
    created: DateTime<Utc>,
    tags: Vec<Tag>,
    keys: Vec<(AccessKey, LastUsed)>,
    /// The console password: when its login profile was created, and
    /// what the credential report says of it.
    password: Option<(DateTime<Utc>, ConsolePassword)>,
}

impl Stored {
    fn new(
        id: &str,
        name: &str,
        tags: &[(&str, &str)],
        keys: Vec<(AccessKey, LastUsed)>,
    ) -> Stored {
        Stored {
            id: id.to_string(),
            name: name.to_string(),
            created: DateTime::UNIX_EPOCH,
            tags: tags
                .iter()
                .map(|(k, v)| Tag {
                    key: k.to_string(),
                    value: v.to_string(),
                })
                .collect(),
            keys,
            password: None,
        }
    }
}

#[derive(Default)]
pub struct MemoryDirectory {
    users: Mutex<Vec<Stored>>,
    /// UserId → name, as a warm container remembers it.
    cache: Mutex<HashMap<String, String>>,
    /// A user's keys after their next listing.
    after_listing: Mutex<HashMap<String, Vec<(AccessKey, LastUsed)>>>,
    /// A name handed to a newcomer right after its next GetUser: the
    /// current holder's new name, and the newcomer.
    after_get: Mutex<HashMap<String, (String, Stored)>>,
    /// Each deactivation: (user name, key id).
    deactivated: Mutex<Vec<(String, String)>>,
    /// The account it reads; [`ACCOUNT_ID`] unless made `of_account`.
    account: Option<String>,
    alias: Mutex<Option<String>>,
    /// GetCallerIdentity was answered: like IAM's adapter, the account id
    /// is asked once.
    identified: Mutex<bool>,
    /// The credential report holds only this many users' rows (a report
    /// cut short at a row boundary).
    report_rows: Mutex<Option<usize>>,
    /// When keys created here are created (the epoch until set).
    now: Mutex<DateTime<Utc>>,
    /// Keys created so far, for ids and secrets of their own.
    created: Mutex<u32>,
    /// The account's password policy.
    password_policy: Mutex<Option<PasswordPolicy>>,
    /// Each removed console password: the user's name.
    passwords_removed: Mutex<Vec<String>>,
    pub script: Script,
}

impl MemoryDirectory {
    pub fn new() -> MemoryDirectory {
        MemoryDirectory::default()
    }

    /// A directory of the account `account`, whose alias is `alias`.
    #[cfg(test)]
    pub(crate) fn of_account(account: &str, alias: Option<&str>) -> MemoryDirectory {
        MemoryDirectory {
            account: Some(account.to_string()),
            alias: Mutex::new(alias.map(str::to_string)),
            ..MemoryDirectory::default()
        }
    }

    /// Adds a user with its tags (key, value) and keys (each with its last use).
    pub fn add_user(
        &self,
        id: &str,
        name: &str,
        tags: &[(&str, &str)],
        keys: Vec<(AccessKey, LastUsed)>,
    ) {
        lock(&self.users).push(Stored::new(id, name, tags, keys));
    }

    /// Renames a user, as `iam update-user --new-user-name` does; the cache
    /// is not told.
    pub(crate) fn rename(&self, from: &str, to: &str) {
        for u in lock(&self.users).iter_mut().filter(|u| u.name == from) {
            u.name = to.to_string();
        }
    }

    /// Sets the user's tag `key` to `value`, as `iam tag-user` does.
    #[cfg(test)]
    pub(crate) fn set_tag(&self, name: &str, key: &str, value: &str) {
        for u in lock(&self.users).iter_mut().filter(|u| u.name == name) {
            u.tags.retain(|t| t.key != key);
            u.tags.push(Tag {
                key: key.to_string(),
                value: value.to_string(),
            });
        }
    }

    /// Replaces a user's keys (a rotation, a deactivation).
    pub(crate) fn set_keys(&self, name: &str, keys: Vec<(AccessKey, LastUsed)>) {
        for u in lock(&self.users).iter_mut().filter(|u| u.name == name) {
            u.keys = keys.clone();
        }
    }

    /// The next listing of `name`'s keys answers as before; right after it,
    /// the user's keys become `keys`.
    #[cfg(test)]
    pub(crate) fn change_keys_after_listing(&self, name: &str, keys: Vec<(AccessKey, LastUsed)>) {
        lock(&self.after_listing).insert(name.to_string(), keys);
    }

    /// Right after the next GetUser of `name` is answered, the user is
    /// renamed `renamed_to` and a newcomer (`id`, `tags`, `keys`) takes the
    /// name: the rename race a reading of IAM can fall into.
    pub fn hand_name_over_after_get(
        &self,
        name: &str,
        renamed_to: &str,
        id: &str,
        tags: &[(&str, &str)],
        keys: Vec<(AccessKey, LastUsed)>,
    ) {
        let newcomer = Stored::new(id, name, tags, keys);
        lock(&self.after_get).insert(name.to_string(), (renamed_to.to_string(), newcomer));
    }

    /// The time keys are created at from now on.
    pub fn set_now(&self, now: DateTime<Utc>) {
        *lock(&self.now) = now;
    }

    /// Credential reports hold only the first `rows` users' rows, as a
    /// report cut at a row boundary would.
    #[cfg(test)]
    pub(crate) fn cut_reports_after(&self, rows: usize) {
        *lock(&self.report_rows) = Some(rows);
    }

    /// The key `key_id` was used at `at` (by `s3`, in `us-east-1`).
    #[cfg(test)]
    pub(crate) fn use_key(&self, key_id: &str, at: DateTime<Utc>) {
        for u in lock(&self.users).iter_mut() {
            for (k, used) in u.keys.iter_mut().filter(|(k, _)| k.id == key_id) {
                k.last_used = None;
                *used = LastUsed {
                    time: Some(at),
                    service: Some("s3".into()),
                    region: Some("us-east-1".into()),
                };
            }
        }
    }

    /// Gives `name` a console password whose login profile was created
    /// at `created`, as `password` says of it (over any it had).
    pub fn set_password(&self, name: &str, created: DateTime<Utc>, password: ConsolePassword) {
        for u in lock(&self.users).iter_mut().filter(|u| u.name == name) {
            u.password = Some((created, password.clone()));
        }
    }

    /// The account's password policy from now on.
    pub fn set_password_policy(&self, policy: Option<PasswordPolicy>) {
        *lock(&self.password_policy) = policy;
    }

    /// Every console password removed so far, by user name.
    pub fn passwords_removed(&self) -> Vec<String> {
        lock(&self.passwords_removed).clone()
    }

    /// Whether `name` has a console password now.
    pub fn has_password(&self, name: &str) -> bool {
        self.find(name, |u| u.password.is_some()).unwrap_or(false)
    }

    /// Every deactivation so far, in order: (user name, key id).
    pub fn deactivated(&self) -> Vec<(String, String)> {
        lock(&self.deactivated).clone()
    }

    /// A user's keys now.
    pub fn keys_of(&self, name: &str) -> Vec<AccessKey> {
        self.find(name, |u| u.keys.iter().map(|(k, _)| k.clone()).collect())
            .unwrap_or_default()
    }

    /// Deletes a user; the cache is not told.
    pub fn remove(&self, name: &str) {
        lock(&self.users).retain(|u| u.name != name);
    }

    fn find<T>(&self, name: &str, f: impl FnOnce(&Stored) -> T) -> Option<T> {
        lock(&self.users).iter().find(|u| u.name == name).map(f)
    }
}

impl UserDirectory for MemoryDirectory {
    async fn user_name(&self, user_id: &str) -> Result<Option<String>, Error> {
        if let Some(name) = lock(&self.cache).get(user_id) {
            return Ok(Some(name.clone()));
        }
        self.script.answer("ListUsers").await?;
        let users = lock(&self.users);
        let mut cache = lock(&self.cache);
        for u in users.iter() {
            cache.insert(u.id.clone(), u.name.clone());
        }
        Ok(cache.get(user_id).cloned())
    }

    fn forget(&self, user_id: &str) {
        lock(&self.cache).remove(user_id);
    }

    async fn user(&self, user_name: &str) -> Result<Option<User>, Error> {
        self.script.answer("GetUser").await?;
        let found = self.find(user_name, |u| User {
            id: u.id.clone(),
            name: u.name.clone(),
            arn: format!(
                "arn:aws:iam::{}:user/{}",
                self.account.as_deref().unwrap_or("123456789012"),
                u.name
            ),
            tags: u.tags.clone(),
            password_last_used: u.password.as_ref().and_then(|(_, p)| p.last_used.time),
        });
        if let Some((renamed_to, newcomer)) = lock(&self.after_get).remove(user_name) {
            self.rename(user_name, &renamed_to);
            lock(&self.users).push(newcomer);
        }
        Ok(found)
    }

    async fn access_keys(&self, user_name: &str) -> Result<Option<Vec<AccessKey>>, Error> {
        self.script.answer("ListAccessKeys").await?;
        let listed: Option<Vec<AccessKey>> = self.find(user_name, |u| {
            u.keys.iter().map(|(k, _)| k.clone()).collect()
        });
        if let Some(keys) = lock(&self.after_listing).remove(user_name) {
            self.set_keys(user_name, keys);
        }
        match listed {
            Some(keys) if keys.len() > MAX_ACCESS_KEYS => Err(too_many_keys(keys.len())),
            listed => Ok(listed),
        }
    }

    async fn list_users(&self) -> Result<Vec<ListedUser>, Error> {
        self.script.answer("ListUsers").await?;
        Ok(lock(&self.users)
            .iter()
            .map(|u| ListedUser {
                name: u.name.clone(),
                id: u.id.clone(),
                created: u.created,
            })
            .collect())
    }

    async fn account_id(&self) -> Result<String, Error> {
        if !*lock(&self.identified) {
            self.script.answer("GetCallerIdentity").await?;
            *lock(&self.identified) = true;
        }
        Ok(self.account.as_deref().unwrap_or(ACCOUNT_ID).to_string())
    }

    async fn account_alias(&self) -> Result<Option<String>, Error> {
        self.script.answer("ListAccountAliases").await?;
        Ok(lock(&self.alias).clone())
    }

    async fn credential_report(&self, now: DateTime<Utc>) -> Result<CredentialReport, Error> {
        self.script.answer("GetCredentialReport").await?;
        let users = lock(&self.users);
        let rows = lock(&self.report_rows).unwrap_or(usize::MAX);
        Ok(CredentialReport {
            generated: now,
            users: users
                .iter()
                .take(rows)
                .map(|u| ReportUser {
                    name: u.name.clone(),
                    arn: format!("arn:aws:iam::{ACCOUNT_ID}:user/{}", u.name),
                    keys: u
                        .keys
                        .iter()
                        .map(|(k, used)| ReportKey {
                            active: k.active,
                            last_rotated: k.created,
                            last_used: Some(used.clone()),
                        })
                        .collect(),
                    password: u.password.as_ref().map(|(_, p)| p.clone()),
                })
                .collect(),
            root_key_active: false,
        })
    }

    async fn last_used(&self, key_id: &str) -> Result<LastUsed, Error> {
        self.script.answer("GetAccessKeyLastUsed").await?;
        let users = lock(&self.users);
        let found = users
            .iter()
            .flat_map(|u| u.keys.iter())
            .find(|(k, _)| k.id == key_id);
        match found {
            Some((_, used)) => Ok(used.clone()),
            None => Err(Error::Aws {
                service: "IAM",
                operation: "GetAccessKeyLastUsed",
                code: Some("AccessDenied".into()),
                message: "no such key".into(),
                retryable: false,
            }),
        }
    }
    async fn create_access_key(&self, user_name: &str) -> Result<NewAccessKey, Error> {
        self.script.answer("CreateAccessKey").await?;
        let now = *lock(&self.now);
        let n = {
            let mut created = lock(&self.created);
            *created += 1;
            *created
        };
        let key = AccessKey {
            id: format!("AKIAMEMORYNEWKEY{n:04}"),
            active: true,
            created: now,
            last_used: None,
        };
        let mut users = lock(&self.users);
        let Some(user) = users.iter_mut().find(|u| u.name == user_name) else {
            return Err(Error::Aws {
                service: "IAM",
                operation: "CreateAccessKey",
                code: Some("NoSuchEntity".into()),
                message: "no such user".into(),
                retryable: false,
            });
        };
        if user.keys.len() >= 2 {
            return Err(Error::Aws {
                service: "IAM",
                operation: "CreateAccessKey",
                code: Some("LimitExceeded".into()),
                message: "Cannot exceed quota for AccessKeysPerUser: 2".into(),
                retryable: false,
            });
        }
        user.keys.push((key.clone(), LastUsed::default()));
        Ok(NewAccessKey {
            id: key.id,
            created: now,
            secret: SecretString::from(format!("memory-secret-of-{n:04}-never-to-be-seen")),
        })
    }

    async fn login_profile(&self, user_name: &str) -> Result<Option<DateTime<Utc>>, Error> {
        self.script.answer("GetLoginProfile").await?;
        Ok(self
            .find(user_name, |u| {
                u.password.as_ref().map(|(created, _)| *created)
            })
            .flatten())
    }

    async fn password_policy(&self) -> Result<Option<PasswordPolicy>, Error> {
        self.script.answer("GetAccountPasswordPolicy").await?;
        Ok(*lock(&self.password_policy))
    }

    async fn delete_login_profile(&self, user_name: &str) -> Result<(), Error> {
        self.script.answer("DeleteLoginProfile").await?;
        let mut users = lock(&self.users);
        match users
            .iter_mut()
            .find(|u| u.name == user_name && u.password.is_some())
        {
            Some(u) => {
                u.password = None;
                lock(&self.passwords_removed).push(user_name.to_string());
                Ok(())
            }
            None => Err(Error::Aws {
                service: "IAM",
                operation: "DeleteLoginProfile",
                code: Some("NoSuchEntity".into()),
                message: "no login profile for this user".into(),
                retryable: false,
            }),
        }
    }

    async fn deactivate_key(&self, user_name: &str, key_id: &str) -> Result<(), Error> {
        self.script.answer("UpdateAccessKey").await?;
        let mut users = lock(&self.users);
        let key = users
            .iter_mut()
            .filter(|u| u.name == user_name)
            .flat_map(|u| u.keys.iter_mut())
            .find(|(k, _)| k.id == key_id);
        match key {
            Some((k, _)) => {
                k.active = false;
                lock(&self.deactivated).push((user_name.to_string(), key_id.to_string()));
                Ok(())
            }
            None => Err(Error::Aws {
                service: "IAM",
                operation: "UpdateAccessKey",
                code: Some("NoSuchEntity".into()),
                message: "no such key for this user".into(),
                retryable: false,
            }),
        }
    }
}
