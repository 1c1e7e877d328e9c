//! The confirmation-code gateway as a library: the binary in `main.rs` only parses the
//! command line and calls [`server::run`]. Each module has one job along the path of a
//! message (see `docs/architecture.md`).

#![deny(unsafe_code)]

pub mod adapters;
pub mod api;
pub mod app;
pub mod auth;
pub mod check;
pub mod clock;
pub mod config;
pub mod connections;
pub mod error;
pub mod flows;
pub mod http;
pub mod json_shape;
pub mod limits;
pub mod locations;
pub mod logging;
pub mod metrics;
pub mod phone;
pub mod render;
pub mod secret;
pub mod server;
pub mod state;
pub mod store;
pub mod vault;
