//! The SMPP adapter against the SMSC simulator (`smsc-sim`, an SMPP server on the
//! `rusmpp` codec) on 127.0.0.1, driven through the real C ABI table.

// Test helpers may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

mod support;

mod conformance;
mod link;
mod send;
