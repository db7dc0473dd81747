//! The ledger's claims around a mail or a deactivation: take every stage
//! or none, and drop this invocation's claims when what they guarded
//! failed.

use serde_json::json;

use crate::error::Error;
use crate::logging::{self, Level};
use crate::mask::mask_key_id;
use crate::ports::ledger::{Claim, ClaimRequest, NoticeKey, NoticeLedger};

/// What claiming a notice's stages found.
pub(super) struct Claimed {
    /// Indices into the stages claimed here.
    pub acquired: Vec<usize>,
    /// Per stage: it was recorded as sent before.
    pub recorded: Vec<bool>,
}

/// Claims each of `stages` in order. A stage another invocation holds ends
/// it with [`Error::NoticeInProgress`] (that invocation is mailing it right
/// now; a retry finds it recorded), and like any failure drops the claims
/// this call took.
pub(super) async fn claim_all<L: NoticeLedger>(
    ledger: &L,
    stages: &[NoticeKey],
    request: &ClaimRequest,
) -> Result<Claimed, Error> {
    let mut claimed = Claimed {
        acquired: Vec::new(),
        recorded: Vec::with_capacity(stages.len()),
    };
    for (i, key) in stages.iter().enumerate() {
        let found = match ledger.claim(key, request).await {
            Ok(Claim::HeldElsewhere) => Err(key.in_progress()),
            other => other,
        };
        match found {
            Ok(Claim::Acquired) => {
                claimed.acquired.push(i);
                claimed.recorded.push(false);
            }
            Ok(_) => claimed.recorded.push(true),
            Err(e) => {
                release(ledger, stages, &claimed.acquired, &request.owner).await;
                return Err(e);
            }
        }
    }
    Ok(claimed)
}

/// Drops this invocation's claims on `stages[i]` for each `i` of
/// `acquired`, so the platform's retry can go through at once; a claim
/// that can't be dropped expires by itself.
pub(super) async fn release<L: NoticeLedger>(
    ledger: &L,
    stages: &[NoticeKey],
    acquired: &[usize],
    owner: &str,
) {
    for key in acquired.iter().filter_map(|&i| stages.get(i)) {
        if let Err(e) = ledger.release(key, owner).await {
            logging::log(
                Level::Warn,
                "a claim could not be released; a retry waits for it to expire",
                json!({"access_key_id": mask_key_id(&key.access_key_id), "stage": key.stage.code(), "error": e.safe_message()}),
            );
        }
    }
}
