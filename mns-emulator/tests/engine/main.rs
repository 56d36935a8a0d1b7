//! The sans-IO engine: queues, topics, the reference model and its randomised check, scale.
//!
//! One test binary with a module per area (linking one binary per file dominated `cargo test`
//! on two cores).

mod engine_changes;
mod engine_fifo_dlq;
mod engine_image;
mod engine_model;
mod engine_proptest;
mod engine_queue;
mod engine_scale;
mod engine_shared_queue;
mod topic_engine;
mod topic_forwarding;
