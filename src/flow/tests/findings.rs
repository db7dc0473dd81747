//! Security Hub's step of the sweep over the in-memory hub: one finding
//! per due key, updated in place, archived once the key is exempt or
//! deactivated; refusals counted. `tests/security_hub.rs` proves the wire.

use chrono::Duration;

use crate::findings::Severity;
use crate::flow::Invocation;
use crate::flow::sweep::{self, Run};
use crate::outcome::sweep::SweepOutcome;
use crate::testkit::{TestDeps, add, deps_with, now};

const ACCOUNT: &str = "123456789012";

async fn sweep(d: &TestDeps) -> SweepOutcome {
    sweep::run(d, &Invocation::local(), Some(ACCOUNT.into()), Run::Sweep)
        .await
        .unwrap()
}

#[tokio::test]
async fn each_due_key_has_one_finding_kept_in_place_and_archived_when_exempt() {
    let d = deps_with(
        true,
        &[
            ("SECURITY_HUB", "true"),
            ("LEDGER_TABLE", "akn-ledger"),
            ("EXEMPT_TAG", "Exempt"),
        ],
    );
    add(&d, "alice", &[95]);
    add(&d, "bob", &[80]);
    add(&d, "erin", &[10]);
    let hub = d.accounts.findings_of(ACCOUNT);

    let first = sweep(&d).await;
    let h = first.security_hub.unwrap();
    assert_eq!((h.imported, h.archived, h.failed), (2, 0, 0));
    let all = hub.all();
    let labels: Vec<Severity> = all.values().map(|f| f.severity.label).collect();
    // By id: bob's key (AKIA-B080), then alice's (AKIA-E095).
    assert_eq!(labels, vec![Severity::Low, Severity::High], "{all:?}");

    // Later the same findings, updated; nothing new.
    d.clock.set(now() + Duration::hours(2));
    sweep(&d).await;
    assert_eq!(hub.all().len(), 2);
    assert!(
        hub.all()
            .values()
            .all(|f| f.updated_at.starts_with("2026-11-23T11:00"))
    );

    // bob is exempted: his finding is archived.
    d.accounts.set_tag("bob", "Exempt", "true");
    d.clock.set(now() + Duration::hours(3));
    let third = sweep(&d).await;
    assert_eq!(third.security_hub.unwrap().archived, 1);
    let states: Vec<&str> = hub.all().values().map(|f| f.record_state).collect();
    assert_eq!(states, vec!["ARCHIVED", "ACTIVE"]);

    // A refused finding is counted by its code; the mail is not held.
    let all = hub.all();
    let id = all
        .values()
        .find(|f| f.record_state == "ACTIVE")
        .unwrap()
        .id
        .clone();
    hub.refuse(&id, "LimitExceeded");
    d.clock.set(now() + Duration::hours(4));
    let refused = sweep(&d).await.security_hub.unwrap();
    assert_eq!(refused.failures.get("LimitExceeded"), Some(&1));
    assert_eq!(refused.imported, 0);
}
