//! The provider's HTTP API, spoken exactly: one request type, one answer type, and the
//! mapping of its status codes onto `AdapterError` (the only decision an adapter makes).

use gateway_sdk::{AdapterError, DeliveryStatus};
use serde::{Deserialize, Serialize};

/// `POST {base_url}/v1/messages` body.
#[derive(Debug, Serialize)]
pub struct MessageRequest<'a> {
    /// Recipient in E.164.
    pub to: &'a str,
    /// Text to deliver.
    pub text: &'a str,
    /// Our message id, echoed in delivery reports.
    pub reference: &'a str,
    /// Sender name, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender: Option<&'a str>,
}

/// A successful answer.
#[derive(Debug, Deserialize)]
pub struct MessageAccepted {
    /// The provider's message id.
    pub id: String,
}

/// An error answer (`{"code": "...", "message": "..."}`), when the body has one.
#[derive(Debug, Default, Deserialize)]
pub struct ProviderError {
    /// Provider error code.
    #[serde(default)]
    pub code: Option<String>,
    /// Human text.
    #[serde(default)]
    pub message: Option<String>,
}

/// A delivery report posted to the gateway.
#[derive(Debug, Deserialize)]
pub struct DeliveryReport {
    /// The provider's message id.
    pub id: String,
    /// `queued`, `sent`, `delivered`, `failed`, …
    pub status: DeliveryStatus,
}

/// Maps a non-success HTTP status onto what the gateway should do.
pub fn error_for(status: u16, body: &str, retry_after_ms: Option<u64>) -> AdapterError {
    let detail: ProviderError = serde_json::from_str(body).unwrap_or_default();
    let message = detail
        .message
        .unwrap_or_else(|| format!("provider answered HTTP {status}"));
    match status {
        401 | 403 => AdapterError::Auth { message },
        429 => AdapterError::Throttled {
            message,
            retry_after_ms,
        },
        400..=499 => AdapterError::Rejected {
            message,
            provider_code: detail.code,
        },
        _ => AdapterError::Transient {
            message,
            retry_after_ms,
        },
    }
}
