//! The Gateway API's request bodies and answers as the fake reads and writes them,
//! written from <https://core.telegram.org/gateway/api> (not shared with the adapter).

use serde::Deserialize;
use serde_json::{Value, json};

/// Code length Telegram accepts, in digits.
pub(super) const CODE_DIGITS: std::ops::RangeInclusive<usize> = 4..=8;
/// `ttl` Telegram accepts, in seconds.
pub(super) const TTL_SECS: std::ops::RangeInclusive<u64> = 30..=3600;
/// Longest `payload`, in bytes.
pub(super) const PAYLOAD_MAX_BYTES: usize = 128;
/// Longest `callback_url`, in bytes.
pub(super) const CALLBACK_URL_MAX_BYTES: usize = 256;

/// Body of `checkSendAbility`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CheckSendAbility {
    pub(super) phone_number: String,
}

/// Body of `sendVerificationMessage` (the documented fields; any other is refused).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SendVerificationMessage {
    pub(super) phone_number: String,
    #[serde(default)]
    pub(super) request_id: Option<String>,
    #[serde(default)]
    pub(super) sender_username: Option<String>,
    pub(super) code: String,
    #[serde(default)]
    pub(super) callback_url: Option<String>,
    #[serde(default)]
    pub(super) payload: Option<String>,
    pub(super) ttl: u64,
}

/// A `RequestStatus` object.
pub(super) fn request_status(id: &str, phone: &str, cost: f64, payload: Option<&str>) -> Value {
    let mut status = json!({
        "request_id": id, "phone_number": phone, "request_cost": cost,
        "remaining_balance": 100.0,
    });
    if let Some(p) = payload {
        status["payload"] = p.into();
    }
    status
}

/// `{"ok": true, "result": …}`.
pub(super) fn ok(result: Value) -> String {
    json!({ "ok": true, "result": result }).to_string()
}

/// `{"ok": false, "error": …}`.
pub(super) fn error(error: &str) -> String {
    json!({ "ok": false, "error": error }).to_string()
}
