//! The flows: the only code that sees the whole dependency set ([`Deps`]).
//! Each reads the users its trigger names, hands each to the invocation's
//! notice service (`service`, made once by [`Deps::service`]) and folds
//! the typed results into its outcome:
//!
//! - [`config_event`]: one Config compliance change, one user;
//! - [`sweep`]: the daily pass over every user of one account;
//! - [`fanout`]: Organizations mode's fan-out, one sweep message per
//!   account, and the per-account sweeps those messages start;
//! - [`digest`]: an account's digest and the Organization's, one render
//!   and one send each;
//! - [`publish`]: publishing to the team's chat channel, after a sweep
//!   and after a Config event's deactivations;
//! - [`scope`]: which account (and directory) an event or message reads;
//! - [`targets`]: which users a sweep reads (the credential report's
//!   candidates, or every listed user);
//! - [`progress`]: a sweep's steps, for a person who waits for it.

pub mod config_event;
pub(crate) mod deps;
pub(crate) mod digest;
pub(crate) mod fanout;
pub(crate) mod findings;
pub mod progress;
pub(crate) mod publish;
pub(crate) mod scope;
pub mod sweep;
pub(crate) mod targets;

pub use deps::{Deps, Invocation, Service};

#[cfg(test)]
mod tests;
