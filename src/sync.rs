//! A poison-tolerant lock, for the process-wide caches (user names,
//! credentials, the exemption list) and the in-memory adapters alike.

use std::sync::{Mutex, MutexGuard};

/// A poisoned lock still holds consistent data here: every update under
/// these locks is a single step, so a holder that panicked left nothing
/// half-written.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
