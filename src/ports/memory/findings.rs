//! The findings hub in memory: findings by id, as Security Hub keeps
//! them (a later `UpdatedAt` replaces, an earlier one is ignored).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::error::Error;
use crate::findings::{Finding, GENERATOR_ID, timestamp};
use crate::ports::findings::{FindingsHub, Refused};
use crate::sync::lock;

#[derive(Default)]
pub struct MemoryFindings {
    findings: Mutex<BTreeMap<String, Finding>>,
    /// Ids the hub refuses, with the code it gives.
    refuse: Mutex<BTreeMap<String, String>>,
    calls: Mutex<usize>,
}

impl MemoryFindings {
    pub fn new() -> MemoryFindings {
        MemoryFindings::default()
    }

    /// Every finding, by id.
    pub fn all(&self) -> BTreeMap<String, Finding> {
        lock(&self.findings).clone()
    }

    /// The hub refuses the finding `id` with `code` from now on.
    pub fn refuse(&self, id: &str, code: &str) {
        lock(&self.refuse).insert(id.to_string(), code.to_string());
    }

    /// BatchImportFindings calls so far.
    pub fn calls(&self) -> usize {
        *lock(&self.calls)
    }

    fn put(&self, findings: &[Finding]) -> Refused {
        *lock(&self.calls) += 1;
        let mut refused = Refused::new();
        let refuse = lock(&self.refuse).clone();
        let mut kept = lock(&self.findings);
        for f in findings {
            if let Some(code) = refuse.get(&f.id) {
                *refused.entry(code.clone()).or_default() += 1;
                continue;
            }
            // ISO 8601 in one form: later sorts later.
            let newer = kept.get(&f.id).is_none_or(|k| k.updated_at < f.updated_at);
            if newer {
                kept.insert(f.id.clone(), f.clone());
            }
        }
        refused
    }
}

impl FindingsHub for MemoryFindings {
    fn region(&self) -> String {
        "us-east-1".to_string()
    }

    async fn import(&self, findings: &[Finding]) -> Result<Refused, Error> {
        Ok(self.put(findings))
    }

    async fn archive_others(
        &self,
        product_arn: &str,
        keep: &BTreeSet<String>,
        now: DateTime<Utc>,
    ) -> Result<(usize, Refused), Error> {
        let closing: Vec<Finding> = lock(&self.findings)
            .values()
            .filter(|f| {
                f.product_arn == product_arn
                    && f.generator_id == GENERATOR_ID
                    && f.record_state == "ACTIVE"
                    && !keep.contains(&f.id)
            })
            .map(|f| Finding {
                record_state: "ARCHIVED",
                compliance: crate::findings::Compliance { status: "PASSED" },
                updated_at: timestamp(now),
                ..f.clone()
            })
            .collect();
        if closing.is_empty() {
            return Ok((0, Refused::new()));
        }
        let refused = self.put(&closing);
        Ok((closing.len() - refused.values().sum::<usize>(), refused))
    }
}
