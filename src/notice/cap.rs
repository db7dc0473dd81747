//! The run's blast-radius cap (enforcement rule 5): places for
//! deactivations, shared by every user a run reads at once. State, not a
//! rule: a flow makes one per invocation and hands it to the pipeline.

use std::sync::atomic::{AtomicU32, Ordering};

#[derive(Debug)]
pub struct Cap {
    left: AtomicU32,
}

impl Cap {
    pub fn new(places: u32) -> Cap {
        Cap {
            left: AtomicU32::new(places),
        }
    }

    /// Takes one place; `false` when none is left.
    pub fn take(&self) -> bool {
        self.left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    /// Returns a place taken for a key that was not deactivated after all.
    pub fn give_back(&self) {
        self.left.fetch_add(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_cap_no_place_is_left_until_one_is_given_back() {
        let cap = Cap::new(1);
        assert!(cap.take());
        assert!(!cap.take());
        cap.give_back();
        assert!(cap.take());
    }
}
