//! The conformance suite against the in-process emulator on a virtual clock: one test per case
//! (see `CONFORMANCE.md`).

mns_testkit::conformance_tests!(mns_testkit::Target::emulator());
