//! The flows over the in-memory adapters and a fixed clock, in
//! milliseconds; the emulator tests in `tests/` prove the wire.

mod config_event;
mod enforcement;
mod findings;
mod organization;
mod passwords;
mod rotation;
mod sweep;
