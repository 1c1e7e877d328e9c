//! HTTP calls to the Twilio REST API (reqwest over rustls) and the mapping of its
//! answers onto the SDK's [`AdapterError`] kinds, so the gateway can route on them:
//! a bad recipient stops, a route problem tries the next channel, throttling and 5xx
//! are retried elsewhere, refused credentials mark the instance unhealthy.

use crate::config::TwilioSettings;
use gateway_sdk::http::{ProviderClient, reqwest};
use gateway_sdk::{AdapterError, DeliveryStatus, SendResult};
use serde::Deserialize;
use std::time::Duration;

/// Error codes meaning "this recipient or message is refused for good".
/// 21211 invalid `To`, 21610 recipient replied STOP, 21614 not a mobile number,
/// 21635 landline, 21617 body too long, 21604/21602 missing `To`/`Body`.
pub const REJECTED_CODES: &[u32] = &[21211, 21610, 21614, 21635, 21617, 21604, 21602];
/// Error codes meaning "this account cannot reach this destination": try another channel.
/// 21408 region not enabled (geo permissions), 21612 no route between `From` and `To`,
/// 21608 trial account and unverified recipient.
pub const UNREACHABLE_CODES: &[u32] = &[21408, 21612, 21608];
/// Error codes meaning "this instance is configured wrongly".
/// 20404 unknown account (path), 21212/21601/21606 unusable `From`, 21603 missing sender,
/// 21701–21705 unusable Messaging Service, 21624 invalid validity period.
pub const CONFIG_CODES: &[u32] = &[
    20404, 21212, 21601, 21606, 21603, 21701, 21702, 21703, 21704, 21705, 21624,
];
/// 20003: authentication failed.
pub const AUTH_CODE: u32 = 20003;
/// 20429: too many requests.
pub const THROTTLED_CODE: u32 = 20429;

/// A client for one account's Messages resource.
#[derive(Debug, Clone)]
pub struct TwilioClient {
    /// The SDK's provider HTTP client (shared connection pool, cheap to clone).
    http: ProviderClient,
    /// `…/Accounts/{Sid}/Messages.json`.
    url: String,
    /// Basic-auth user (account SID or API key SID).
    user: String,
    /// Basic-auth password (auth token or API key secret).
    password: gateway_sdk::Secret,
}

impl TwilioClient {
    /// Builds the client; fails only if the TLS backend cannot initialise.
    pub fn new(settings: &TwilioSettings) -> Result<Self, AdapterError> {
        let http = ProviderClient::new("twilio", env!("CARGO_PKG_VERSION"))?;
        let (user, password) = settings.credentials();
        Ok(Self {
            http,
            url: crate::request::messages_url(&settings.base_url, &settings.account_sid),
            user: user.to_owned(),
            password: password.clone(),
        })
    }

    /// POSTs one Create Message form; the whole exchange must finish within `deadline`.
    pub async fn create_message(
        &self,
        form: &[(&'static str, String)],
        deadline: Duration,
    ) -> Result<SendResult, AdapterError> {
        let request = self
            .http
            .post(&self.url)
            .basic_auth(&self.user, Some(self.password.expose()))
            .header(reqwest::header::ACCEPT, "application/json")
            .form(form);
        let answer = self.http.send(request, deadline).await?;
        map_response(answer.status, answer.retry_after_ms, &answer.body)
    }
}

/// What Twilio answers on success (only the fields the gateway uses; others ignored).
#[derive(Debug, Deserialize)]
struct CreatedMessage {
    sid: String,
    status: String,
    /// A string in the real API ("1"); `"0"` when a Messaging Service has not yet
    /// picked a sender.
    #[serde(default)]
    num_segments: Option<serde_json::Value>,
    #[serde(default)]
    error_code: Option<serde_json::Value>,
}

/// Twilio's error body: `{"code", "message", "more_info", "status"}`.
#[derive(Debug, Deserialize)]
struct TwilioErrorBody {
    #[serde(default)]
    code: Option<u32>,
    #[serde(default)]
    message: Option<String>,
}

/// Maps one HTTP answer (status, `Retry-After` in ms, body) to the send outcome. Never
/// panics.
pub fn map_response(
    status: u16,
    retry_after_ms: Option<u64>,
    body: &[u8],
) -> Result<SendResult, AdapterError> {
    if (200..300).contains(&status) {
        return parse_created(body);
    }
    let err: Option<TwilioErrorBody> = serde_json::from_slice(body).ok();
    let code = err.as_ref().and_then(|e| e.code);
    let message = err
        .and_then(|e| e.message)
        .map(|m| redact_numbers(&m))
        .unwrap_or_else(|| format!("HTTP {status} without a Twilio error body"));
    let message = match code {
        Some(c) => format!("{message} (Twilio error {c}, HTTP {status})"),
        None => message,
    };
    let provider_code = code.map(|c| c.to_string());
    let has = |set: &[u32]| code.is_some_and(|c| set.contains(&c));
    Err(if status == 401 || code == Some(AUTH_CODE) {
        AdapterError::Auth { message }
    } else if status == 429 || code == Some(THROTTLED_CODE) {
        AdapterError::Throttled {
            message,
            retry_after_ms,
        }
    } else if status >= 500 {
        AdapterError::Transient {
            message,
            retry_after_ms,
        }
    } else if has(UNREACHABLE_CODES) {
        AdapterError::Unreachable {
            message,
            provider_code,
        }
    } else if has(CONFIG_CODES) || status == 404 {
        AdapterError::Config { message }
    } else if status == 403 {
        AdapterError::Auth { message }
    } else {
        // REJECTED_CODES and every other 4xx: the request as made will never succeed.
        AdapterError::Rejected {
            message,
            provider_code,
        }
    })
}

fn parse_created(body: &[u8]) -> Result<SendResult, AdapterError> {
    let created: CreatedMessage = serde_json::from_slice(body).map_err(|e| {
        AdapterError::transient(format!(
            "twilio accepted the request but its answer is unreadable: {e}"
        ))
    })?;
    if created.sid.is_empty() {
        return Err(AdapterError::transient(
            "twilio answered without a message sid",
        ));
    }
    let status = match map_status(&created.status) {
        Some(MappedStatus::Status(s)) => s,
        _ => {
            return Err(AdapterError::transient(format!(
                "twilio answered with an unexpected message status `{}`",
                created.status
            )));
        }
    };
    if matches!(status, DeliveryStatus::Failed | DeliveryStatus::Undelivered) {
        let provider_code = created.error_code.as_ref().and_then(value_to_string);
        return Err(AdapterError::Unreachable {
            message: format!(
                "twilio created message {} as {}",
                created.sid, created.status
            ),
            provider_code,
        });
    }
    let segments_billed = created
        .num_segments
        .as_ref()
        .and_then(value_to_string)
        .and_then(|s| s.parse::<u32>().ok())
        .filter(|&n| n > 0);
    Ok(SendResult {
        provider_message_id: created.sid,
        status,
        segments_billed,
    })
}

/// A Twilio message status seen from the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MappedStatus {
    /// An outbound status the gateway tracks.
    Status(DeliveryStatus),
    /// An inbound-only status (`receiving`, `received`): not about our messages.
    Inbound,
}

/// Maps Twilio's `status` / `MessageStatus` values; `None` for values Twilio may add later.
pub fn map_status(value: &str) -> Option<MappedStatus> {
    use DeliveryStatus as D;
    Some(MappedStatus::Status(match value {
        "accepted" | "scheduled" | "queued" | "sending" => D::Queued,
        "sent" => D::Sent,
        "delivered" => D::Delivered,
        "read" => D::Read,
        "undelivered" | "partially_delivered" => D::Undelivered,
        "failed" | "canceled" => D::Failed,
        "receiving" | "received" => return Some(MappedStatus::Inbound),
        _ => return None,
    }))
}

fn value_to_string(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Masks phone-number-like digit runs (7 or more digits, optional `+`) in provider text:
/// Twilio echoes the `To` number in messages such as 21211's, and these messages reach
/// logs and the API's `detail`. Keeps the first 4 and last 4 characters: `+7999***4567`.
pub fn redact_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        if chars[i] == '+' {
            i += 1;
        }
        let digits_start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let run: String = chars[start..i].iter().collect();
        if i - digits_start >= 7 {
            let keep_head: String = run.chars().take(4).collect();
            let keep_tail: String = run.chars().skip(run.chars().count() - 4).collect();
            out.push_str(&keep_head);
            out.push_str("***");
            out.push_str(&keep_tail);
        } else if i == start {
            out.push(chars[i]);
            i += 1;
        } else {
            out.push_str(&run);
        }
    }
    out
}
