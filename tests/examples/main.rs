//! The examples and the README's testing example, run as users run them.
//!
//! One test binary with a module per area (linking one binary per file dominated `cargo test`
//! on two cores).

mod examples;
mod readme_testing;
