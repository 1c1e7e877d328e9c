//! Mock delivery reports: `{"provider_message_id": "...", "status": "delivered"}`
//! signed with a hex HMAC-SHA256 of the raw body in `x-mock-signature`.

use gateway_sdk::{CallbackError, CallbackOutcome, CallbackRequest, DeliveryStatus, StatusUpdate};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-mock-signature";

/// The hex signature of `body` under `secret`, as a provider (or a test) computes it.
pub fn sign(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC-SHA256 accepts keys of any length");
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[derive(Deserialize)]
struct Report {
    provider_message_id: String,
    status: DeliveryStatus,
    #[serde(default)]
    error_code: Option<String>,
}

/// Verifies the signature (in constant time) and parses the report.
pub fn parse(secret: &str, request: &CallbackRequest) -> Result<CallbackOutcome, CallbackError> {
    let signature = request
        .header(SIGNATURE_HEADER)
        .ok_or_else(|| CallbackError::Signature {
            message: format!("missing {SIGNATURE_HEADER}"),
        })?;
    let signature = hex::decode(signature.trim()).map_err(|_| CallbackError::Signature {
        message: format!("{SIGNATURE_HEADER} is not hex"),
    })?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC-SHA256 accepts keys of any length");
    mac.update(request.body.as_bytes());
    mac.verify_slice(&signature)
        .map_err(|_| CallbackError::Signature {
            message: "signature does not match".into(),
        })?;
    let report: Report =
        serde_json::from_str(&request.body).map_err(|e| CallbackError::Malformed {
            message: format!("mock report: {e}"),
        })?;
    Ok(CallbackOutcome {
        updates: vec![StatusUpdate {
            provider_message_id: report.provider_message_id,
            status: report.status,
            at: Some(request.received_at),
            error_code: report.error_code,
            detail: None,
        }],
        reply: None,
    })
}
