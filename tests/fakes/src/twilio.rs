//! A faithful fake of Twilio's Messages API on `127.0.0.1:0`, for the Twilio adapter's
//! tests and the end-to-end tests. It answers with Twilio's documented shapes
//! (201 with string `num_segments` and RFC 2822 dates, `{code, message, more_info,
//! status}` errors), and it *fails and records a violation* for anything the real API
//! would refuse (wrong path, bad Basic auth, not form-encoded, missing `To`/`Body`,
//! both or neither of `From`/`MessagingServiceSid`, unknown fields, …), so tests can
//! assert `violations()` is empty. It can also post correctly signed status callbacks.

mod callbacks;
mod responses;
mod rules;
mod server;

pub use callbacks::{signed_status_callback, twilio_signature};
pub use server::FakeTwilio;

/// The credentials the fake accepts; the adapter under test must use the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeAccount {
    /// `AC…`, expected in the path and (without an API key) as Basic-auth user.
    pub account_sid: String,
    /// Basic-auth password for the account; also signs status callbacks.
    pub auth_token: String,
    /// An accepted API key pair (`SK…`, secret), if any.
    pub api_key: Option<(String, String)>,
}

impl Default for FakeAccount {
    fn default() -> Self {
        Self {
            account_sid: "AC0123456789abcdef0123456789abcdef".into(),
            auth_token: "fake-auth-token-0123456789abcdef".into(),
            api_key: Some((
                "SKfedcba9876543210fedcba9876543210".into(),
                "fake-api-key-secret".into(),
            )),
        }
    }
}

/// The sender number the fake treats as the account's own Twilio number.
pub const FAKE_FROM: &str = "+15005550006";

/// How the fake answers a valid Create Message request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// 201 with a realistic message body (`queued`, or `accepted` for a Messaging Service).
    Accept,
    /// The documented HTTP status and error body for this Twilio error code
    /// (20003 → 401, 20429 → 429, 20404 → 404, others → 400).
    Error(u32),
    /// 429 with code 20429 and `Retry-After: {secs}`.
    Throttle {
        /// Seconds in the `Retry-After` header.
        retry_after_secs: u64,
    },
    /// 500 with Twilio's internal-error body.
    ServerError,
    /// Never answers (until the fake is dropped).
    Stall,
    /// Accepts, but answers only after this long.
    Slow(std::time::Duration),
    /// 201 whose JSON body is cut off mid-way.
    Malformed,
}

/// One request as the fake received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedRequest {
    /// HTTP method.
    pub method: String,
    /// Path, without the query.
    pub path: String,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The Basic-auth user name, if the header decoded.
    pub auth_user: Option<String>,
    /// Decoded form fields, in the order sent.
    pub form: Vec<(String, String)>,
}

impl ReceivedRequest {
    /// The first value of a form field.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A message the fake accepted (for delivering status callbacks later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedMessage {
    /// The `SM…` sid returned.
    pub sid: String,
    /// `To`.
    pub to: String,
    /// `From`, if given.
    pub from: Option<String>,
    /// `MessagingServiceSid`, if given.
    pub messaging_service_sid: Option<String>,
    /// `StatusCallback`, if given.
    pub status_callback: Option<String>,
}

/// A status callback as Twilio would post it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCallback {
    /// The `StatusCallback` URL it goes to (and that it is signed over).
    pub url: String,
    /// Headers, names lowercase, including `x-twilio-signature`.
    pub headers: Vec<(String, String)>,
    /// Form-encoded body.
    pub body: String,
}

impl SignedCallback {
    /// As the gateway hands it to the adapter, received now.
    pub fn into_request(self) -> gateway_sdk::CallbackRequest {
        gateway_sdk::CallbackRequest {
            method: "POST".into(),
            url: self.url,
            headers: self.headers,
            body: self.body,
            received_at: time::OffsetDateTime::now_utc(),
        }
    }
}
