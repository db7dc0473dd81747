//! What the flows work with: the dependency set built once at cold start
//! ([`Deps`]), and what the platform says about one invocation
//! ([`Invocation`]): its request id and its time budget.

use chrono::{DateTime, Duration, Utc};

use super::progress::Watcher;
use crate::clock::Clock;
use crate::config::Config;
use crate::error::Error;
use crate::logging;
use crate::ports::Ports;
use crate::ports::exemptions::Exemptions;
use crate::ports::ledger::ClaimRequest;
use crate::service::NoticeService;

/// Every dependency of the function. Only the flows see the whole set;
/// they make the notice service ([`Deps::service`]) and hand the digests
/// the parts they need.
pub struct Deps<P: Ports> {
    pub config: Config,
    /// The function's own account, and in Organizations mode the member
    /// accounts, each with its user directory.
    pub accounts: P::Accounts,
    pub mailer: P::Mailer,
    /// Present when `LEDGER_TABLE` is set.
    pub ledger: Option<P::Ledger>,
    pub clock: P::Clock,
    /// The exemption list (`EXEMPT_USERS_PARAMETER`), cached.
    pub exemptions: Exemptions<P::Exemptions>,
    /// The per-account sweep queue; present in Organizations mode.
    pub queue: Option<P::Queue>,
    /// The team's chat channel; present when `CHAT_TOPIC_ARN` is set.
    pub chat: Option<P::Chat>,
}

/// The notice service over a port set's ledger, mailer and exemption list.
pub type Service<'a, P> =
    NoticeService<'a, <P as Ports>::Ledger, <P as Ports>::Mailer, <P as Ports>::Exemptions>;

impl<P: Ports> Deps<P> {
    /// The notice service of `invocation`, at the clock's now: the one
    /// place it is made, once per invocation, by the flow the invocation
    /// runs (a batch of sweep messages shares one).
    pub fn service(&self, invocation: &Invocation) -> Service<'_, P> {
        let now = self.clock.now();
        NoticeService::new(
            &self.config,
            self.ledger.as_ref(),
            &self.mailer,
            &self.exemptions,
            now,
            invocation.claim(now),
        )
    }
}

/// What the platform says about this invocation.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// Lambda's request id; ledger claims are held in its name.
    pub request_id: String,
    /// When the platform stops the invocation; `None` outside Lambda.
    pub deadline: Option<DateTime<Utc>>,
    /// The X-Ray trace id Lambda gives the invocation, when it gives one.
    pub trace_id: Option<String>,
    /// Who follows a sweep's progress: nobody in Lambda, a person at a
    /// terminal for `scan` and `sweep`.
    pub watcher: Watcher,
}

/// Time kept back from Lambda's deadline: an event that has not finished
/// by then stops with `Retryable.OutOfTime`, leaving the invocation this
/// long to report the error before Lambda would kill it. Each AWS call has
/// its own time-outs (`aws`); this bounds their sum.
pub(crate) const DEADLINE_RESERVE: std::time::Duration = std::time::Duration::from_secs(2);

/// The error of work that did not end within its `budget`.
pub(crate) fn out_of_time(budget: std::time::Duration) -> Error {
    let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    Error::OutOfTime {
        budget_ms: ms(budget),
        reserve_ms: ms(DEADLINE_RESERVE),
    }
}

/// A claim outlives the invocation's deadline by this much, so it cannot
/// expire while the invocation that holds it still runs.
const CLAIM_MARGIN_SECONDS: i64 = 10;
/// Outside Lambda there is no deadline; claims last this long.
const CLAIM_WITHOUT_DEADLINE_SECONDS: i64 = 60;

impl Invocation {
    /// The time this invocation may work: Lambda's deadline, as seen at
    /// `now`, less [`DEADLINE_RESERVE`]; `None` without a deadline.
    pub fn budget(&self, now: DateTime<Utc>) -> Option<std::time::Duration> {
        self.deadline.map(|deadline| {
            (deadline - now)
                .to_std()
                .unwrap_or_default()
                .saturating_sub(DEADLINE_RESERVE)
        })
    }

    /// The moment this invocation's budget (as seen at `now`) ends, on
    /// tokio's clock; `None` without a deadline.
    pub(crate) fn ends_at(&self, now: DateTime<Utc>) -> Option<tokio::time::Instant> {
        self.budget(now)
            .map(|budget| tokio::time::Instant::now() + budget)
    }

    /// `work`, unless this invocation's budget (as seen at `now`) runs
    /// out first: then [`out_of_time`]. Without a deadline, `work` as it
    /// is; with the budget spent, no call is made at all.
    pub async fn within<T>(
        &self,
        now: DateTime<Utc>,
        work: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let Some(budget) = self.budget(now) else {
            return work.await;
        };
        if budget.is_zero() {
            return Err(out_of_time(budget));
        }
        tokio::time::timeout(budget, work)
            .await
            .unwrap_or_else(|_| Err(out_of_time(budget)))
    }

    /// A ledger claim in this invocation's name, lasting until shortly
    /// after its deadline.
    pub fn claim(&self, now: DateTime<Utc>) -> ClaimRequest {
        ClaimRequest {
            owner: self.request_id.clone(),
            now,
            until: self
                .deadline
                .unwrap_or(now + Duration::seconds(CLAIM_WITHOUT_DEADLINE_SECONDS))
                + Duration::seconds(CLAIM_MARGIN_SECONDS),
        }
    }

    /// The ids every log line of the invocation carries.
    pub(crate) fn log_request(&self) -> logging::Request {
        logging::Request::new(self.request_id.clone(), self.trace_id.clone())
    }

    /// An invocation outside Lambda (`invoke`, tests): a process-unique id
    /// and no deadline.
    pub fn local() -> Invocation {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Invocation {
            request_id: format!(
                "local-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ),
            deadline: None,
            trace_id: None,
            watcher: Watcher::nobody(),
        }
    }
}
