//! The Gateway API's shapes, as documented at <https://core.telegram.org/gateway/api>:
//! the bodies of `checkSendAbility` and `sendVerificationMessage`, the `{ok, result,
//! error}` envelope, and `RequestStatus` (which is also the body of a delivery report),
//! plus the rules that turn a [`SendRequest`] into a request Telegram accepts.

use gateway_sdk::{AdapterError, SendRequest};
use serde::{Deserialize, Serialize};

/// Shortest code Telegram accepts in `code`.
pub const CODE_MIN_DIGITS: usize = 4;
/// Longest code Telegram accepts in `code`.
pub const CODE_MAX_DIGITS: usize = 8;
/// Shortest `ttl` Telegram accepts, in seconds.
pub const TTL_MIN_SECS: u64 = 30;
/// Longest `ttl` Telegram accepts, in seconds.
pub const TTL_MAX_SECS: u64 = 3600;
/// Longest `payload` Telegram accepts, in bytes.
pub const PAYLOAD_MAX_BYTES: usize = 128;
/// Longest `callback_url` Telegram accepts, in bytes.
pub const CALLBACK_URL_MAX_BYTES: usize = 256;

/// Body of `checkSendAbility`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSendAbility {
    /// Recipient in E.164.
    pub phone_number: String,
}

/// Body of `sendVerificationMessage`, with the optional fields this adapter uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendVerificationMessage {
    /// Recipient in E.164.
    pub phone_number: String,
    /// The `request_id` of a prior `checkSendAbility`, so the request is charged once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// A verified channel to send from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_username: Option<String>,
    /// Our code: 4 to 8 digits.
    pub code: String,
    /// Where Telegram posts delivery reports (HTTPS, at most 256 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    /// Our message id, echoed back in reports (at most 128 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// Seconds until the message is deleted (and refunded) if not delivered, 30–3600.
    pub ttl: u64,
}

/// The response envelope of every Gateway API method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Whether the call succeeded.
    pub ok: bool,
    /// The result on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<RequestStatus>,
    /// The error on failure, e.g. `ACCESS_TOKEN_INVALID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Status of a verification request; unknown fields are ignored so that additions by
/// Telegram (such as `is_refunded`) never break parsing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestStatus {
    /// Telegram's id of the request; our provider message id.
    pub request_id: String,
    /// Recipient in E.164.
    pub phone_number: String,
    /// What the request cost.
    pub request_cost: f64,
    /// Whether the fee was refunded (not delivered within `ttl`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_refunded: Option<bool>,
    /// Balance left, on calls that charge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_balance: Option<f64>,
    /// Delivery state, once a message was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_status: Option<DeliveryState>,
    /// Verification state (codes entered by the user); not used by the gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_status: Option<serde_json::Value>,
    /// The `payload` we sent (our message id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

/// Telegram's `DeliveryStatus` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryState {
    /// `sent`, `delivered`, `read`, `expired` or `revoked`.
    pub status: String,
    /// Unix time of the last change.
    pub updated_at: i64,
}

/// Checks that Telegram can carry `code`; other codes cannot go out on this channel.
pub fn check_code(code: &str) -> Result<(), AdapterError> {
    let digits = code.len();
    if (CODE_MIN_DIGITS..=CODE_MAX_DIGITS).contains(&digits)
        && code.bytes().all(|b| b.is_ascii_digit())
    {
        Ok(())
    } else {
        Err(AdapterError::unreachable(format!(
            "Telegram Gateway accepts codes of {CODE_MIN_DIGITS}-{CODE_MAX_DIGITS} digits only"
        )))
    }
}

/// The code's validity clamped to what Telegram accepts.
pub fn clamp_ttl(code_ttl_secs: u64) -> u64 {
    code_ttl_secs.clamp(TTL_MIN_SECS, TTL_MAX_SECS)
}

/// Builds `sendVerificationMessage` for `req`. `fallback_callback` is the instance's own
/// callback URL, used when the request carries none.
pub fn build_send(
    req: &SendRequest,
    sender_username: Option<&str>,
    fallback_callback: Option<&str>,
) -> Result<SendVerificationMessage, AdapterError> {
    check_code(&req.code)?;
    let callback_url = req.callback_url.as_deref().or(fallback_callback);
    if let Some(url) = callback_url
        && url.len() > CALLBACK_URL_MAX_BYTES
    {
        return Err(AdapterError::config(format!(
            "the callback URL is {} bytes; Telegram accepts at most {CALLBACK_URL_MAX_BYTES} \
             (shorten the gateway's public_url or the instance name)",
            url.len()
        )));
    }
    // The payload is only a cross-reference; an over-long id is left out rather than
    // failing the send, since reports are matched on `request_id` anyway.
    let payload = (req.message_id.len() <= PAYLOAD_MAX_BYTES).then(|| req.message_id.clone());
    Ok(SendVerificationMessage {
        phone_number: req.phone.clone(),
        request_id: req.precheck_ref.clone(),
        sender_username: sender_username.map(str::to_owned),
        code: req.code.clone(),
        callback_url: callback_url.map(str::to_owned),
        payload,
        ttl: clamp_ttl(req.code_ttl_secs),
    })
}
