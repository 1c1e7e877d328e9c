//! The SDK that adapter authors build against.
//!
//! An adapter is a Rust crate that implements the safe, async [`Adapter`] trait and
//! invokes [`export_adapter!`] once. Compiled as a `cdylib`, it is loaded by an
//! unmodified gateway at start-up. Everything that crosses the shared-library boundary
//! is plain JSON described by the serde types in [`types`]; the C ABI itself lives in
//! [`abi`] and is the only place in the SDK that uses `unsafe`.
//!
//! Authors never write `unsafe`: implement [`Adapter`], call `export_adapter!(MyAdapter)`,
//! and run the [`conformance`] kit (feature `conformance`) in your tests.

#[allow(unsafe_code)]
pub mod abi;
pub mod adapter;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod error;
mod export;
pub mod reports;
pub mod secret;
pub mod types;

pub use adapter::{Adapter, CreateContext};
pub use error::{AdapterError, CallbackError, retry_after_ms};
pub use reports::{ReportError, Reports};
pub use secret::Secret;
pub use types::*;

/// Re-exported so adapter crates need not pin their own `async-trait`.
pub use async_trait::async_trait;
