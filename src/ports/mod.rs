//! The ports: one small trait per outside system, named for what the flows
//! need of it, each with a documented contract. The SDK adapters are in
//! `aws` (the deployed set, `aws::AwsPorts`); the in-memory ones in
//! [`memory`] ([`MemoryPorts`]), which the flow tests, the benches and the
//! property tests run over.
//!
//! [`Ports`] names one adapter per port, so a flow takes one type
//! parameter instead of six. It earns its keep twice: the flows, the
//! service and every test are generic over one parameter, and a set of
//! adapters (deployed, in memory, deployed at a fixed time) is written once,
//! as a list, where it is chosen.

pub mod accounts;
pub mod channel;
pub mod directory;
pub mod exemptions;
pub mod findings;
pub mod ledger;
pub mod mailer;
pub mod memory;
pub(crate) mod queue;
pub mod secrets;

use crate::clock::{Clock, FixedClock};
use accounts::Accounts;
use channel::ChatChannel;
use exemptions::ExemptionSource;
use ledger::NoticeLedger;
use mailer::Mailer;
use queue::SweepQueue;

/// One adapter per port.
pub trait Ports: Send + Sync + 'static {
    /// The accounts served, and the user directory of each.
    type Accounts: Accounts;
    type Mailer: Mailer;
    type Ledger: NoticeLedger;
    type Clock: Clock;
    type Exemptions: ExemptionSource;
    /// Where the sweep's fan-out sends one message per account.
    type Queue: SweepQueue;
    /// The team's chat channel (`CHAT_TOPIC_ARN`).
    type Chat: ChatChannel;
}

/// The user directory type of a port set.
pub type Dir<P> = <<P as Ports>::Accounts as Accounts>::Directory;

/// The secret store type of a port set.
pub type Sec<P> = <<P as Ports>::Accounts as Accounts>::Secrets;

/// The in-memory adapters, at a fixed time.
pub enum MemoryPorts {}

impl Ports for MemoryPorts {
    type Accounts = memory::accounts::MemoryAccounts;
    type Mailer = memory::mailer::MemoryMailer;
    type Ledger = memory::ledger::MemoryLedger;
    type Clock = FixedClock;
    type Exemptions = memory::exemptions::MemoryExemptionSource;
    type Queue = memory::queue::MemoryQueue;
    type Chat = memory::channel::MemoryChat;
}
