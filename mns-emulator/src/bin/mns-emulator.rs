//! Standalone MNS emulator server.
fn main() {}
