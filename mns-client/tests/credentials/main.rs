//! Credential providers, the chain, caching and STS, over local servers and files.
//!
//! One test binary with a module per area (linking one binary per file dominated `cargo test`
//! on two cores).

mod credentials_cache;
mod credentials_chain;
mod credentials_debug;
mod credentials_ecs_uri;
mod credentials_env;
mod credentials_files;
mod credentials_rpc_signature;
mod credentials_sts;
