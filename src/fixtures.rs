//! The sample events of `tests/fixtures/events/`, for unit tests (the
//! integration tests and the bench load the same files through
//! `tests/common`).

use serde_json::Value;

/// A fixture event by file name.
pub fn event(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/events/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}
