//! The provider's HTTP API, spoken exactly: the request, the answer, the delivery report,
//! and the mapping of its answers onto `AdapterError` (the only decision an adapter
//! makes).
//!
//! "Example SMS", like many aggregators, reports errors with a code in the body
//! (`{"error": {"code": 3, "message": "…"}}`), sometimes with HTTP 200. So the body's
//! error code is read first, whatever the status; the HTTP status decides only when the
//! body has no code. Map every code the provider documents ([`error_for_code`]), and
//! list them in the conformance test's error table so the kit checks each.

use gateway_sdk::http::ProviderAnswer;
use gateway_sdk::{AdapterError, DeliveryStatus, SendResult};
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

/// Any answer: `{"id": …}` on success, `{"error": {…}}` on failure.
#[derive(Debug, Deserialize)]
pub struct Answer {
    /// The provider's message id.
    #[serde(default)]
    pub id: Option<String>,
    /// The error, when there is one (even with HTTP 200).
    #[serde(default)]
    pub error: Option<ProviderError>,
}

/// The provider's error object.
#[derive(Debug, Deserialize)]
pub struct ProviderError {
    /// The documented error code.
    pub code: u32,
    /// Human text (no secrets, no codes).
    #[serde(default)]
    pub message: String,
}

/// A delivery report posted to the gateway.
#[derive(Debug, Deserialize)]
pub struct DeliveryReport {
    /// The provider's message id.
    pub id: String,
    /// `queued`, `sent`, `delivered`, `undelivered`, `failed`, or one added later.
    pub status: String,
}

/// The send's outcome from one complete answer. Never panics.
pub fn outcome(answer: &ProviderAnswer) -> Result<SendResult, AdapterError> {
    let parsed: Option<Answer> = serde_json::from_slice(&answer.body).ok();
    match parsed {
        Some(Answer { error: Some(e), .. }) => {
            Err(error_for_code(e.code, &e.message, answer.retry_after_ms))
        }
        Some(Answer { id: Some(id), .. }) if answer.is_success() && !id.is_empty() => {
            Ok(SendResult {
                provider_message_id: id,
                status: DeliveryStatus::Queued,
                segments_billed: None,
            })
        }
        _ if !answer.is_success() => Err(error_for_status(answer.status, answer.retry_after_ms)),
        _ => Err(AdapterError::transient(
            "example-sms answered 2xx without a message id or an error",
        )),
    }
}

/// The provider's documented error codes.
pub fn error_for_code(code: u32, message: &str, retry_after_ms: Option<u64>) -> AdapterError {
    let message = format!("example-sms error {code}: {message}");
    let provider_code = Some(code.to_string());
    match code {
        // Invalid phone number: this recipient is refused for good.
        1 => AdapterError::Rejected {
            message,
            provider_code,
        },
        // Wrong API key.
        2 => AdapterError::Auth { message },
        // Insufficient funds, account blocked: an operator must settle the account.
        3 | 4 => AdapterError::Account {
            message,
            provider_code,
        },
        // Too many requests.
        5 => AdapterError::Throttled {
            message,
            retry_after_ms,
        },
        // Destination not served: another channel may reach it.
        6 => AdapterError::Unreachable {
            message,
            provider_code,
        },
        // Sender name not allowed: the instance's `sender` setting is wrong.
        7 => AdapterError::Config { message },
        // Temporary failure, and codes the provider may add later.
        _ => AdapterError::Transient {
            message,
            retry_after_ms,
        },
    }
}

/// An error answer without a readable code: decided by the HTTP status.
pub fn error_for_status(status: u16, retry_after_ms: Option<u64>) -> AdapterError {
    let message = format!("example-sms answered HTTP {status}");
    match status {
        401 | 403 => AdapterError::Auth { message },
        402 => AdapterError::account(message),
        429 => AdapterError::Throttled {
            message,
            retry_after_ms,
        },
        400..=499 => AdapterError::rejected(message),
        _ => AdapterError::Transient {
            message,
            retry_after_ms,
        },
    }
}

/// A report's status; `None` for statuses the provider may add later (ignored, never
/// guessed).
pub fn map_status(status: &str) -> Option<DeliveryStatus> {
    Some(match status {
        "queued" => DeliveryStatus::Queued,
        "sent" => DeliveryStatus::Sent,
        "delivered" => DeliveryStatus::Delivered,
        "undelivered" => DeliveryStatus::Undelivered,
        "failed" => DeliveryStatus::Failed,
        _ => return None,
    })
}
