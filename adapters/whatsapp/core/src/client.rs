//! Posts one template message to the Cloud API (the SDK's provider HTTP client) and maps every way it
//! can fail onto an [`AdapterError`]. Graph API errors are mapped on their `code`, as
//! Meta recommends, and on the HTTP status when there is no readable error body.

use crate::config::WhatsAppSettings;
use crate::request::{GraphErrorBody, SendResponse, TemplateMessage};
use gateway_sdk::AdapterError;
use gateway_sdk::http::ProviderClient;
use std::time::Duration;

/// What a Graph API error code means for routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Credentials or permissions.
    Auth,
    /// The business account cannot send: locked, blocked by policy, payment problem.
    Account,
    /// A rate limit.
    Throttled,
    /// The recipient cannot get WhatsApp messages from us.
    Unreachable,
    /// This recipient or message is refused for good.
    Rejected,
    /// The template, phone number registration or request settings are wrong.
    Config,
    /// A temporary fault at Meta.
    Transient,
}

/// Classifies a Graph API error code; `None` for codes not listed here.
pub fn classify(code: i64) -> Option<ErrorClass> {
    use ErrorClass::*;
    Some(match code {
        // Rate limits: app calls, WABA, throughput, spam, pair rate, (de)registration.
        4 | 80007 | 130429 | 131048 | 131056 | 133016 => Throttled,
        // AuthException, capability, permission, expired token, permissions, access
        // denied.
        0 | 3 | 10 | 190 | 200..=299 | 131005 => Auth,
        // Account locked, temporarily blocked for policy violations, payment issue.
        131031 | 368 | 131042 => Account,
        // Undeliverable, not an allowed test recipient, re-engagement window, ecosystem
        // protection, experiment, country restricted.
        131026 | 131030 | 131047 | 131049 | 130472 | 130497 => Unreachable,
        // Recipient is the sender, invalid parameter value, generic user error.
        131021 | 131009 | 135000 => Rejected,
        // Template (132xxx), registration (133xxx), missing parameter, unsupported
        // type, certificate, payment, display name, invalid parameter, deleted number.
        132000..=132999 | 133000..=133999 | 131008 | 131051 | 131045 | 131037 | 100 | 33 => Config,
        // Unknown, service, something went wrong, unavailable, maintenance.
        1 | 2 | 131000 | 131016 | 131057 => Transient,
        _ => return None,
    })
}

/// Maps a failed answer: by Graph error code when there is one, else by HTTP status.
pub fn map_error(
    http_status: u16,
    error: Option<&GraphErrorBody>,
    retry_after_ms: Option<u64>,
) -> AdapterError {
    let (code, what) = match error {
        Some(GraphErrorBody { error: e }) => {
            (Some(e.code), format!("{} (code {})", e.message, e.code))
        }
        None => (None, format!("HTTP {http_status}")),
    };
    let class = code.and_then(classify).unwrap_or(match http_status {
        401 | 403 => ErrorClass::Auth,
        429 => ErrorClass::Throttled,
        s if s >= 500 => ErrorClass::Transient,
        _ => ErrorClass::Rejected,
    });
    let provider_code = code.map(|c| c.to_string());
    match class {
        ErrorClass::Auth => AdapterError::Auth {
            message: format!("WhatsApp refused the credentials: {what}"),
        },
        ErrorClass::Account => AdapterError::Account {
            message: format!("the WhatsApp business account cannot send: {what}"),
            provider_code,
        },
        ErrorClass::Throttled => AdapterError::Throttled {
            message: format!("WhatsApp rate limit: {what}"),
            retry_after_ms,
        },
        ErrorClass::Unreachable => AdapterError::Unreachable {
            message: format!("WhatsApp cannot deliver to this phone: {what}"),
            provider_code,
        },
        ErrorClass::Rejected => AdapterError::Rejected {
            message: format!("WhatsApp refused the message: {what}"),
            provider_code,
        },
        ErrorClass::Config => AdapterError::config(format!(
            "WhatsApp refused the template or phone number setup: {what}"
        )),
        ErrorClass::Transient => AdapterError::Transient {
            message: format!("WhatsApp failed: {what}"),
            retry_after_ms,
        },
    }
}

/// An HTTP client bound to one instance's messages endpoint and token.
#[derive(Debug, Clone)]
pub struct CloudClient {
    /// The SDK's provider HTTP client (shared connection pool).
    http: ProviderClient,
    /// `{base}/{version}/{phone_number_id}/messages`.
    url: String,
    /// The access token, exposed only into the Authorization header.
    settings: WhatsAppSettings,
}

impl CloudClient {
    /// Builds the client.
    pub fn new(settings: WhatsAppSettings) -> Result<Self, AdapterError> {
        Ok(Self {
            http: ProviderClient::new("WhatsApp", env!("CARGO_PKG_VERSION"))?,
            url: settings.messages_url(),
            settings,
        })
    }

    /// Sends `message`, giving up after `timeout`; returns the message id.
    pub async fn send(
        &self,
        message: &TemplateMessage,
        timeout: Duration,
    ) -> Result<String, AdapterError> {
        let request = self
            .http
            .post(&self.url)
            .bearer_auth(self.settings.access_token.expose())
            .json(message);
        let answer = self.http.send(request, timeout).await?;
        if !answer.is_success() {
            let body = serde_json::from_slice::<GraphErrorBody>(&answer.body).ok();
            return Err(map_error(
                answer.status,
                body.as_ref(),
                answer.retry_after_ms,
            ));
        }
        let answer: SendResponse = answer.json()?;
        match answer.messages.into_iter().next() {
            Some(m) if !m.id.is_empty() => Ok(m.id),
            _ => Err(AdapterError::transient(
                "WhatsApp accepted the call but returned no message id",
            )),
        }
    }
}
