//! End-to-end tests: one test binary, the real gateway process per test.

// Test helpers may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

mod connections;
mod contract;
mod defects;
mod durability;
mod fake_controls;
mod flows;
mod foundation;
mod http_adapter;
mod late_fallback;
mod new_adapter;
mod observability;
mod preview;
mod providers;
mod resilience;
mod scale_out;
mod shipped;
mod smpp;
