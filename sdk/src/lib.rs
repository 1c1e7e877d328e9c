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
//!
//! Features: `http` adds [`http`], the provider HTTP call and its error mapping (brings
//! reqwest; an adapter without HTTP leaves it off); `signing` adds [`signing`], Standard
//! Webhooks signatures (the generic HTTP adapter's scheme); `test-util` adds [`test_util`],
//! fixtures for adapters' own tests; `conformance` adds the kit (and `test-util`).

#[allow(unsafe_code)]
pub mod abi;
pub mod adapter;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod error;
mod export;
pub mod health;
#[cfg(feature = "http")]
pub mod http;
pub mod reports;
pub mod secret;
#[cfg(feature = "signing")]
pub mod signing;
#[cfg(feature = "test-util")]
pub mod test_util;
pub mod types;

pub use adapter::{Adapter, CreateContext};
pub use error::{AdapterError, CallbackError, retry_after_ms};
pub use health::HealthTracker;
pub use reports::{ReportError, Reports};
pub use secret::Secret;
pub use types::*;

/// This SDK's version (`gateway-sdk` in Cargo.toml); every library reports the one it
/// was built with, shown in the gateway's `GET /v1/adapters` as `sdk_version`.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Re-exported so adapter crates need not pin their own `async-trait`.
pub use async_trait::async_trait;
