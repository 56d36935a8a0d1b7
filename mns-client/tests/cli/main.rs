//! Process tests of the `mns` CLI against an in-process emulator.
