//! The emulator over HTTP: every route, authentication, hostile input, connections, long polls, push, faults, the official SDKs' captured requests, the standalone binary.
//!
//! One test binary with a module per area (linking one binary per file dominated `cargo test`
//! on two cores).

mod account_client;
mod admin_api;
mod admin_body_limit;
mod admin_dashboard;
mod control_client;
mod control_hostile;
mod credentials_e2e;
mod faults;
mod fuzz_seeds;
mod http_auth;
// Runs the standalone binary, which needs the `cli` feature.
#[cfg(feature = "cli")]
mod http_binary;
mod http_common;
mod http_connection_limit;
mod http_connections;
mod http_hostile;
mod http_hostile_head;
mod http_long_poll;
mod http_push;
mod http_queue_ops;
mod http_sdk_replay;
mod http_shared_queues;
mod http_signing;
mod http_topic_ops;
mod message_properties;
mod openapi_replay;
mod push_https;
mod replay_captured;
mod topic_client;
