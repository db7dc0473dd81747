//! What the in-memory adapters share: a count of calls per operation,
//! failures queued per operation and a latency per operation, so a test can
//! say "the second PutItem fails" or "each GetAccessKeyLastUsed takes a
//! second" and then check exactly which calls were made.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use crate::error::Error;
use crate::sync::lock;

#[derive(Default)]
pub struct Script {
    calls: Mutex<BTreeMap<&'static str, u64>>,
    /// Per operation, what its next calls do: `None` succeeds.
    plan: Mutex<HashMap<&'static str, VecDeque<Option<Error>>>>,
    /// Per operation, how long each call takes (tokio time, so a test with
    /// paused time runs instantly).
    latency: Mutex<HashMap<&'static str, Duration>>,
    /// Calls under way now, and the most at once.
    running: Mutex<(u64, u64)>,
}

impl Script {
    /// The next call of `operation` fails with `error` (queued after any
    /// failure already waiting for it).
    #[cfg(test)]
    pub(crate) fn fail_next(&self, operation: &'static str, error: Error) {
        self.fail_after(operation, 0, error);
    }

    /// `successes` more calls of `operation` go through, then one fails
    /// with `error`.
    #[cfg(test)]
    pub(crate) fn fail_after(&self, operation: &'static str, successes: usize, error: Error) {
        let mut plan = lock(&self.plan);
        let queue = plan.entry(operation).or_default();
        queue.extend(std::iter::repeat_with(|| None).take(successes));
        queue.push_back(Some(error));
    }

    /// Every later call of `operation` takes `latency`.
    pub fn slow(&self, operation: &'static str, latency: Duration) {
        lock(&self.latency).insert(operation, latency);
    }

    /// Counts one call of `operation`, waits its latency, and returns its
    /// queued failure, if any.
    pub async fn answer(&self, operation: &'static str) -> Result<(), Error> {
        let latency = lock(&self.latency).get(operation).copied();
        let _running = Running::start(&self.running);
        if let Some(latency) = latency {
            tokio::time::sleep(latency).await;
        }
        self.call(operation)
    }

    /// The most calls that were under way at the same time.
    #[cfg(test)]
    pub(crate) fn most_at_once(&self) -> u64 {
        lock(&self.running).1
    }

    /// Counts one call of `operation`; its queued failure, if any.
    pub fn call(&self, operation: &'static str) -> Result<(), Error> {
        *lock(&self.calls).entry(operation).or_default() += 1;
        match lock(&self.plan)
            .get_mut(operation)
            .and_then(VecDeque::pop_front)
            .flatten()
        {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Calls so far, by operation.
    pub fn calls(&self) -> BTreeMap<&'static str, u64> {
        lock(&self.calls).clone()
    }

    pub fn count(&self, operation: &str) -> u64 {
        lock(&self.calls).get(operation).copied().unwrap_or(0)
    }
}

/// One call under way; it ends when dropped, also when the caller's future
/// is dropped mid-call (a time-out), so the count never keeps a call that
/// is gone.
struct Running<'a>(&'a Mutex<(u64, u64)>);

impl<'a> Running<'a> {
    fn start(running: &'a Mutex<(u64, u64)>) -> Running<'a> {
        let mut r = lock(running);
        r.0 += 1;
        r.1 = r.1.max(r.0);
        Running(running)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        lock(self.0).0 -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queued_failure_hits_the_next_call_only() {
        let s = Script::default();
        s.fail_next("PutItem", Error::InvalidEvent("boom".into()));
        assert!(s.call("GetItem").is_ok());
        assert!(s.call("PutItem").is_err());
        assert!(s.call("PutItem").is_ok());
        assert_eq!(s.count("PutItem"), 2);
        assert_eq!(s.count("GetItem"), 1);
    }

    #[test]
    fn a_failure_can_wait_for_some_successes() {
        let s = Script::default();
        s.fail_after("Claim", 2, Error::InvalidEvent("boom".into()));
        assert!(s.call("Claim").is_ok());
        assert!(s.call("Claim").is_ok());
        assert!(s.call("Claim").is_err());
        assert!(s.call("Claim").is_ok());
    }
}
