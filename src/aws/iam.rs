//! [`UserDirectory`] over the IAM API.
//!
//! Config names the user by its UserId, IAM's Get* calls want the user name,
//! and only ListUsers maps one to the other. The listing pages with the
//! largest page IAM allows, stops at the match, and remembers every id it
//! has seen for the life of the process (a warm Lambda container), together
//! with where an unfinished listing stopped: the next unknown id continues
//! from there before starting over, so a burst of events for different
//! users costs about one full listing in total.
//!
//! Every listing is bounded ([`Pages`]): IAM's quotas (IAM and AWS STS
//! quotas, IAM User Guide) are 5,000 users per account and 2 access keys
//! per user, so an answer far beyond them is damaged, not big.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_iam::Client;
use aws_sdk_iam::operation::generate_credential_report::GenerateCredentialReportError;
use aws_sdk_iam::operation::get_credential_report::GetCredentialReportError;
use aws_sdk_iam::types::{ReportStateType, StatusType};
use chrono::{DateTime, Utc};

use crate::aws::lazy::Lazy;
use crate::aws::pages::Pages;
use crate::aws::{classify, to_chrono};
use crate::credential_report::{self, CredentialReport};
use crate::error::Error;
use crate::model::{AccessKey, LastUsed, PasswordPolicy, Tag, User};
use crate::organization::is_account_id;
use crate::ports::directory::{ListedUser, MAX_ACCESS_KEYS, NewAccessKey, UserDirectory};
use crate::sync::lock;
use secrecy::SecretString;

/// IAM's largest ListUsers page.
pub(crate) const MAX_PAGE_SIZE: i32 = 1000;

/// The longest wait between two polls of a credential report being
/// generated; IAM makes one in seconds for thousands of users.
pub(crate) const REPORT_POLL: std::time::Duration = std::time::Duration::from_secs(1);
/// The first wait: a small account's report is often ready within it. The
/// wait doubles from here up to [`REPORT_POLL`].
pub(crate) const FIRST_REPORT_POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// Polls of each of GenerateCredentialReport and GetCredentialReport
/// before the report counts as unavailable (the sweep then lists users).
pub(crate) const REPORT_POLLS: usize = 30;
/// The most users one pass over ListUsers may list, and the most names
/// remembered: ten times IAM's quota of 5,000 users per account.
pub(crate) const MAX_LISTED_USERS: usize = 50_000;
/// The most ListUsers pages in one pass. IAM may answer with fewer users
/// than asked for, so this is generous; [`MAX_LISTED_USERS`] bounds memory.
pub(crate) const MAX_LIST_USERS_PAGES: usize = 200;
/// The most ListAccessKeys pages for one user (IAM needs one).
pub(crate) const MAX_LIST_ACCESS_KEYS_PAGES: usize = 5;

/// The wait after the `poll`-th poll (from 0).
fn report_wait(poll: usize) -> std::time::Duration {
    FIRST_REPORT_POLL
        .saturating_mul(1 << poll.min(8))
        .min(REPORT_POLL)
}

/// What the directory remembers between events.
#[derive(Default)]
struct Remembered {
    names: HashMap<String, String>,
    /// Where an unfinished listing stopped.
    resume_marker: Option<String>,
}

pub struct IamDirectory {
    client: Lazy<Client>,
    sts: Lazy<aws_sdk_sts::Client>,
    page_size: i32,
    remembered: Mutex<Remembered>,
    pages: AtomicU64,
    /// The account's alias, once read.
    alias: Mutex<Option<Option<String>>>,
    /// The account's id, once read (GetCallerIdentity, once per container).
    account: Mutex<Option<String>>,
}

impl IamDirectory {
    /// IAM for the users, STS for the account's id.
    pub fn new(
        client: impl Into<Lazy<Client>>,
        sts: impl Into<Lazy<aws_sdk_sts::Client>>,
    ) -> IamDirectory {
        IamDirectory::with_page_size(client, sts, MAX_PAGE_SIZE)
    }

    /// A smaller page size, to exercise paging in tests.
    pub fn with_page_size(
        client: impl Into<Lazy<Client>>,
        sts: impl Into<Lazy<aws_sdk_sts::Client>>,
        page_size: i32,
    ) -> IamDirectory {
        IamDirectory {
            client: client.into(),
            sts: sts.into(),
            page_size: page_size.clamp(1, MAX_PAGE_SIZE),
            remembered: Mutex::new(Remembered::default()),
            pages: AtomicU64::new(0),
            alias: Mutex::new(None),
            account: Mutex::new(None),
        }
    }

    /// Takes `account` as this directory's account id, so GetCallerIdentity
    /// is not called for it; anything but twelve digits is ignored. The
    /// Lambda function's ARN names its account, which is its execution
    /// role's (a function cannot run as another account's role).
    pub(crate) fn know_account(&self, account: &str) {
        if is_account_id(account) {
            lock(&self.account).get_or_insert_with(|| account.to_string());
        }
    }

    /// Whether the IAM and STS clients have been built, in that order.
    pub fn clients_built(&self) -> (bool, bool) {
        (self.client.is_built(), self.sts.is_built())
    }

    /// ListUsers pages fetched so far by this process.
    pub fn list_users_pages(&self) -> u64 {
        self.pages.load(Ordering::Relaxed)
    }

    fn remembered(&self) -> std::sync::MutexGuard<'_, Remembered> {
        // The map stays consistent even if a holder panicked.
        lock(&self.remembered)
    }

    /// Fetches one page of `pass` into the map, and into `users` when
    /// given; returns the marker of the next page, `None` at the end of the
    /// listing.
    async fn list_page(
        &self,
        pass: &mut Pages,
        marker: Option<String>,
        users: Option<&mut Vec<ListedUser>>,
    ) -> Result<Option<String>, Error> {
        let page = self
            .client
            .list_users()
            .max_items(self.page_size)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| classify("IAM", "ListUsers", e))?;
        self.pages.fetch_add(1, Ordering::Relaxed);
        let mut remembered = self.remembered();
        // Memory stays bounded however many distinct users answers name.
        if remembered.names.len() + page.users().len() > MAX_LISTED_USERS {
            remembered.names.clear();
        }
        for user in page.users() {
            remembered
                .names
                .insert(user.user_id().to_string(), user.user_name().to_string());
        }
        if let Some(users) = users {
            for u in page.users() {
                let created = to_chrono(u.create_date()).ok_or_else(|| {
                    Error::damaged(
                        "IAM",
                        "ListUsers",
                        "a user was listed with a CreateDate out of range",
                    )
                })?;
                users.push(ListedUser {
                    name: u.user_name().to_string(),
                    id: u.user_id().to_string(),
                    created,
                });
            }
        }
        pass.next(page.users().len(), page.is_truncated(), page.marker())
    }

    fn list_users_pass() -> Pages {
        Pages::new("IAM", "ListUsers", MAX_LIST_USERS_PAGES, MAX_LISTED_USERS)
    }
}

impl UserDirectory for IamDirectory {
    async fn user_name(&self, user_id: &str) -> Result<Option<String>, Error> {
        let resume = {
            let mut remembered = self.remembered();
            if let Some(name) = remembered.names.get(user_id) {
                return Ok(Some(name.clone()));
            }
            remembered.resume_marker.take()
        };
        // Continue an unfinished listing first; if the id is not in the rest
        // of it, list again from the start (the user may be new).
        let mut passes = if resume.is_some() { 2 } else { 1 };
        let mut marker = resume;
        let mut pass = Self::list_users_pass();
        loop {
            let next = self.list_page(&mut pass, marker, None).await?;
            let found = self.remembered().names.get(user_id).cloned();
            if found.is_some() {
                self.remembered().resume_marker = next;
                return Ok(found);
            }
            if next.is_some() {
                marker = next;
                continue;
            }
            passes -= 1;
            if passes == 0 {
                return Ok(None);
            }
            marker = None;
            pass = Self::list_users_pass();
        }
    }

    fn forget(&self, user_id: &str) {
        self.remembered().names.remove(user_id);
    }

    async fn user(&self, user_name: &str) -> Result<Option<User>, Error> {
        match self.client.get_user().user_name(user_name).send().await {
            Ok(out) => {
                let Some(user) = out.user() else {
                    return Err(Error::damaged("IAM", "GetUser", "the answer holds no user"));
                };
                Ok(Some(User {
                    id: user.user_id().to_string(),
                    name: user.user_name().to_string(),
                    arn: user.arn().to_string(),
                    tags: user
                        .tags()
                        .iter()
                        .map(|t| Tag {
                            key: t.key().to_string(),
                            value: t.value().to_string(),
                        })
                        .collect(),
                    password_last_used: user.password_last_used().and_then(to_chrono),
                }))
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_entity_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(classify("IAM", "GetUser", e)),
        }
    }

    async fn access_keys(&self, user_name: &str) -> Result<Option<Vec<AccessKey>>, Error> {
        let mut pages = Pages::new(
            "IAM",
            "ListAccessKeys",
            MAX_LIST_ACCESS_KEYS_PAGES,
            MAX_ACCESS_KEYS,
        );
        let mut keys = Vec::new();
        let mut marker = None;
        loop {
            let page = match self
                .client
                .list_access_keys()
                .user_name(user_name)
                .set_marker(marker)
                .send()
                .await
            {
                Ok(page) => page,
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_no_such_entity_exception()) =>
                {
                    return Ok(None);
                }
                Err(e) => return Err(classify("IAM", "ListAccessKeys", e)),
            };
            for meta in page.access_key_metadata() {
                // A key without its id, creation date or status is a damaged
                // listing: a missing status read as "inactive" would make a
                // due key silently never due.
                let (Some(id), Some(created), Some(status)) = (
                    meta.access_key_id(),
                    meta.create_date().and_then(to_chrono),
                    meta.status(),
                ) else {
                    return Err(Error::damaged(
                        "IAM",
                        "ListAccessKeys",
                        "a key was listed without its id, creation date or status",
                    ));
                };
                let active = match status {
                    StatusType::Active => true,
                    // An expired key can't be used, like an inactive one.
                    StatusType::Inactive | StatusType::Expired => false,
                    // A status this build does not know is never guessed at.
                    other => {
                        return Err(Error::damaged(
                            "IAM",
                            "ListAccessKeys",
                            format!(
                                "a key was listed with the status {}, which this version does not know",
                                crate::mask::quote(other.as_str())
                            ),
                        ));
                    }
                };
                keys.push(AccessKey {
                    id: id.to_string(),
                    active,
                    created,
                    // Not in ListAccessKeys' answer.
                    last_used: None,
                });
            }
            marker = pages.next(
                page.access_key_metadata().len(),
                page.is_truncated(),
                page.marker(),
            )?;
            if marker.is_none() {
                return Ok(Some(keys));
            }
        }
    }

    async fn list_users(&self) -> Result<Vec<ListedUser>, Error> {
        let mut pass = Self::list_users_pass();
        let mut users = Vec::new();
        let mut marker = None;
        loop {
            marker = self.list_page(&mut pass, marker, Some(&mut users)).await?;
            if marker.is_none() {
                return Ok(users);
            }
        }
    }

    async fn account_id(&self) -> Result<String, Error> {
        if let Some(account) = lock(&self.account).clone() {
            return Ok(account);
        }
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| classify("STS", "GetCallerIdentity", e))?;
        match out.account() {
            Some(a) if is_account_id(a) => {
                *lock(&self.account) = Some(a.to_string());
                Ok(a.to_string())
            }
            _ => Err(Error::Aws {
                service: "STS",
                operation: "GetCallerIdentity",
                code: None,
                message: "the answer names no 12-digit account".into(),
                retryable: true,
            }),
        }
    }

    async fn account_alias(&self) -> Result<Option<String>, Error> {
        if let Some(alias) = lock(&self.alias).clone() {
            return Ok(alias);
        }
        let out = self
            .client
            .list_account_aliases()
            .send()
            .await
            .map_err(|e| classify("IAM", "ListAccountAliases", e))?;
        // An account has at most one alias; one that breaks IAM's own
        // pattern (3 to 63 lowercase letters, digits and hyphens) is not
        // shown in a mail.
        let alias = out
            .account_aliases()
            .first()
            .filter(|a| {
                (3..=63).contains(&a.len())
                    && a.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            })
            .cloned();
        *lock(&self.alias) = Some(alias.clone());
        Ok(alias)
    }

    async fn credential_report(&self, now: DateTime<Utc>) -> Result<CredentialReport, Error> {
        // GenerateCredentialReport answers STARTED or INPROGRESS until the
        // report is made, COMPLETE when it is (or when one made in the last
        // four hours exists); LimitExceeded means a generation is under way
        // already. Both are waits, not failures (IAM API Reference,
        // GenerateCredentialReport).
        let mut complete = false;
        for poll in 0..REPORT_POLLS {
            match self.client.generate_credential_report().send().await {
                Ok(out) if out.state() == Some(&ReportStateType::Complete) => {
                    complete = true;
                    break;
                }
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.as_service_error(),
                        Some(GenerateCredentialReportError::LimitExceededException(_))
                    ) => {}
                Err(e) => return Err(classify("IAM", "GenerateCredentialReport", e)),
            }
            tokio::time::sleep(report_wait(poll)).await;
        }
        let unfinished = |operation| Error::Aws {
            service: "IAM",
            operation,
            code: Some("ReportInProgress".into()),
            message: format!("the credential report was not ready after {REPORT_POLLS} polls"),
            retryable: true,
        };
        if !complete {
            return Err(unfinished("GenerateCredentialReport"));
        }
        for poll in 0..REPORT_POLLS {
            match self.client.get_credential_report().send().await {
                Ok(out) => {
                    let generated =
                        out.generated_time()
                            .and_then(to_chrono)
                            .ok_or_else(|| Error::Aws {
                                service: "IAM",
                                operation: "GetCredentialReport",
                                code: None,
                                message: "the answer has no GeneratedTime".into(),
                                retryable: true,
                            })?;
                    let content = out.content().map(|b| b.as_ref()).ok_or_else(|| {
                        Error::damaged("IAM", "GetCredentialReport", "the answer holds no Content")
                    })?;
                    return credential_report::parse(content, generated, now).map_err(|message| {
                        Error::Aws {
                            service: "IAM",
                            operation: "GetCredentialReport",
                            code: None,
                            message,
                            retryable: true,
                        }
                    });
                }
                Err(e)
                    if matches!(
                        e.as_service_error(),
                        Some(GetCredentialReportError::CredentialReportNotReadyException(
                            _
                        ))
                    ) => {}
                Err(e) => return Err(classify("IAM", "GetCredentialReport", e)),
            }
            tokio::time::sleep(report_wait(poll)).await;
        }
        Err(unfinished("GetCredentialReport"))
    }

    async fn last_used(&self, key_id: &str) -> Result<LastUsed, Error> {
        let out = self
            .client
            .get_access_key_last_used()
            .access_key_id(key_id)
            .send()
            .await
            .map_err(|e| classify("IAM", "GetAccessKeyLastUsed", e))?;
        // IAM always answers with `AccessKeyLastUsed`; for a key never used
        // it has no LastUsedDate and "N/A" as ServiceName and Region (IAM
        // API reference, AccessKeyLastUsed). An answer without it, or
        // without a date and without that "N/A", is damaged: read as "never
        // used", it would make a key in daily use unused since its creation.
        let damaged = |what: &str| {
            Error::damaged(
                "IAM",
                "GetAccessKeyLastUsed",
                format!("the answer holds {what}"),
            )
        };
        let used = out
            .access_key_last_used()
            .ok_or_else(|| damaged("no AccessKeyLastUsed"))?;
        let known = |s: &str| (!s.is_empty() && s != "N/A").then(|| s.to_string());
        let time = match used.last_used_date() {
            Some(t) => Some(to_chrono(t).ok_or_else(|| damaged("a LastUsedDate out of range"))?),
            None if used.service_name() == "N/A" => None,
            None => {
                return Err(damaged(
                    "neither a LastUsedDate nor the \"N/A\" of a key never used",
                ));
            }
        };
        Ok(LastUsed {
            time,
            service: known(used.service_name()),
            region: known(used.region()),
        })
    }

    async fn create_access_key(&self, user_name: &str) -> Result<NewAccessKey, Error> {
        let out = self
            .client
            .create_access_key()
            .user_name(user_name)
            .send()
            .await
            .map_err(|e| classify("IAM", "CreateAccessKey", e))?;
        // The SDK's Debug of the answer redacts the secret; it is taken
        // into a SecretString and the answer dropped here.
        let key = out
            .access_key()
            .ok_or_else(|| Error::damaged("IAM", "CreateAccessKey", "the answer holds no key"))?;
        let created = key.create_date().and_then(to_chrono).ok_or_else(|| {
            Error::damaged("IAM", "CreateAccessKey", "the answer holds no CreateDate")
        })?;
        if key.access_key_id().is_empty() || key.secret_access_key().is_empty() {
            return Err(Error::damaged(
                "IAM",
                "CreateAccessKey",
                "the answer holds no key id or no secret",
            ));
        }
        Ok(NewAccessKey {
            id: key.access_key_id().to_string(),
            created,
            secret: SecretString::from(key.secret_access_key().to_string()),
        })
    }

    async fn deactivate_key(&self, user_name: &str, key_id: &str) -> Result<(), Error> {
        // UpdateAccessKey without UserName acts on the caller's own keys:
        // the user is always named.
        self.client
            .update_access_key()
            .user_name(user_name)
            .access_key_id(key_id)
            .status(aws_sdk_iam::types::StatusType::Inactive)
            .send()
            .await
            .map_err(|e| classify("IAM", "UpdateAccessKey", e))?;
        Ok(())
    }

    async fn login_profile(&self, user_name: &str) -> Result<Option<DateTime<Utc>>, Error> {
        match self
            .client
            .get_login_profile()
            .user_name(user_name)
            .send()
            .await
        {
            Ok(out) => {
                let profile = out.login_profile().ok_or_else(|| {
                    Error::damaged(
                        "IAM",
                        "GetLoginProfile",
                        "the answer holds no login profile",
                    )
                })?;
                to_chrono(profile.create_date()).map(Some).ok_or_else(|| {
                    Error::damaged(
                        "IAM",
                        "GetLoginProfile",
                        "the login profile has no CreateDate",
                    )
                })
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_entity_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(classify("IAM", "GetLoginProfile", e)),
        }
    }

    async fn password_policy(&self) -> Result<Option<PasswordPolicy>, Error> {
        match self.client.get_account_password_policy().send().await {
            Ok(out) => {
                let policy = out.password_policy().ok_or_else(|| {
                    Error::damaged(
                        "IAM",
                        "GetAccountPasswordPolicy",
                        "the answer holds no password policy",
                    )
                })?;
                // IAM gives MaxPasswordAge only where passwords expire
                // (ExpirePasswords), from 1 to 1095 days.
                let max_age_days = policy
                    .max_password_age()
                    .filter(|_| policy.expire_passwords())
                    .and_then(|d| u32::try_from(d).ok())
                    .filter(|d| (1..=1095).contains(d));
                Ok(Some(PasswordPolicy {
                    max_age_days,
                    hard_expiry: policy.hard_expiry().unwrap_or(false),
                }))
            }
            // An account without a password policy: passwords never
            // expire.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_entity_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(classify("IAM", "GetAccountPasswordPolicy", e)),
        }
    }

    async fn delete_login_profile(&self, user_name: &str) -> Result<(), Error> {
        self.client
            .delete_login_profile()
            .user_name(user_name)
            .send()
            .await
            .map_err(|e| classify("IAM", "DeleteLoginProfile", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn report_polls_start_short_and_double_to_the_longest_wait() {
        let waits: Vec<u128> = (0..5).map(|p| super::report_wait(p).as_millis()).collect();
        assert_eq!(waits, [250, 500, 1000, 1000, 1000]);
        assert_eq!(super::report_wait(usize::MAX), super::REPORT_POLL);
    }
}
