//! Conformance suite and test helpers for MNS clients and the emulator.
#![deny(rustdoc::broken_intra_doc_links)]
