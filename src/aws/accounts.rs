//! [`Accounts`] over STS, IAM and Organizations.
//!
//! A member account's IAM is read with credentials of the member role,
//! assumed in that account with STS AssumeRole. [`RoleCredentials`] keeps
//! them per account and assumes the role again five minutes before they
//! expire. It is written here rather than taken from aws-config's
//! `AssumeRoleProvider` because that provider keeps nothing itself (the
//! client's identity cache does), and its failure would surface inside the
//! first IAM call's error, where the account is no longer known; this one
//! is asked first ([`RoleCredentials::ensure`]) so an unassumable role is a
//! retryable error naming the account, and the client then reads the same
//! cached credentials through `ProvideCredentials`.
//!
//! Relied on (AWS STS API reference, AssumeRole): the default session
//! lasts one hour; the answer's `Credentials.Expiration` says when it ends.
//! (Organizations API reference, ListAccounts): callable from the
//! management account or a delegated administrator; paged by `NextToken`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};

use crate::aws::iam::IamDirectory;
use crate::aws::lazy::Lazy;
use crate::aws::pages::Pages;
use crate::aws::secrets::SecretsManagerStore;
use crate::aws::securityhub::SecurityHub;
use crate::aws::{self, classify};
use crate::error::Error;
use crate::ports::accounts::Accounts;
use crate::sync::lock;

/// Credentials are renewed when they have less than this left.
pub(crate) const RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);
/// How long the Organization's account list is used before it is read again.
pub(crate) const ACCOUNTS_CACHE_FOR: Duration = Duration::from_secs(5 * 60);
/// The most accounts a listing may hold: ten times Organizations' largest
/// raised quota we know of would still be far below this; beyond it the
/// answer is damaged.
pub(crate) const MAX_ORGANIZATION_ACCOUNTS: usize = 20_000;
/// ListAccounts pages at most 20 accounts each.
const MAX_LIST_ACCOUNTS_PAGES: usize = MAX_ORGANIZATION_ACCOUNTS / 20 + 1;
/// The session name member accounts see in CloudTrail.
pub(crate) const SESSION_NAME: &str = "access-key-notifier";

/// A role's credentials, assumed on demand and kept until shortly before
/// they expire.
pub struct RoleCredentials {
    sts: Lazy<aws_sdk_sts::Client>,
    role_arn: String,
    account: String,
    /// The member role (`MEMBER_ROLE_NAME`) of `account`, or the role that
    /// lists the Organization (`ORGANIZATION_ROLE_ARN`): which one a
    /// refusal names.
    lists_organization: bool,
    held: Mutex<Option<Credentials>>,
}

impl std::fmt::Debug for RoleCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoleCredentials")
            .field("role_arn", &self.role_arn)
            .finish_non_exhaustive()
    }
}

impl RoleCredentials {
    pub fn new(
        sts: Lazy<aws_sdk_sts::Client>,
        role_arn: String,
        account: String,
    ) -> RoleCredentials {
        RoleCredentials {
            sts,
            role_arn,
            account,
            lists_organization: false,
            held: Mutex::new(None),
        }
    }

    /// The role `ORGANIZATION_ROLE_ARN` names, which ListAccounts runs as.
    pub fn organization(sts: Lazy<aws_sdk_sts::Client>, role_arn: String) -> RoleCredentials {
        let account = role_arn.split(':').nth(4).unwrap_or_default().to_string();
        RoleCredentials {
            lists_organization: true,
            ..RoleCredentials::new(sts, role_arn, account)
        }
    }

    /// The held credentials when they last at least [`RENEW_BEFORE`] more,
    /// otherwise the role assumed afresh. Two callers renewing at once may
    /// both call AssumeRole; either answer serves.
    pub(crate) async fn ensure(&self) -> Result<Credentials, Error> {
        let fresh = |c: &Credentials| {
            c.expiry()
                .is_some_and(|e| e > SystemTime::now() + RENEW_BEFORE)
        };
        if let Some(c) = lock(&self.held).as_ref().filter(|c| fresh(c)) {
            return Ok(c.clone());
        }
        let refused = |message: String| {
            if self.lists_organization {
                Error::FanOut(format!(
                    "the role that lists the Organization (ORGANIZATION_ROLE_ARN, {}) could not be assumed: {message}",
                    self.role_arn
                ))
            } else {
                Error::MemberRole {
                    account: self.account.clone(),
                    message,
                }
            }
        };
        let answer = self
            .sts
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name(SESSION_NAME)
            .send()
            .await
            .map_err(|e| refused(classify("STS", "AssumeRole", e).safe_message()))?;
        let c = answer
            .credentials()
            .ok_or_else(|| refused("AssumeRole answered without credentials".into()))?;
        let expiry = SystemTime::try_from(*c.expiration())
            .map_err(|_| refused("AssumeRole answered an expiry out of range".into()))?;
        let credentials = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            Some(expiry),
            "access-key-notifier-member-role",
        );
        *lock(&self.held) = Some(credentials.clone());
        Ok(credentials)
    }
}

impl ProvideCredentials for RoleCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            self.ensure()
                .await
                .map_err(|e| CredentialsError::provider_error(e.safe_message()))
        })
    }
}

pub use crate::organization::partition;

struct Member {
    credentials: Arc<RoleCredentials>,
    directory: Arc<IamDirectory>,
    secrets: Arc<SecretsManagerStore>,
    findings: Arc<SecurityHub>,
}

pub struct IamAccounts {
    sdk: SdkConfig,
    sts: Lazy<aws_sdk_sts::Client>,
    own: Arc<IamDirectory>,
    own_secrets: Arc<SecretsManagerStore>,
    own_findings: Arc<SecurityHub>,
    /// `MEMBER_ROLE_NAME`; `None`: a single-account deployment.
    member_role: Option<String>,
    members: Mutex<HashMap<String, Arc<Member>>>,
    /// Built only in Organizations mode without an `ACCOUNTS` list, the
    /// one case that calls ListAccounts.
    /// The Organizations client, and the role it runs as when
    /// `ORGANIZATION_ROLE_ARN` is set.
    organizations: Option<(
        Lazy<aws_sdk_organizations::Client>,
        Option<Arc<RoleCredentials>>,
    )>,
    listed: Mutex<Option<(Instant, Vec<String>)>>,
}

impl IamAccounts {
    /// The function's own directory; member accounts through `member_role`
    /// (when set); ListAccounts, when `lists_organization`, through
    /// `organization_role_arn` (when set, else the function's own
    /// credentials).
    pub fn new(
        sdk: &SdkConfig,
        member_role: Option<&str>,
        lists_organization: bool,
        organization_role_arn: Option<&str>,
    ) -> IamAccounts {
        // Every client is built on first use (`Lazy`): a Config event of
        // the function's own account never builds STS or Organizations.
        let sts = Lazy::new(sdk, aws::sts_client);
        let organizations = lists_organization.then(|| match organization_role_arn {
            Some(arn) => {
                let role = Arc::new(RoleCredentials::organization(sts.clone(), arn.to_string()));
                let client = Lazy::new(
                    &with_credentials(sdk, Shared(role.clone())),
                    aws::organizations_client,
                );
                (client, Some(role))
            }
            None => (Lazy::new(sdk, aws::organizations_client), None),
        });
        IamAccounts {
            sdk: sdk.clone(),
            own: Arc::new(IamDirectory::new(
                Lazy::new(sdk, aws::iam_client),
                sts.clone(),
            )),
            own_secrets: Arc::new(SecretsManagerStore::new(Lazy::new(
                sdk,
                aws::secretsmanager_client,
            ))),
            own_findings: Arc::new(SecurityHub::new(
                Lazy::new(sdk, aws::securityhub_client),
                sdk.region().map(|r| r.as_ref()),
            )),
            sts,
            member_role: member_role.map(str::to_string),
            members: Mutex::new(HashMap::new()),
            organizations,
            listed: Mutex::new(None),
        }
    }

    /// The names of the clients built so far (each is, at its first
    /// call): `IAM`, `STS`, `Organizations`, `Secrets Manager`, and
    /// `member IAM` / `member STS` / `member Secrets Manager` when some
    /// member account's are.
    pub fn clients_built(&self) -> Vec<&'static str> {
        // The own directory's STS client is `self.sts`, shared.
        let (iam, _) = self.own.clients_built();
        let members = lock(&self.members);
        let member = |pick: fn((bool, bool)) -> bool| {
            members.values().any(|m| pick(m.directory.clients_built()))
        };
        [
            ("IAM", iam),
            ("STS", self.sts.is_built()),
            (
                "Organizations",
                self.organizations
                    .as_ref()
                    .is_some_and(|(c, _)| c.is_built()),
            ),
            ("Secrets Manager", self.own_secrets.client_built()),
            ("member IAM", member(|(iam, _)| iam)),
            ("member STS", member(|(_, sts)| sts)),
            (
                "member Secrets Manager",
                members.values().any(|m| m.secrets.client_built()),
            ),
        ]
        .into_iter()
        .filter_map(|(name, built)| built.then_some(name))
        .collect()
    }

    /// The member account `account`, its role's credentials at hand.
    async fn reach(&self, account: &str) -> Result<Arc<Member>, Error> {
        let Some(role) = &self.member_role else {
            return Err(Error::MemberRole {
                account: account.to_string(),
                message: "MEMBER_ROLE_NAME is not set".into(),
            });
        };
        let member = self.member_entry(account, role);
        member.credentials.ensure().await?;
        Ok(member)
    }

    fn member_entry(&self, account: &str, role: &str) -> Arc<Member> {
        let mut members = lock(&self.members);
        members
            .entry(account.to_string())
            .or_insert_with(|| {
                let region = self.sdk.region().map(|r| r.as_ref().to_string());
                let arn = format!(
                    "arn:{}:iam::{account}:role/{role}",
                    partition(region.as_deref())
                );
                let credentials = Arc::new(RoleCredentials::new(
                    self.sts.clone(),
                    arn,
                    account.to_string(),
                ));
                let sdk = with_credentials(&self.sdk, Shared(credentials.clone()));
                Arc::new(Member {
                    credentials,
                    directory: Arc::new(IamDirectory::new(
                        Lazy::new(&sdk, aws::iam_client),
                        Lazy::new(&sdk, aws::sts_client),
                    )),
                    secrets: Arc::new(SecretsManagerStore::new(Lazy::new(
                        &sdk,
                        aws::secretsmanager_client,
                    ))),
                    findings: Arc::new(SecurityHub::new(
                        Lazy::new(&sdk, aws::securityhub_client),
                        region.as_deref(),
                    )),
                })
            })
            .clone()
    }
}

/// `sdk` with `provider` as its credentials.
fn with_credentials(sdk: &SdkConfig, provider: impl ProvideCredentials + 'static) -> SdkConfig {
    sdk.to_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build()
}

/// A role's credentials shared by its account's clients.
#[derive(Debug)]
struct Shared(Arc<RoleCredentials>);

impl ProvideCredentials for Shared {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        self.0.provide_credentials()
    }
}

impl Accounts for IamAccounts {
    type Directory = IamDirectory;
    type Secrets = SecretsManagerStore;
    type Findings = SecurityHub;

    async fn findings(&self, account: &str) -> Result<Arc<SecurityHub>, Error> {
        match &self.member_role {
            None => Ok(self.own_findings.clone()),
            Some(_) => Ok(self.reach(account).await?.findings.clone()),
        }
    }

    fn own(&self) -> Arc<IamDirectory> {
        self.own.clone()
    }

    fn own_secrets(&self) -> Arc<SecretsManagerStore> {
        self.own_secrets.clone()
    }

    async fn member_secrets(&self, account: &str) -> Result<Arc<SecretsManagerStore>, Error> {
        Ok(self.reach(account).await?.secrets.clone())
    }

    async fn member(&self, account: &str) -> Result<Arc<IamDirectory>, Error> {
        Ok(self.reach(account).await?.directory.clone())
    }

    async fn organization_accounts(&self) -> Result<Vec<String>, Error> {
        if let Some((at, ids)) = lock(&self.listed).as_ref()
            && at.elapsed() < ACCOUNTS_CACHE_FOR
        {
            return Ok(ids.clone());
        }
        let Some((organizations, role)) = &self.organizations else {
            return Err(Error::FanOut(
                "the Organization's accounts are listed only in Organizations mode without ACCOUNTS".into(),
            ));
        };
        // The role first, on its own: a refusal is then named for what it
        // is, not carried inside ListAccounts' credentials error.
        if let Some(role) = role {
            role.ensure().await?;
        }
        let mut pass = Pages::new(
            "Organizations",
            "ListAccounts",
            MAX_LIST_ACCOUNTS_PAGES,
            MAX_ORGANIZATION_ACCOUNTS,
        );
        let mut ids = Vec::new();
        let mut token = None;
        loop {
            let page = organizations
                .list_accounts()
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| classify("Organizations", "ListAccounts", e))?;
            let accounts = page.accounts();
            for a in accounts {
                // An account listed without its id or status is a damaged
                // answer: dropped, it would never be swept, nor its events
                // served, and nobody would be told.
                let (Some(id), Some(status)) = (a.id(), a.status()) else {
                    return Err(Error::damaged(
                        "Organizations",
                        "ListAccounts",
                        "an account was listed without its id or status",
                    ));
                };
                if *status == aws_sdk_organizations::types::AccountStatus::Active {
                    ids.push(id.to_string());
                }
            }
            let next = page.next_token();
            token = pass.next(accounts.len(), next.is_some(), next)?;
            if token.is_none() {
                break;
            }
        }
        ids.sort();
        *lock(&self.listed) = Some((Instant::now(), ids.clone()));
        Ok(ids)
    }
}
