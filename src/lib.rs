//! Workspace package hosting the examples and cross-crate tests. Not published.
