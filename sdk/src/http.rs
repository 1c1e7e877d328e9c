//! The HTTP call every HTTP adapter makes (feature `http`, which brings reqwest over
//! rustls): one shared client per instance, one request under the send's deadline, the
//! answer read whole with its `Retry-After`, and every transport failure mapped onto the
//! [`AdapterError`] kind the gateway routes on. Adapters keep only what is theirs: the
//! request shape and the mapping of their provider's answers.
//!
//! ```no_run
//! # async fn demo(settings_url: &str, token: &str) -> Result<(), gateway_sdk::AdapterError> {
//! use gateway_sdk::http::ProviderClient;
//! use std::time::Duration;
//! let client = ProviderClient::new("example-sms", env!("CARGO_PKG_VERSION"))?;
//! let answer = client
//!     .send(client.post(settings_url).bearer_auth(token), Duration::from_secs(5))
//!     .await?;
//! if !answer.is_success() { /* map the provider's error body */ }
//! # Ok(()) }
//! ```

use crate::AdapterError;
use std::time::Duration;

/// Re-exported so adapters build requests with the same reqwest the SDK calls.
pub use reqwest;

/// How long connecting may take; the whole call is bounded by the send's deadline.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// An HTTP client for one provider (a cheap handle to one connection pool; clone it).
#[derive(Debug, Clone)]
pub struct ProviderClient {
    http: reqwest::Client,
    /// The provider's name as it appears in error messages (`twilio`, `WhatsApp`).
    provider: &'static str,
}

/// A complete answer from the provider: any status, the body read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderAnswer {
    /// HTTP status.
    pub status: u16,
    /// The `Retry-After` header in milliseconds (delay-seconds or HTTP-date), if any.
    pub retry_after_ms: Option<u64>,
    /// The body, as received.
    pub body: Vec<u8>,
}

impl ProviderAnswer {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body decoded as JSON into `T`, or a [`AdapterError::Transient`] saying the
    /// provider's answer is unreadable (a provider that answers garbage may answer
    /// properly on the next try or the next channel).
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, AdapterError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| AdapterError::transient(format!("unreadable provider answer: {e}")))
    }
}

impl ProviderClient {
    /// A client over rustls whose `User-Agent` is
    /// `confirmation-gateway-adapter-{provider}/{version}`; fails only if the TLS
    /// backend cannot initialise.
    pub fn new(provider: &'static str, version: &str) -> Result<Self, AdapterError> {
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .user_agent(format!("confirmation-gateway-adapter-{provider}/{version}"))
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|e| AdapterError::config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self { http, provider })
    }

    /// A `POST` to `url`, to complete with headers and a body, then [`Self::send`].
    pub fn post(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        self.http.post(url)
    }

    /// Sends `request`; the whole exchange (connect, send, read the body) must finish
    /// within `deadline`. Any HTTP status is an answer; only transport failures are
    /// errors, mapped by [`transport_error`].
    pub async fn send(
        &self,
        request: reqwest::RequestBuilder,
        deadline: Duration,
    ) -> Result<ProviderAnswer, AdapterError> {
        let transport = |e: reqwest::Error| transport_error(self.provider, e);
        let response = request.timeout(deadline).send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let retry_after_ms = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(crate::retry_after_ms);
        let body = response.bytes().await.map_err(transport)?.to_vec();
        Ok(ProviderAnswer {
            status,
            retry_after_ms,
            body,
        })
    }
}

/// Maps a failure before a complete answer arrived: our own deadline is
/// [`AdapterError::Timeout`]; a refused connection, a reset or a cut-off body is
/// [`AdapterError::Transient`] (another channel may work now). The URL is left out of
/// the message: some providers carry credentials or the phone in it.
pub fn transport_error(provider: &str, e: reqwest::Error) -> AdapterError {
    if e.is_timeout() {
        AdapterError::Timeout {
            message: format!("{provider} did not answer before the deadline"),
        }
    } else if e.is_connect() {
        AdapterError::transient(format!("cannot connect to {provider}: {}", e.without_url()))
    } else {
        AdapterError::transient(format!("{provider} request failed: {}", e.without_url()))
    }
}
