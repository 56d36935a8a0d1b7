//! The client over HTTP against local mock servers: queues, topics, models, signing vectors,
//! response limits (shared helpers in `support`).
//!
//! One test binary with a module per area (linking one binary per file dominated `cargo test`
//! on two cores).

mod control_http;
mod control_signing;
mod queue_http;
mod response_cap;
mod signing_vectors;
mod support;
mod topic_model;
mod topic_ops;
mod wire_form;
