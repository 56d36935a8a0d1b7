//! Process tests of the `mns` CLI: the real binary, run as a child process against an emulator
//! started in-process by each test (loopback only).

mod admin;
mod common;
mod messages;
mod moving;
mod proxy;
