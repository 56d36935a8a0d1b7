//! HTTP push verification, and the axum extractor.
//!
//! One test binary with a module per area (linking one binary per file dominated `cargo test`
//! on two cores).

mod push_axum;
mod push_verify;
