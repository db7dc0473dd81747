//! The notice pipeline: one user's situation in, what happened out. Both
//! the Config event and the sweep hand it a user they have read (its id,
//! name, tags and keys) and get back the decision, what enforcement did,
//! and the notice's outcome. In order ([`pipeline`]):
//!
//! 1. **decide** (pure, [`decision`](crate::decision)): exemption, due
//!    and unused keys, stage, recipients, language (with the unused-key
//!    policy on, each active key's last use read first, [`with_last_use`]);
//! 2. **enforcement step** ([`enforce`]): judge each due key
//!    ([`enforcement`](crate::enforcement)), and deactivate what is due
//!    now, within the run's [`cap`];
//! 3. **shape** the notice by enforcement's verdicts;
//! 4. **claim** each listed key's stage in the ledger ([`claims`]);
//! 5. **render** (last use, askama) and **send** through the mailer;
//! 6. **record** each claimed stage as sent (releasing the claims if
//!    sending failed).
//!
//! It never reads the environment, builds a client or reads the system
//! time: what it works with is a [`Pipeline`], which the flows fill from
//! their dependencies.

use chrono::{DateTime, Utc};
use futures_util::future::try_join_all;

use crate::config::Config;
use crate::decision::{AccessKey, Policy, Tag};
use crate::error::Error;
use crate::exemption::Listing;
use crate::mail::notice::Via;
use crate::ports::directory::UserDirectory;
use crate::ports::ledger::ClaimRequest;
use crate::ports::{Dir, Ports};

pub mod cap;
pub mod claims;
pub mod enforce;
pub mod pipeline;

pub use cap::Cap;
pub use pipeline::{Handled, UserResult};

/// What one run of the pipeline works with: the configuration, the ports
/// it calls, the account, and the run's shared state.
pub struct Pipeline<'a, P: Ports> {
    pub config: &'a Config,
    /// Present when `LEDGER_TABLE` is set.
    pub ledger: Option<&'a P::Ledger>,
    pub mailer: &'a P::Mailer,
    pub account: Account<'a, Dir<P>>,
    /// The exemption list as this run read it.
    pub listing: &'a Listing,
    /// Enforcement's cap for this invocation.
    pub cap: &'a Cap,
    /// Ledger claims are taken in this invocation's name, until this.
    pub claim: &'a ClaimRequest,
    /// The instant days are counted from.
    pub now: DateTime<Utc>,
}

/// The account a user is read from.
pub struct Account<'a, D> {
    /// Its id; present whenever there is a ledger (the flows check).
    pub id: Option<&'a str>,
    /// How mails name it: the id, and the alias in Organizations mode.
    pub label: Option<&'a str>,
    pub directory: &'a D,
}

impl<D> Account<'_, D> {
    /// The account as mails name it.
    pub fn label(&self) -> &str {
        self.label.or(self.id).unwrap_or("-")
    }
}

/// One user, as a flow read it, and what made the flow look.
pub struct Subject<'a> {
    pub via: Via<'a>,
    /// The Config event's id, for the outcome.
    pub event_id: Option<&'a str>,
    /// The UserId the reading was checked against.
    pub user_id: &'a str,
    pub name: &'a str,
    pub tags: &'a [Tag],
    /// Each with its last use where it is known (the sweep's credential
    /// report); the pipeline reads the rest it needs ([`with_last_use`]).
    pub keys: &'a [AccessKey],
}

/// `keys` with the last use the decision needs: with the unused-key
/// policy on (decision rule 12), every active key's, read
/// (GetAccessKeyLastUsed, all at once, at most `MAX_ACCESS_KEYS`) where
/// not known already; with it off, as they are (a notice reads the last
/// use of the keys it lists when it is sent).
pub async fn with_last_use<D: UserDirectory>(
    directory: &D,
    policy: &Policy,
    keys: &[AccessKey],
) -> Result<Vec<AccessKey>, Error> {
    try_join_all(keys.iter().map(|key| async move {
        let mut key = key.clone();
        if policy.unused_key_days > 0 && key.active && key.last_used.is_none() {
            key.last_used = Some(directory.last_used(&key.id).await?);
        }
        Ok::<_, Error>(key)
    }))
    .await
}

/// The source the ledger records for a notice the sweep sent.
pub const SWEEP_SOURCE: &str = "sweep";

impl Subject<'_> {
    fn rule(&self) -> Option<String> {
        match self.via {
            Via::Rule { name, .. } | Via::UnusedRule { name } => Some(name.to_string()),
            Via::Sweep => None,
        }
    }

    fn tier_days(&self) -> Option<u32> {
        match self.via {
            Via::Rule { tier_days, .. } => Some(tier_days),
            Via::UnusedRule { .. } | Via::Sweep => None,
        }
    }

    /// What the ledger records as a notice's source, and SES's message tag.
    fn source(&self) -> String {
        self.rule().unwrap_or_else(|| SWEEP_SOURCE.to_string())
    }
}
