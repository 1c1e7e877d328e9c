//! End-to-end tests: one test binary, the real gateway process per test.

mod flows;
mod foundation;
mod providers;
