//! Load-bearing reliability runs: the HTTP stress test and the client resilience test under injected faults (their own binary so their load does not slow other tests).
//!
//! One test binary with a module per area (linking one binary per file dominated `cargo test`
//! on two cores).

mod client_resilience;
#[cfg(all(unix, feature = "cli"))]
mod crash_recovery;
#[cfg(all(unix, feature = "cli"))]
mod crash_workloads;
mod http_stress;
#[cfg(feature = "persistence")]
mod persistence;
#[cfg(feature = "persistence")]
mod restart_state;
mod shared_queues;
