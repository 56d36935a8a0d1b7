//! Conformance suite and test helpers for Alibaba Cloud MNS clients and the `mns-emulator`.
//!
//! # The conformance suite
//!
//! [`suite`] holds one plain `async fn` per behaviour of the service (queue, message, topic and
//! subscription operations, the semantics of reference `mns-queues.md` §8, every error code),
//! each taking a [`Target`]: a client plus the capabilities of the backend behind it.
//! [`conformance_tests!`] turns the whole list into one `#[tokio::test]` per case, so a failure
//! names its case:
//!
//! ```text
//! // tests/conformance_emulator.rs
//! mns_testkit::conformance_tests!(mns_testkit::Target::emulator());
//! // tests/conformance_live.rs: same cases against real MNS, #[ignore]d by default
//! mns_testkit::conformance_tests!(live: mns_testkit::Target::live_from_env());
//! ```
//!
//! The same cases run against the in-process emulator (virtual time: [`Target::elapse`] is
//! instant) and against the real service (real, short waits). `CONFORMANCE.md` at the repository
//! root lists every case with its reference section and results.
//!
//! # Helpers for your own tests
//!
//! * [`TestEnv`]: an emulator on a virtual clock plus a ready [`mns_client::Client`], in one call.
//! * [`QueueGuard`] / [`TopicGuard`]: uniquely named queues and topics that delete themselves.
//! * [`QueueAssert`]: inspection of everything stored in an emulator queue (visible, in flight and
//!   delayed messages) with assertions; [`DeliveriesAssert`] / [`TestEnv::deliveries`] for what
//!   topics delivered (queue and HTTP push attempts, delivered bodies, dropped messages).
//! * [`ClockTimeSource`]: lets the client sign with the emulator's virtual time.
//! * [`MockMns`]: a wiremock server answering MNS-shaped successes and errors, for the error paths
//!   of your code.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use mns_testkit::TestEnv;
//!
//! let env = TestEnv::start().await?;
//! let queue = env.queue("orders").await?;
//! queue.send_message("order #1").await?;
//! let msg = queue.receive_message(Some(Duration::ZERO)).await?.expect("a message");
//! env.assert_queue(queue.name()).has_in_flight(1);
//! env.advance(Duration::from_secs(30)); // the visibility timeout passes instantly
//! env.assert_queue(queue.name()).has_visible(1);
//! # let _ = msg;
//! # Ok(()) }
//! ```
#![deny(rustdoc::broken_intra_doc_links)]

// The crate README (the crates.io page) is compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod clock;
mod control;
mod env;
mod guard;
mod inspect;
mod mock;
mod raw;
pub mod suite;
mod target;

pub use clock::ClockTimeSource;
pub use env::TestEnv;
pub use guard::{QueueGuard, TopicGuard};
pub use inspect::{DeliveriesAssert, QueueAssert};
pub use mns_emulator::clock::ManualClock;
pub use mns_emulator::engine::{MessageSnapshot, MessageState};
pub use mock::{MockMns, MockResponse};
pub use raw::{RawRequest, RawResponse};
pub use suite::{CASES, CaseInfo};
pub use target::{Capabilities, CaseError, CaseResult, LIVE_SLACK, Target};

/// Expands to one `#[tokio::test]` per conformance case (see [`suite::CASES`]), each running the
/// case against a fresh target made by the given expression (an `async` expression yielding a
/// [`Target`]) and cleaning up afterwards.
///
/// * `conformance_tests!(Target::emulator())`: plain tests.
/// * `conformance_tests!(live: Target::live_from_env())`: the same tests, `#[ignore]`d so a plain
///   `cargo test` never reports a pass it did not earn; run them with `--ignored`. Cases that need
///   the backend to reach this machine (HTTP push, module [`suite::push`]) or count push attempts
///   (the subscription DLQ case of [`suite::fifo_dlq`]) are not generated.
///
/// The calling crate needs `tokio` with the `macros` and `rt-multi-thread` features.
#[macro_export]
macro_rules! conformance_tests {
    (live: $make:expr) => {
        $crate::__with_cases!(__emit_tests! {
            live [ignore = "needs MNS_ENDPOINT and credentials; run with --ignored"] $make
        });
    };
    ($make:expr) => {
        $crate::__with_cases!(__emit_tests! { emulator [cfg(all())] $make });
    };
}

/// Implementation detail of [`conformance_tests!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __emit_tests {
    ({ $mode:ident $attr:tt $make:expr }
     $($module:ident :: $case:ident => $section:literal, $checks:literal;)*) => {
        $(
            $crate::__emit_test! { $mode $attr $make; $module $case $checks }
        )*
    };
}

/// Implementation detail of [`conformance_tests!`]: one test, or none for a live run of a case
/// the live service cannot serve: HTTP push to this machine, and push attempts counted (the
/// subscription DLQ case of [`suite::fifo_dlq`]).
#[doc(hidden)]
#[macro_export]
macro_rules! __emit_test {
    (live $attr:tt $make:expr; push $case:ident $checks:literal) => {};
    (live $attr:tt $make:expr; fifo_dlq subscription_dlq_catches_the_last_failed_retry $checks:literal) => {};
    ($mode:ident $attr:tt $make:expr; $module:ident $case:ident $checks:literal) => {
        #[doc = $checks]
        #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #$attr
        async fn $case() {
            let target: $crate::Target = $make.await;
            $crate::suite::run(
                &target,
                stringify!($case),
                $crate::suite::$module::$case(&target),
            )
            .await;
        }
    };
}

/// Implementation detail: the case table as a `CaseInfo` slice.
#[doc(hidden)]
#[macro_export]
macro_rules! __case_table {
    ({} $($module:ident :: $case:ident => $section:literal, $checks:literal;)*) => {
        /// Every conformance case, in suite order.
        pub const CASES: &[CaseInfo] = &[
            $(CaseInfo {
                name: stringify!($case),
                module: stringify!($module),
                section: $section,
                checks: $checks,
            },)*
        ];
    };
}
