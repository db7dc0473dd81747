//! [`ExemptionSource`] in memory, for tests and the demo: a value that can
//! be changed, with the call counts and scripted failures of every
//! in-memory adapter (operation `GetParameter`).

use std::sync::Mutex;

use super::script::Script;
use crate::error::Error;
use crate::ports::exemptions::ExemptionSource;
use crate::sync::lock;

#[derive(Default)]
pub struct MemoryExemptionSource {
    value: Mutex<String>,
    pub script: Script,
}

impl MemoryExemptionSource {
    pub fn new(value: &str) -> MemoryExemptionSource {
        MemoryExemptionSource {
            value: Mutex::new(value.to_string()),
            script: Script::default(),
        }
    }

    /// Changes the parameter's value.
    pub fn set(&self, value: &str) {
        *lock(&self.value) = value.to_string();
    }
}

impl ExemptionSource for MemoryExemptionSource {
    fn parameter(&self) -> &str {
        "/memory/exempt-users"
    }

    async fn read(&self) -> Result<String, Error> {
        self.script.answer("GetParameter").await?;
        Ok(lock(&self.value).clone())
    }
}
