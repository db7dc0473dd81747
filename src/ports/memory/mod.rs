//! The in-memory adapters, one per port: the flow tests, the property
//! tests and the benches run over them in milliseconds. Each counts its
//! calls per operation and takes scripted failures and latencies
//! ([`script`]), so a test can say "the second PutItem fails" and then
//! check exactly which calls were made.

pub mod accounts;
pub mod channel;
pub(crate) mod directory;
pub mod exemptions;
pub mod findings;
pub mod ledger;
pub mod mailer;
pub(crate) mod queue;
pub(crate) mod script;
pub mod secrets;
