//! The testkit's own tests: helpers and CONFORMANCE.md kept in step with the case table.
//!
//! One test binary with a module per area (linking one binary per file dominated `cargo test`
//! on two cores).

mod conformance_md;
mod helpers;
