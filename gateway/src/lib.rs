//! The confirmation-code gateway as a library: the binary in `main.rs` only parses the
//! command line and calls [`server::run`]. Each module has one job along the path of a
//! message (see `docs/architecture.md`).

#![deny(unsafe_code)]

pub mod clock;
pub mod config;
pub mod error;
pub mod http;
pub mod store;
pub mod metrics;
pub mod adapters;
pub mod phone;
pub mod render;
pub mod limits;
