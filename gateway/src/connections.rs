//! Provider connections: adapter instances created, changed and removed through the API
//! at run time, per location or shared, live on every gateway instance sharing the
//! store, with no restart.
//!
//! A connection is a kind (an adapter library the gateway has loaded), a name, an
//! optional owning location and the adapter's settings. Settings are checked by creating
//! the instance through the library's own create function (the same path as
//! `[[adapters]]`), secret settings are sealed with [`crate::vault`] and never shown
//! again, and instances are built lazily and kept in a bounded cache ([`live`]) that
//! notices changes made anywhere within `connections.recheck`. See
//! [`model`] for which settings count as secret and [`records`] for how they are stored.

mod config;
pub mod live;
pub mod model;
pub mod records;
mod service;

pub use config::ConnectionsConfig;
pub use model::{Connection, ConnectionPatch, NewConnection};
pub use service::{Connections, RotateReport};

use crate::store::StoreError;

/// Prefix of connection ids (configured instance names may not use it).
pub const CONNECTION_PREFIX: &str = "conn_";

/// Whether `name` refers to a connection rather than a configured instance.
pub fn is_connection(name: &str) -> bool {
    name.starts_with(CONNECTION_PREFIX)
}

/// Why a connection operation failed, by what the caller does next.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// No connection has this id: check the id.
    #[error("no connection `{0}`")]
    NotFound(String),
    /// A field of the request is invalid: fix the named field.
    #[error("{message}")]
    Invalid {
        /// The field (`name`, `settings.auth_token`).
        field: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// No loaded adapter library has this kind: use one of `known`.
    #[error("no adapter library of kind `{kind}` is loaded")]
    UnknownKind {
        /// The kind asked for.
        kind: String,
        /// The kinds that are loaded.
        known: Vec<String>,
    },
    /// The adapter refused the settings: fix the setting its message names.
    #[error("{message}")]
    Settings {
        /// The setting the adapter named, if it named one.
        field: Option<String>,
        /// The adapter's own words.
        message: String,
    },
    /// Secrets cannot be stored: no `[secrets]` key is configured (an operator's job).
    #[error("no secrets key is configured")]
    SecretsNotConfigured,
    /// The stored connection cannot be turned into an instance (its sealed settings do
    /// not open, or the adapter no longer accepts them): an operator must fix the keys
    /// or the settings.
    #[error("connection `{id}` is unusable: {message}")]
    Unusable {
        /// The connection.
        id: String,
        /// Why, without any secret.
        message: String,
    },
    /// Someone else changed the connection meanwhile: read it again and retry.
    #[error("connection `{0}` was changed concurrently")]
    Conflict(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests;
