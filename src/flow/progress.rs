//! What a sweep tells a person who waits for it: the users it will read,
//! each one read, the retries, the report being made. The flows say it to
//! the invocation's [`Watcher`]; in Lambda nobody watches, and `scan` and
//! `sweep` on a terminal draw it on stderr (`cli`). Words are the
//! watcher's: a step carries counts only.

use std::sync::Arc;

/// One step of a sweep, as it happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The users to read are known (`users` of them).
    Planned { users: usize },
    /// One more user read and handed to the notice service.
    UserRead,
    /// `users` that failed with a retryable error are read again.
    Retrying { users: usize },
    /// Every user is read: the outcome and the report are being made.
    Reporting,
    /// The chat channel and the digest are being published.
    Publishing,
}

/// Someone who follows a sweep's steps.
pub trait Watch: Send + Sync {
    fn step(&self, step: Step);
}

/// The invocation's watcher, or nobody.
#[derive(Clone, Default)]
pub struct Watcher(Option<Arc<dyn Watch>>);

impl Watcher {
    /// Nobody watches (Lambda, tests).
    pub fn nobody() -> Watcher {
        Watcher(None)
    }

    /// `watch` follows every step.
    pub fn new(watch: Arc<dyn Watch>) -> Watcher {
        Watcher(Some(watch))
    }

    /// Tells the watcher, if any, of `step`.
    pub(crate) fn step(&self, step: Step) {
        if let Some(w) = &self.0 {
            w.step(step);
        }
    }
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            Some(_) => "Watcher(someone)",
            None => "Watcher(nobody)",
        })
    }
}
