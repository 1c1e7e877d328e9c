//! Calls one Gateway API method over HTTPS (the SDK's provider HTTP client) and maps
//! every way it can fail onto an [`AdapterError`] the gateway routes on.

use crate::config::TelegramSettings;
use crate::request::{Envelope, RequestStatus};
use gateway_sdk::http::ProviderClient;
use gateway_sdk::{AdapterError, Secret};
use serde::Serialize;
use std::time::Duration;

/// How a call failed, before it is mapped: the adapter needs the raw provider error to
/// decide whether to retry without a spent `request_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallFailure {
    /// Telegram answered `{"ok": false, "error": …}` (or an HTTP error without a body
    /// we could read, in which case `error` is empty).
    Api {
        /// HTTP status of the answer.
        http_status: u16,
        /// Telegram's error string, e.g. `PHONE_NUMBER_INVALID`.
        error: String,
        /// `Retry-After` in milliseconds, when the answer carried one.
        retry_after_ms: Option<u64>,
    },
    /// No complete answer: a timeout or a connection failure, already mapped by the SDK.
    Transport(AdapterError),
    /// A 2xx answer that is not a valid envelope.
    Malformed(String),
}

impl CallFailure {
    /// Maps the failure onto what the gateway should do next.
    pub fn into_adapter_error(self) -> AdapterError {
        match self {
            Self::Api {
                http_status,
                error,
                retry_after_ms,
            } => map_api_error(http_status, &error, retry_after_ms),
            Self::Transport(e) => e,
            Self::Malformed(m) => {
                AdapterError::transient(format!("unreadable Telegram Gateway answer: {m}"))
            }
        }
    }
}

/// Maps a Gateway API error. Telegram does not publish a list of error strings, so the
/// rules match their documented style (`ACCESS_TOKEN_INVALID`) by meaning, then fall back
/// on the HTTP status; anything unrecognised means "this channel cannot deliver it".
pub fn map_api_error(http_status: u16, error: &str, retry_after_ms: Option<u64>) -> AdapterError {
    let e = error.to_ascii_uppercase();
    let code = (!error.is_empty()).then(|| error.to_owned());
    let has = |needle: &str| e.contains(needle);
    if has("ACCESS_TOKEN") || has("UNAUTHORIZED") || http_status == 401 || http_status == 403 {
        return AdapterError::Auth {
            message: format!("Telegram Gateway refused the token ({error})"),
        };
    }
    if has("FLOOD") || has("TOO_MANY") || http_status == 429 {
        let retry_after_ms = flood_wait_ms(&e).or(retry_after_ms);
        return AdapterError::Throttled {
            message: format!("Telegram Gateway throttled the request ({error})"),
            retry_after_ms,
        };
    }
    if has("BALANCE") || has("NOT_ENOUGH") || has("FUNDS") || http_status == 402 {
        return AdapterError::Account {
            message: format!(
                "the Telegram Gateway account cannot pay for messages ({error}); add funds"
            ),
            provider_code: code,
        };
    }
    if has("SENDER_USERNAME") || has("CALLBACK_URL") {
        return AdapterError::config(format!("Telegram Gateway refused a setting ({error})"));
    }
    if has("PHONE_NUMBER_INVALID") {
        return AdapterError::Rejected {
            message: "Telegram says the phone number is invalid".into(),
            provider_code: code,
        };
    }
    if http_status >= 500 || has("INTERNAL") {
        return AdapterError::Transient {
            message: format!("Telegram Gateway failed (HTTP {http_status} {error})"),
            retry_after_ms,
        };
    }
    AdapterError::Unreachable {
        message: format!(
            "Telegram Gateway cannot deliver to this phone (HTTP {http_status} {error})"
        ),
        provider_code: code,
    }
}

/// `FLOOD_WAIT_30` → 30 000 ms.
fn flood_wait_ms(upper: &str) -> Option<u64> {
    let rest = upper.split("FLOOD_WAIT_").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse::<u64>().ok().map(|s| s.saturating_mul(1000))
}

/// An HTTP client bound to one instance's base URL and token.
#[derive(Debug, Clone)]
pub struct GatewayClient {
    /// The SDK's provider HTTP client (shared connection pool, cheap to clone).
    http: ProviderClient,
    /// Settings the client needs: base URL and token.
    settings: TelegramSettings,
}

impl GatewayClient {
    /// Builds the client.
    pub fn new(settings: TelegramSettings) -> Result<Self, AdapterError> {
        let http = ProviderClient::new("Telegram Gateway", env!("CARGO_PKG_VERSION"))?;
        Ok(Self { http, settings })
    }

    /// The token, for report signatures.
    pub fn token(&self) -> &Secret {
        &self.settings.token
    }

    /// Calls `method` with a JSON body, giving up after `timeout`.
    pub async fn call<B: Serialize + ?Sized>(
        &self,
        method: &str,
        body: &B,
        timeout: Duration,
    ) -> Result<RequestStatus, CallFailure> {
        let request = self
            .http
            .post(self.settings.method_url(method))
            .bearer_auth(self.settings.token.expose())
            .json(body);
        let answer = self
            .http
            .send(request, timeout)
            .await
            .map_err(CallFailure::Transport)?;
        let (http_status, retry_after_ms) = (answer.status, answer.retry_after_ms);
        match serde_json::from_slice::<Envelope>(&answer.body) {
            Ok(Envelope {
                ok: true,
                result: Some(result),
                ..
            }) if http_status < 300 => Ok(result),
            Ok(Envelope {
                ok: false, error, ..
            }) => Err(CallFailure::Api {
                http_status,
                error: error.unwrap_or_default(),
                retry_after_ms,
            }),
            Ok(_) | Err(_) if http_status >= 300 => Err(CallFailure::Api {
                http_status,
                error: String::new(),
                retry_after_ms,
            }),
            Ok(_) => Err(CallFailure::Malformed(
                "`ok` is true but `result` is missing".into(),
            )),
            Err(e) => Err(CallFailure::Malformed(e.to_string())),
        }
    }
}
