//! The ports the handler works through, named once: [`Ports`] ties each
//! port to its adapter, so the handler, the sweep and enforcement take one
//! type parameter instead of one per port.
//!
//! [`AwsPorts`] are the deployed function's adapters (IAM through the
//! accounts it serves, SES, DynamoDB, SSM, SQS); [`MemoryPorts`] are the
//! in-memory ones the handler-level tests and the benches use.

use crate::clock::{Clock, FixedClock, SystemClock};
use crate::exemption::ExemptionSource;
use crate::exemption::memory::MemoryExemptionSource;
use crate::exemption::ssm::SsmExemptionSource;
use crate::ledger::NoticeLedger;
use crate::ledger::dynamodb::DynamoDbLedger;
use crate::ledger::memory::MemoryLedger;
use crate::mailer::Mailer;
use crate::mailer::memory::MemoryMailer;
use crate::mailer::ses::SesMailer;
use crate::organization::accounts::Accounts;
use crate::organization::accounts::iam::IamAccounts;
use crate::organization::accounts::memory::MemoryAccounts;
use crate::organization::queue::SweepQueue;
use crate::organization::queue::memory::MemoryQueue;
use crate::organization::queue::sqs::SqsQueue;

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
}

/// The user directory type of a port set.
pub type Dir<P> = <<P as Ports>::Accounts as Accounts>::Directory;

/// The deployed function's adapters.
pub enum AwsPorts {}

impl Ports for AwsPorts {
    type Accounts = IamAccounts;
    type Mailer = SesMailer;
    type Ledger = DynamoDbLedger;
    type Clock = SystemClock;
    type Exemptions = SsmExemptionSource;
    type Queue = SqsQueue;
}

/// The deployed function's adapters with a clock that tests set: the
/// emulator tests step days with it.
pub enum AwsAtFixedTime {}

impl Ports for AwsAtFixedTime {
    type Accounts = IamAccounts;
    type Mailer = SesMailer;
    type Ledger = DynamoDbLedger;
    type Clock = FixedClock;
    type Exemptions = SsmExemptionSource;
    type Queue = SqsQueue;
}

/// The in-memory adapters, at a fixed time.
pub enum MemoryPorts {}

impl Ports for MemoryPorts {
    type Accounts = MemoryAccounts;
    type Mailer = MemoryMailer;
    type Ledger = MemoryLedger;
    type Clock = FixedClock;
    type Exemptions = MemoryExemptionSource;
    type Queue = MemoryQueue;
}
