//! [`ChatChannel`] in memory: keeps every message it accepts. Failures are
//! scripted on `Publish`.

use std::sync::Mutex;

use super::script::Script;
use crate::error::Error;
use crate::ports::channel::ChatChannel;
use crate::sync::lock;

#[derive(Default)]
pub struct MemoryChat {
    published: Mutex<Vec<String>>,
    pub script: Script,
}

impl MemoryChat {
    pub fn new() -> MemoryChat {
        MemoryChat::default()
    }

    /// Every message accepted so far, in order.
    pub fn published(&self) -> Vec<String> {
        lock(&self.published).clone()
    }
}

impl ChatChannel for MemoryChat {
    async fn publish(&self, message: &str) -> Result<String, Error> {
        self.script.answer("Publish").await?;
        let mut published = lock(&self.published);
        published.push(message.to_string());
        Ok(format!("memory-chat-{}", published.len()))
    }
}
