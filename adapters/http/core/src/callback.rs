//! Delivery reports the service posts to `{public_url}/v1/callbacks/{instance}`: the
//! Standard Webhooks signature checked under the shared secret with the report's
//! timestamp within the window of the time it arrived (older ones are refused as possible
//! replays), then `{"id", "status", "at", "error_code"}` turned into a status update.
//! A report repeated inside the window is harmless: the gateway never moves a message back
//! to an earlier state, and applying the same state twice changes nothing.

use gateway_sdk::signing::SigningKey;
use gateway_sdk::{CallbackError, CallbackOutcome, CallbackRequest, DeliveryStatus, StatusUpdate};
use serde::Deserialize;
use std::time::Duration;
use time::OffsetDateTime;

/// Longest `id` accepted, in characters (as in answers).
const MAX_ID: usize = 256;
/// Longest `error_code` accepted, in characters.
const MAX_CODE: usize = 64;

/// The documented report body; unknown fields are ignored.
#[derive(Debug, Deserialize)]
struct Report {
    id: String,
    status: String,
    #[serde(default, with = "time::serde::rfc3339::option")]
    at: Option<OffsetDateTime>,
    #[serde(default)]
    error_code: Option<String>,
}

/// The report statuses and what they mean; anything else is ignored (no update), so a
/// status the contract adds later is not guessed at.
pub fn map_status(status: &str) -> Option<DeliveryStatus> {
    use DeliveryStatus as D;
    Some(match status {
        "queued" => D::Queued,
        "sent" => D::Sent,
        "delivered" => D::Delivered,
        "read" => D::Read,
        "failed" => D::Failed,
        "undelivered" => D::Undelivered,
        "expired" => D::Expired,
        _ => return None,
    })
}

/// Verifies and parses one report.
pub fn parse_report(
    key: &SigningKey,
    tolerance: Duration,
    request: &CallbackRequest,
) -> Result<CallbackOutcome, CallbackError> {
    if !request.method.eq_ignore_ascii_case("POST") {
        return Err(CallbackError::Malformed {
            message: format!("delivery reports are POSTs, got {}", request.method),
        });
    }
    key.verify(
        |name| request.header(name),
        request.body.as_bytes(),
        request.received_at.unix_timestamp(),
        tolerance,
    )
    .map_err(|e| CallbackError::Signature {
        message: e.to_string(),
    })?;
    let report: Report =
        serde_json::from_str(&request.body).map_err(|e| CallbackError::Malformed {
            message: format!("the report is not the documented JSON: {e}"),
        })?;
    if report.id.trim().is_empty() || report.id.chars().count() > MAX_ID {
        return Err(CallbackError::Malformed {
            message: "`id` must be 1-256 characters".into(),
        });
    }
    let code_ok = |c: &str| {
        (1..=MAX_CODE).contains(&c.chars().count()) && c.chars().all(|c| c.is_ascii_graphic())
    };
    if report.error_code.as_deref().is_some_and(|c| !code_ok(c)) {
        return Err(CallbackError::Malformed {
            message: "`error_code` must be 1-64 printable ASCII characters".into(),
        });
    }
    let Some(status) = map_status(&report.status) else {
        tracing::debug!(status = %report.status.chars().take(MAX_CODE).collect::<String>(), "report status not in the contract; ignored");
        return Ok(CallbackOutcome::default());
    };
    Ok(CallbackOutcome {
        updates: vec![StatusUpdate {
            provider_message_id: report.id,
            status,
            at: report.at,
            error_code: report.error_code,
            detail: None,
        }],
        reply: None,
    })
}
