//! The conformance suite: against the in-process emulator (always) and live MNS (ignored unless asked for).
//!
//! One test binary with a module per area (linking one binary per file dominated `cargo test`
//! on two cores).

mod conformance_emulator;
mod conformance_live;
