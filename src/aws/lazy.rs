//! An SDK client built when it is first used, not at cold start.
//!
//! Building a client is not free: `Client::from_conf` validates its
//! configuration, and the SDK's HTTPS client takes that moment to build a
//! TLS connector, reading the platform's root certificates (once per
//! process) and parsing them into a root store (once per client). Measured
//! on the benchmark machine, that was most of a cold start that built every
//! client up front (docs/benchmarks.md, "Cold start"). A Config event needs
//! IAM, SES and the ledger; SSM only when an exemption list is configured
//! (`EXEMPT_USERS_PARAMETER`, read once the event has a user to judge), SNS
//! only when it deactivates a key with chat on, never SQS or Organizations
//! outside Organizations mode, and usually not STS. So every adapter holds
//! its client as a [`Lazy`], and a client exists only once a call of the
//! invocation's path needs it.
//!
//! Relied on (aws-smithy-http-client 1.1, `HyperClient::
//! validate_base_client_config`): "Initialize the TCP connector at this
//! point so that native certs load at client initialization time instead
//! of upon first request."

use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use aws_config::SdkConfig;

/// A client of type `C`, built from an SDK configuration on first use.
/// Clones share the one client.
pub struct Lazy<C>(Arc<Inner<C>>);

/// How a client is built.
type Build<C> = fn(&SdkConfig) -> C;

struct Inner<C> {
    built: OnceLock<C>,
    /// How to build it; `None` for a client handed over already built.
    from: Option<(SdkConfig, Build<C>)>,
}

impl<C> Lazy<C> {
    /// A client that `build` makes from `sdk` when it is first used.
    pub fn new(sdk: &SdkConfig, build: Build<C>) -> Lazy<C> {
        Lazy(Arc::new(Inner {
            built: OnceLock::new(),
            from: Some((sdk.clone(), build)),
        }))
    }

    /// The client, built now if this is its first use.
    pub fn get(&self) -> &C {
        self.0.built.get_or_init(|| match &self.0.from {
            Some((sdk, build)) => build(sdk),
            // `From<C>` sets `built`, so it is never empty without a builder.
            None => unreachable!("a client handed over built is set"),
        })
    }

    /// Whether the client has been built.
    pub(crate) fn is_built(&self) -> bool {
        self.0.built.get().is_some()
    }
}

impl<C> From<C> for Lazy<C> {
    /// A client already built (tests build their own).
    fn from(client: C) -> Lazy<C> {
        Lazy(Arc::new(Inner {
            built: OnceLock::from(client),
            from: None,
        }))
    }
}

impl<C> Clone for Lazy<C> {
    fn clone(&self) -> Lazy<C> {
        Lazy(self.0.clone())
    }
}

impl<C> Deref for Lazy<C> {
    type Target = C;

    fn deref(&self) -> &C {
        self.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static BUILT: AtomicUsize = AtomicUsize::new(0);

    fn count(_: &SdkConfig) -> usize {
        BUILT.fetch_add(1, Ordering::SeqCst) + 1
    }

    #[test]
    fn a_client_is_built_on_first_use_once_and_shared_by_clones() {
        let sdk = SdkConfig::builder().build();
        let lazy = Lazy::new(&sdk, count);
        let clone = lazy.clone();
        assert!(!lazy.is_built());
        assert_eq!(BUILT.load(Ordering::SeqCst), 0);
        assert_eq!(*clone.get(), 1);
        assert_eq!(*lazy.get(), 1);
        assert!(lazy.is_built());
        assert_eq!(BUILT.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_client_handed_over_is_used_as_it_is() {
        let lazy = Lazy::from(7_u8);
        assert!(lazy.is_built());
        assert_eq!(*lazy, 7);
    }
}
