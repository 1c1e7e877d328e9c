//! The service's answer mapped onto the SDK's [`AdapterError`] kinds (the table in
//! docs/adapters/http.md): an `error.kind` in the body decides first, whatever the
//! status, so services whose framework always answers 200 can still refuse; then the
//! HTTP status. Text the service sends back reaches logs and the message history, so the
//! phone and the code are blanked out of it and it is cut short.

use gateway_sdk::{AdapterError, DeliveryStatus, SendResult};
use serde::Deserialize;

/// Longest `error.message` kept, in characters.
const MAX_MESSAGE: usize = 200;
/// Longest `error.code` or provider id kept, in characters.
const MAX_CODE: usize = 64;
/// Longest provider id accepted.
const MAX_ID: usize = 256;

/// The documented answer body; unknown fields are ignored.
#[derive(Debug, Default, Deserialize)]
struct Answer {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    segments: Option<u32>,
    #[serde(default)]
    error: Option<ErrorBody>,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// What the request carried that must not come back in the service's text.
#[derive(Debug, Clone, Copy)]
pub struct Redact<'a> {
    /// The recipient (E.164).
    pub phone: &'a str,
    /// The code.
    pub code: &'a str,
}

impl Redact<'_> {
    /// Blanks the phone (with or without `+`) and the code, then cuts the text short
    /// (in that order, so a cut cannot leave part of a phone behind).
    fn apply(&self, text: &str) -> String {
        let mut out = text.to_owned();
        let digits = self.phone.trim_start_matches('+');
        for secret in [self.phone, digits, self.code] {
            if !secret.is_empty() {
                out = out.replace(secret, "***");
            }
        }
        out.chars().take(MAX_MESSAGE).collect()
    }
}

/// Maps one answer (status, `Retry-After` in ms, body) to the send's outcome. Never
/// panics, whatever the body.
pub fn map_answer(
    status: u16,
    retry_after_ms: Option<u64>,
    body: &[u8],
    redact: Redact<'_>,
) -> Result<SendResult, AdapterError> {
    let parsed: Option<Answer> = serde_json::from_slice(body).ok();
    let error = parsed.as_ref().and_then(|a| a.error.as_ref());
    let success = (200..300).contains(&status);
    if success && error.is_none() {
        return accepted(parsed);
    }
    let code = error
        .and_then(|e| e.code.as_deref())
        .map(|c| c.chars().take(MAX_CODE).collect::<String>())
        .filter(|c| !c.is_empty());
    let said = error
        .and_then(|e| e.message.as_deref())
        .map(|m| redact.apply(m))
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| "no error message".to_owned());
    let message = match &code {
        Some(c) => format!("{said} (HTTP {status}, code {})", redact.apply(c)),
        None => format!("{said} (HTTP {status})"),
    };
    let provider_code = code.map(|c| redact.apply(&c));
    let kind = error
        .and_then(|e| e.kind.as_deref())
        .and_then(kind_named)
        .or_else(|| (!success).then(|| kind_of_status(status)))
        .unwrap_or(Kind::Transient);
    Err(kind.error(message, provider_code, retry_after_ms))
}

fn accepted(parsed: Option<Answer>) -> Result<SendResult, AdapterError> {
    let Some(answer) = parsed else {
        return Err(AdapterError::transient(
            "the service accepted the request but its answer is not the documented JSON",
        ));
    };
    let id = answer
        .id
        .filter(|id| !id.trim().is_empty() && id.chars().count() <= MAX_ID)
        .ok_or_else(|| {
            AdapterError::transient(
                "the service answered 2xx without a usable `id` (1-256 characters)",
            )
        })?;
    let status = match answer.status.as_deref() {
        None | Some("queued") => DeliveryStatus::Queued,
        Some("sent") => DeliveryStatus::Sent,
        Some("delivered") => DeliveryStatus::Delivered,
        Some(other) => {
            return Err(AdapterError::transient(format!(
                "the service answered 2xx with status `{}`, not queued, sent or delivered",
                other.chars().take(MAX_CODE).collect::<String>()
            )));
        }
    };
    Ok(SendResult {
        provider_message_id: id,
        status,
        segments_billed: answer.segments.filter(|&n| n > 0),
    })
}

/// The kinds a service may name in `error.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Rejected,
    Unreachable,
    Transient,
    Throttled,
    Auth,
    Account,
    Config,
}

fn kind_named(name: &str) -> Option<Kind> {
    Some(match name {
        "rejected" => Kind::Rejected,
        "unreachable" => Kind::Unreachable,
        "transient" => Kind::Transient,
        "throttled" => Kind::Throttled,
        "auth" => Kind::Auth,
        "account" => Kind::Account,
        "config" => Kind::Config,
        _ => return None,
    })
}

/// The documented status table, for answers without a known `error.kind`.
fn kind_of_status(status: u16) -> Kind {
    match status {
        401 => Kind::Auth,
        402 | 403 => Kind::Account,
        404 | 405 | 410 => Kind::Config,
        408 => Kind::Transient,
        429 => Kind::Throttled,
        400..=499 => Kind::Rejected,
        _ => Kind::Transient,
    }
}

impl Kind {
    fn error(
        self,
        message: String,
        provider_code: Option<String>,
        retry_after_ms: Option<u64>,
    ) -> AdapterError {
        match self {
            Kind::Rejected => AdapterError::Rejected {
                message,
                provider_code,
            },
            Kind::Unreachable => AdapterError::Unreachable {
                message,
                provider_code,
            },
            Kind::Transient => AdapterError::Transient {
                message,
                retry_after_ms,
            },
            Kind::Throttled => AdapterError::Throttled {
                message,
                retry_after_ms,
            },
            Kind::Auth => AdapterError::Auth { message },
            Kind::Account => AdapterError::Account {
                message,
                provider_code,
            },
            Kind::Config => AdapterError::Config { message },
        }
    }
}
