//! Connection errors as problem+json: each says what to do next.

use crate::connections::ConnectionError;
use crate::error::{ApiError, ErrorCode};
use serde_json::json;

/// `404 connection_not_found`.
pub fn not_found(id: &str) -> ApiError {
    ApiError::new(
        ErrorCode::ConnectionNotFound,
        format!("No connection `{id}` exists; list them with GET /v1/connections."),
    )
}

/// `409 connection_in_use`, naming the locations.
pub fn in_use(id: &str, locations: &[String]) -> ApiError {
    ApiError::new(ErrorCode::ConnectionInUse, format!(
            "Connection `{id}` is listed in the channels of location(s) {}; remove it there first, or delete with ?force=true.",
            locations.join(", ")
        ),
    )
    .with("locations", json!(locations))
}

/// The API error for a connection operation's failure.
pub fn problem(e: ConnectionError) -> ApiError {
    match e {
        ConnectionError::NotFound(id) => not_found(&id),
        ConnectionError::Invalid { field, message } => ApiError::invalid_field(&field, message),
        ConnectionError::UnknownKind { kind, known } => ApiError::new(
            ErrorCode::UnknownAdapterKind,
            format!(
                "No adapter library of kind `{kind}` is loaded; loaded kinds: {}.",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ),
        )
        .with("field", "kind")
        .with("known_kinds", json!(known)),
        ConnectionError::Settings { field, message } => {
            let err = ApiError::new(
                ErrorCode::InvalidSettings,
                format!("The adapter refused these settings: {message}. Fix the setting it names."),
            );
            match field {
                Some(f) => err.with("field", f),
                None => err,
            }
        }
        ConnectionError::SecretsNotConfigured => ApiError::new(
            ErrorCode::SecretsNotConfigured,
            "These settings hold secrets, and the gateway has no key to encrypt them with: an operator must set GATEWAY__SECRETS__KEY (or [secrets] key_file) and restart.",
        ),
        ConnectionError::Unusable { id, message } => {
            tracing::warn!(connection = %id, error = %message, "connection unusable");
            ApiError::new(
                ErrorCode::ConnectionUnusable,
                format!(
                    "Connection `{id}` cannot be used: {message}. Fix its settings with PATCH, or the [secrets] keys."
                ),
            )
        }
        ConnectionError::Conflict(id) => ApiError::new(
            ErrorCode::ConnectionChanged,
            format!("Connection `{id}` was changed by another request; read it again and retry."),
        ),
        ConnectionError::Store(e) => e.into(),
    }
}
