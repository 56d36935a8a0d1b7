//! A faithful emulator of Alibaba Cloud Message Service (MNS).
//!
//! It speaks the classic XML API (`x-mns-version: 2015-06-06`) over real HTTP, checks request
//! signatures like the service, and answers with the service's statuses, error codes and
//! documents, so official SDKs in any language and `mns-client` can run against it unchanged.
//!
//! # Quickstart
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use std::time::Duration;
//! use mns_emulator::Emulator;
//! use mns_emulator::clock::ManualClock;
//!
//! // A virtual clock: visibility timeouts, delays and long polls move only when told to.
//! let clock = ManualClock::new();
//! let emu = Emulator::builder().clock(clock.clone()).start().await?;
//! let key = emu.access_key(); // testid / testsecret unless configured
//! println!("endpoint {} key {}", emu.endpoint(), key.id());
//! // ... point a client at emu.endpoint() ...
//! clock.advance(Duration::from_secs(30));
//! emu.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Layout
//!
//! * [`engine`]: the sans-IO state machine (queues, messages, receipt handles), every method
//!   taking `now`.
//! * Topics ([`engine::Engine::publish_message`] and friends): subscriptions with filter tags,
//!   fan-out into queues in the XML/JSON/SIMPLIFIED formats, and signed HTTP push (RSA-SHA1, the
//!   certificate served by the emulator) retried on the NotifyStrategy schedule on the emulator's
//!   clock; [`Deliveries`] shows what was attempted, delivered and dropped.
//! * [`clock`]: injected time ([`clock::SystemClock`], [`clock::ManualClock`]).
//! * [`auth`]: signature verification over the raw request, access keys and temporary keys.
//! * [`error`]: [`error::MnsError`] and the one code → status table.
//! * [`faults`]: fault injection (errors, latency, dropped connections, duplicate deliveries,
//!   early handle expiry), deterministic under a seed, from Rust or an admin endpoint.
//! * [`sts`]: emulated STS (`AssumeRole`, `AssumeRoleWithOIDC`) and ECS metadata service on the
//!   same listener, issuing temporary keys that expire on the emulator's clock.
//! * A private HTTP layer maps requests to engine calls and renders XML; long polls wait on a
//!   per-queue notification plus a clock sleep until the next message can become visible.
//! * [`admin`]: the admin HTTP API under `/__emulator` (reset, inspection of every message,
//!   the delivery and request logs, the virtual clock, the fault plan, a dashboard) and the
//!   Prometheus `/metrics` and health endpoints.
//! * The `mns-emulator` binary serves the same thing standalone (`mns-emulator --help`).
#![deny(rustdoc::broken_intra_doc_links)]

// The crate README (the crates.io page) is compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub mod admin;
pub mod auth;
pub mod clock;
#[cfg(feature = "cli")]
pub mod config_file;
pub mod engine;
pub mod error;
pub mod faults;
#[doc(hidden)]
pub mod fuzzing;
mod http;
pub mod openapi;
#[cfg(feature = "persistence")]
pub mod persist;
mod push;
mod shared;
pub use push::{
    DEVELOPMENT_PUSH_SIGNING_KEY_PEM, Deliveries, MAX_PUSHES_IN_FLIGHT, PUSH_ANSWER_LIMIT,
};
mod server;
pub use server::{
    ConnectionLimits, DEFAULT_BODY_READ_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_SHUTDOWN_GRACE,
};
pub mod sts;
mod xml;

mod control;
mod emulator;

pub use emulator::{
    DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, DEFAULT_ACCOUNT_ID, DEFAULT_REGION, Emulator,
    EmulatorBuilder, RunningEmulator,
};
