//! Delivery reports: Telegram POSTs a `RequestStatus` to the `callback_url`, signed with
//! `X-Request-Signature = hex(HMAC-SHA256(key = SHA256(api token), timestamp + "\n" +
//! body))` and dated by `X-Request-Timestamp`. This module verifies both and turns the
//! report into status updates keyed by `request_id`.

use crate::request::RequestStatus;
use gateway_sdk::{CallbackError, CallbackOutcome, CallbackRequest, DeliveryStatus, StatusUpdate};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

type HmacSha256 = Hmac<Sha256>;

/// Header carrying the Unix time the report was signed at.
pub const TIMESTAMP_HEADER: &str = "X-Request-Timestamp";
/// Header carrying the hex signature.
pub const SIGNATURE_HEADER: &str = "X-Request-Signature";

/// The HMAC key Telegram signs reports with: SHA-256 of the API token.
pub fn signing_key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The hex signature Telegram puts on a report (used by the fake and by tests).
pub fn sign(token: &str, timestamp: &str, body: &str) -> String {
    hex::encode(
        mac_for(&signing_key(token), timestamp, body)
            .finalize()
            .into_bytes(),
    )
}

fn mac_for(key: &[u8; 32], timestamp: &str, body: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b"\n");
    mac.update(body.as_bytes());
    mac
}

/// Maps Telegram's `delivery_status.status`; `None` for a status this adapter does not know.
pub fn map_status(status: &str) -> Option<DeliveryStatus> {
    Some(match status {
        "sent" => DeliveryStatus::Sent,
        "delivered" => DeliveryStatus::Delivered,
        "read" => DeliveryStatus::Read,
        "expired" => DeliveryStatus::Expired,
        // Revoked before it was read: the phone no longer shows the code.
        "revoked" => DeliveryStatus::Failed,
        _ => return None,
    })
}

/// Verifies and parses one report. `key` is [`signing_key`] of the token; a report
/// dated more than `max_age_secs` away from `received_at` is refused as stale.
pub fn parse_report(
    key: &[u8; 32],
    max_age_secs: u64,
    request: &CallbackRequest,
) -> Result<CallbackOutcome, CallbackError> {
    if !request.method.eq_ignore_ascii_case("POST") {
        return Err(CallbackError::Malformed {
            message: format!("Telegram reports are POSTed, got {}", request.method),
        });
    }
    let signature_error = |m: &str| CallbackError::Signature {
        message: m.to_owned(),
    };
    let timestamp = request
        .header(TIMESTAMP_HEADER)
        .ok_or_else(|| signature_error("missing X-Request-Timestamp"))?
        .trim();
    let signature = request
        .header(SIGNATURE_HEADER)
        .ok_or_else(|| signature_error("missing X-Request-Signature"))?
        .trim();
    let signature =
        hex::decode(signature).map_err(|_| signature_error("X-Request-Signature is not hex"))?;
    // Constant-time comparison inside `verify_slice`.
    mac_for(key, timestamp, &request.body)
        .verify_slice(&signature)
        .map_err(|_| signature_error("X-Request-Signature does not match"))?;
    let signed_at: i64 = timestamp
        .parse()
        .map_err(|_| signature_error("X-Request-Timestamp is not a Unix time"))?;
    let age = request.received_at.unix_timestamp().abs_diff(signed_at);
    if age > max_age_secs {
        return Err(signature_error(
            "X-Request-Timestamp is too far from now (stale or replayed)",
        ));
    }
    let report: RequestStatus =
        serde_json::from_str(&request.body).map_err(|e| CallbackError::Malformed {
            message: format!("not a Telegram RequestStatus: {e}"),
        })?;
    let mut outcome = CallbackOutcome::default();
    if let Some(delivery) = report.delivery_status {
        match map_status(&delivery.status) {
            Some(status) => outcome.updates.push(StatusUpdate {
                provider_message_id: report.request_id,
                status,
                at: OffsetDateTime::from_unix_timestamp(delivery.updated_at).ok(),
                error_code: None,
                detail: (delivery.status == "revoked").then(|| "revoked".to_owned()),
            }),
            None => {
                tracing::warn!(status = %delivery.status, "unknown Telegram delivery status ignored")
            }
        }
    }
    Ok(outcome)
}
