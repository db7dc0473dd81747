//! The user directory port: what the flows need to know about IAM users,
//! and the one change enforcement makes to them. The IAM adapter is
//! `aws::iam`, an in-memory one `ports::memory::directory`.

use std::future::Future;

use crate::credential_report::CredentialReport;
use crate::error::Error;
use crate::model::{AccessKey, LastUsed, PasswordPolicy, User};

/// The most keys [`UserDirectory::access_keys`] lists for one user. IAM
/// allows 2 per user, so a listing of more is a damaged answer, refused by
/// every directory as a retryable error (never judged): it bounds the keys
/// one notice lists and the last-use lookups one notice makes.
pub(crate) const MAX_ACCESS_KEYS: usize = 10;

/// The error of a listing of `listed` keys, more than [`MAX_ACCESS_KEYS`].
pub(crate) fn too_many_keys(listed: usize) -> Error {
    Error::damaged(
        "IAM",
        "ListAccessKeys",
        format!(
            "{listed} keys listed for one user, where IAM allows 2 (at most {MAX_ACCESS_KEYS} are taken as real): the answer is damaged"
        ),
    )
}

/// A user as ListUsers lists it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ListedUser {
    pub name: String,
    /// The UserId (`AIDA…`).
    pub id: String,
    /// When the user was created: a credential report generated after
    /// it must have its row.
    pub created: chrono::DateTime<chrono::Utc>,
}

/// A key just created: its secret access key is a [`SecretString`](secrecy::SecretString), which
/// no `Debug`, `Display` or `Serialize` shows and which is zeroed when
/// dropped.
pub struct NewAccessKey {
    pub id: String,
    pub created: chrono::DateTime<chrono::Utc>,
    pub secret: secrecy::SecretString,
}

/// Reads IAM users. Every method reports "no such user" as `Ok(None)` and
/// keeps `Err` for failures worth reporting (and maybe retrying).
pub trait UserDirectory: Send + Sync {
    /// The user name of the user whose UserId (`AIDA…`) is `user_id`. The
    /// answer may come from a cache and be stale: the caller compares the
    /// id GetUser returns and calls [`forget`](UserDirectory::forget) on a
    /// mismatch.
    fn user_name(
        &self,
        user_id: &str,
    ) -> impl Future<Output = Result<Option<String>, Error>> + Send;

    /// Drops what is remembered about `user_id`, after its name turned out
    /// to be stale (the user was renamed or deleted).
    fn forget(&self, user_id: &str);

    /// The user named `user_name`: its id and tags.
    fn user(&self, user_name: &str) -> impl Future<Output = Result<Option<User>, Error>> + Send;

    /// The user's access keys, active and inactive: at most
    /// [`MAX_ACCESS_KEYS`] of them, a longer listing being a damaged answer
    /// (a retryable error), so no caller has to bound it.
    fn access_keys(
        &self,
        user_name: &str,
    ) -> impl Future<Output = Result<Option<Vec<AccessKey>>, Error>> + Send;

    /// Every user of the account, as one bounded listing (the sweep).
    fn list_users(&self) -> impl Future<Output = Result<Vec<ListedUser>, Error>> + Send;
    /// The id of the account this directory reads: outside Organizations
    /// mode, the only account an event may name, and the one the sweep's
    /// ledger records are kept under when the event does not name it. Read
    /// once (STS GetCallerIdentity) and then remembered for the life of the
    /// process.
    fn account_id(&self) -> impl Future<Output = Result<String, Error>> + Send;
    /// The account's alias (IAM ListAccountAliases; an account has at most
    /// one), `None` when it has none. Organizations mode names accounts
    /// with it in mails.
    fn account_alias(&self) -> impl Future<Output = Result<Option<String>, Error>> + Send;
    /// The account's IAM credential report as it stands at `now`: one row
    /// per user with both key slots' state, creation and last use
    /// (GenerateCredentialReport until it is complete, then
    /// GetCredentialReport), refused when older than
    /// [`credential_report::MAX_AGE`](crate::credential_report::MAX_AGE).
    fn credential_report(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> impl Future<Output = Result<CredentialReport, Error>> + Send;

    /// When and by which service the key was last used.
    fn last_used(&self, key_id: &str) -> impl Future<Output = Result<LastUsed, Error>> + Send;

    /// Creates a new access key for `user_name` (rotation, only when
    /// `ROTATE=true`): its id, its creation, and its secret access key,
    /// which goes nowhere but the secret store.
    fn create_access_key(
        &self,
        user_name: &str,
    ) -> impl Future<Output = Result<NewAccessKey, Error>> + Send;

    /// When the console password of `user_name` was set (GetLoginProfile's
    /// CreateDate); `None` when the user has no password.
    fn login_profile(
        &self,
        user_name: &str,
    ) -> impl Future<Output = Result<Option<chrono::DateTime<chrono::Utc>>, Error>> + Send;

    /// The account's password policy, the parts that date a password
    /// (GetAccountPasswordPolicy); `None` when the account has none.
    fn password_policy(&self)
    -> impl Future<Output = Result<Option<PasswordPolicy>, Error>> + Send;

    /// Removes the console password of `user_name` (DeleteLoginProfile):
    /// enforcement's one change about passwords. Nothing else about the
    /// user (keys, MFA devices, the user itself) is ever changed.
    fn delete_login_profile(
        &self,
        user_name: &str,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Sets the key `key_id` of `user_name` to Inactive: enforcement's one
    /// change to IAM, and rotation's to a new key whose secret could not be
    /// stored. There is deliberately no method that deletes a key.
    fn deactivate_key(
        &self,
        user_name: &str,
        key_id: &str,
    ) -> impl Future<Output = Result<(), Error>> + Send;
}
