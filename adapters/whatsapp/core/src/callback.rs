//! Webhooks: the `GET` subscription handshake (`hub.mode`, `hub.verify_token`,
//! `hub.challenge`) and `POST` notifications signed with
//! `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`, whose
//! `entry[].changes[].value.statuses[]` become status updates. Inbound messages and
//! unknown fields are ignored.
//!
//! Meta's signature covers only the body, but each status carries its own `timestamp`
//! inside that body: a status dated further than `report_max_age_secs` from when the
//! gateway received it is dropped as a possible replay, and a notification with nothing
//! but such statuses is refused. Replays inside the window are harmless: the gateway
//! records a status once per message.

use crate::client::{ErrorClass, classify};
use gateway_sdk::{
    CallbackError, CallbackOutcome, CallbackReply, CallbackRequest, DeliveryStatus, StatusUpdate,
};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

type HmacSha256 = Hmac<Sha256>;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

/// The header value Meta sends for `body` (used by the fake and tests).
pub fn sign(app_secret: &str, body: &str) -> String {
    let mut mac =
        HmacSha256::new_from_slice(app_secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[derive(Deserialize)]
struct Notification {
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    #[serde(default)]
    value: ChangeValue,
}

#[derive(Deserialize, Default)]
struct ChangeValue {
    #[serde(default)]
    statuses: Vec<Status>,
}

#[derive(Deserialize)]
struct Status {
    id: String,
    status: String,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    errors: Vec<StatusError>,
}

#[derive(Deserialize)]
struct StatusError {
    code: i64,
    #[serde(default)]
    title: Option<String>,
}

/// Handles one webhook call.
pub fn parse(
    app_secret: &str,
    verify_token: &str,
    max_age_secs: u64,
    request: &CallbackRequest,
) -> Result<CallbackOutcome, CallbackError> {
    if request.method.eq_ignore_ascii_case("GET") {
        handshake(verify_token, request)
    } else if request.method.eq_ignore_ascii_case("POST") {
        verify(app_secret, request)?;
        let received = request.received_at.unix_timestamp();
        notification(&request.body, |signed_at| {
            received.abs_diff(signed_at) <= max_age_secs
        })
    } else {
        Err(CallbackError::Malformed {
            message: format!("unexpected method {}", request.method),
        })
    }
}

fn handshake(
    verify_token: &str,
    request: &CallbackRequest,
) -> Result<CallbackOutcome, CallbackError> {
    let url = gateway_sdk::http::reqwest::Url::parse(&request.url).map_err(|e| {
        CallbackError::Malformed {
            message: format!("unparseable URL: {e}"),
        }
    })?;
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    if param("hub.mode").as_deref() != Some("subscribe") {
        return Err(CallbackError::Malformed {
            message: "hub.mode is not `subscribe`".into(),
        });
    }
    let presented = param("hub.verify_token").unwrap_or_default();
    if !bool::from(presented.as_bytes().ct_eq(verify_token.as_bytes())) {
        return Err(CallbackError::Signature {
            message: "hub.verify_token does not match".into(),
        });
    }
    let challenge = param("hub.challenge").ok_or_else(|| CallbackError::Malformed {
        message: "hub.challenge is missing".into(),
    })?;
    Ok(CallbackOutcome {
        updates: Vec::new(),
        reply: Some(CallbackReply {
            status: 200,
            content_type: "text/plain".into(),
            body: challenge,
        }),
    })
}

fn verify(app_secret: &str, request: &CallbackRequest) -> Result<(), CallbackError> {
    let bad = |m: &str| CallbackError::Signature {
        message: m.to_owned(),
    };
    let header = request
        .header(SIGNATURE_HEADER)
        .ok_or_else(|| bad("missing X-Hub-Signature-256"))?;
    let hex_sig = header
        .trim()
        .strip_prefix("sha256=")
        .ok_or_else(|| bad("X-Hub-Signature-256 lacks `sha256=`"))?;
    let signature = hex::decode(hex_sig).map_err(|_| bad("X-Hub-Signature-256 is not hex"))?;
    let mut mac =
        HmacSha256::new_from_slice(app_secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(request.body.as_bytes());
    // `verify_slice` compares in constant time.
    mac.verify_slice(&signature)
        .map_err(|_| bad("X-Hub-Signature-256 does not match"))
}

/// The updates in a notification body; `fresh(timestamp)` says whether a status dated
/// `timestamp` is inside the replay window.
fn notification(body: &str, fresh: impl Fn(i64) -> bool) -> Result<CallbackOutcome, CallbackError> {
    let parsed: Notification =
        serde_json::from_str(body).map_err(|e| CallbackError::Malformed {
            message: format!("not a WhatsApp notification: {e}"),
        })?;
    let mut outcome = CallbackOutcome::default();
    let mut stale = 0usize;
    let statuses = parsed
        .entry
        .into_iter()
        .flat_map(|e| e.changes)
        .flat_map(|c| c.value.statuses);
    for s in statuses {
        let signed_at = s.timestamp.as_deref().and_then(|t| t.parse::<i64>().ok());
        if signed_at.is_some_and(|t| !fresh(t)) {
            stale += 1;
            continue;
        }
        let first_error = s.errors.first();
        let status = match s.status.as_str() {
            "sent" => DeliveryStatus::Sent,
            "delivered" => DeliveryStatus::Delivered,
            "read" => DeliveryStatus::Read,
            // Not on WhatsApp or otherwise undeliverable: the network could not deliver it.
            "failed"
                if first_error
                    .is_some_and(|e| classify(e.code) == Some(ErrorClass::Unreachable)) =>
            {
                DeliveryStatus::Undelivered
            }
            "failed" => DeliveryStatus::Failed,
            other => {
                tracing::debug!(
                    status = other,
                    "WhatsApp status without a gateway equivalent ignored"
                );
                continue;
            }
        };
        let at = signed_at.and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok());
        outcome.updates.push(StatusUpdate {
            provider_message_id: s.id,
            status,
            at,
            error_code: first_error.map(|e| e.code.to_string()),
            detail: first_error.and_then(|e| e.title.clone()),
        });
    }
    if stale > 0 && outcome.updates.is_empty() {
        return Err(CallbackError::Signature {
            message: format!(
                "{stale} status(es) dated outside the replay window (stale or replayed)"
            ),
        });
    }
    Ok(outcome)
}
