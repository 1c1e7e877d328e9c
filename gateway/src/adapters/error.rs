//! Why adapters could not be loaded. Each message names the library path or instance
//! and says what to do.

use gateway_sdk::AdapterError;
use gateway_sdk::abi::host::TableError;
use std::path::PathBuf;

/// A failure to load an adapter library or create an instance.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The library file is not there: build it or fix `library`/`adapters_dir`.
    #[error(
        "adapter library {path} does not exist: build it (`cargo build --workspace`) or fix `library`/`adapters_dir`"
    )]
    Missing {
        /// The path that was tried.
        path: PathBuf,
    },
    /// The dynamic loader refused the file: it is not a loadable library for this
    /// platform, or a dependency is missing.
    #[error("adapter library {path} cannot be loaded: {reason}")]
    Open {
        /// The library path.
        path: PathBuf,
        /// The loader's explanation.
        reason: String,
    },
    /// The file is a library but not a gateway adapter (no ABI version or entry symbol).
    #[error("{path} is not a gateway adapter library: it does not export `{symbol}`")]
    NotAnAdapter {
        /// The library path.
        path: PathBuf,
        /// The missing symbol.
        symbol: String,
    },
    /// Built against another SDK ABI: rebuild the adapter against this gateway's SDK.
    #[error(
        "adapter library {path} was built for adapter ABI version {found}, but this gateway expects version {expected}: rebuild the adapter against this gateway's SDK"
    )]
    AbiMismatch {
        /// The library path.
        path: PathBuf,
        /// The version this gateway speaks.
        expected: u32,
        /// The version the library exports.
        found: u32,
    },
    /// The library's function table is unusable: rebuild the adapter.
    #[error("adapter library {path} has an unusable function table: {error}")]
    BadTable {
        /// The library path.
        path: PathBuf,
        /// What is wrong with the table (in the message, not a `source()`: `{:#}` chains
        /// would print it twice).
        error: TableError,
    },
    /// The `[[adapters]]` entry is invalid: fix the named field.
    #[error("adapter instance `{instance}`: {message}")]
    Config {
        /// The instance name.
        instance: String,
        /// Which field is wrong and what is allowed.
        message: String,
    },
    /// Two `[[adapters]]` entries share a name: rename one.
    #[error("two adapter instances are named `{0}`: instance names must be unique")]
    DuplicateName(String),
    /// Two different library files export the same adapter kind: keep one of them.
    #[error("adapter libraries {first} and {second} are both of kind `{kind}`: keep one")]
    DuplicateKind {
        /// The kind both export.
        kind: String,
        /// The library loaded first.
        first: PathBuf,
        /// The other one.
        second: PathBuf,
    },
    /// The adapter refused its settings (or failed to start): fix the settings it names.
    #[error("adapter instance `{instance}` ({path}) could not be created: {error}")]
    Create {
        /// The instance name.
        instance: String,
        /// The library path.
        path: PathBuf,
        /// The adapter's error (in the message, not a `source()`: `{:#}` chains would
        /// print it twice).
        error: AdapterError,
    },
}
