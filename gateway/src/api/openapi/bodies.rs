//! Schemas of the response bodies that handlers build as JSON values rather than from
//! a typed record. They exist for the served document; the contract test runs
//! schemathesis' response-schema check against the real process, so a handler that
//! drifts from them fails the suite.

use crate::flows::Purpose;
use crate::flows::record::MessageRecord;
use serde::Serialize;
use utoipa::ToSchema;

/// `GET /healthz`.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the process answers.
    #[schema(example = "ok")]
    pub status: String,
}

/// `GET /readyz` when ready.
#[derive(Serialize, ToSchema)]
pub struct Ready {
    /// `ready`.
    #[schema(example = "ready")]
    pub status: String,
    /// `ok`.
    pub store: String,
    /// Names of the adapter instances that are up.
    pub healthy_adapters: Vec<String>,
}

/// Lifecycle of a verification.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    /// A code was sent and can be checked.
    Pending,
    /// The right code was checked.
    Approved,
    /// Checks were used up.
    Failed,
    /// Cancelled by `DELETE`.
    Cancelled,
    /// The code's time ran out.
    Expired,
}

/// A verification as the API shows it: never the code, phone masked.
#[derive(Serialize, ToSchema)]
pub struct VerificationView {
    /// `ver_…`.
    pub id: String,
    /// Where it stands.
    pub status: VerificationStatus,
    /// Location id.
    pub location_id: String,
    /// Masked phone (`+7999***4567`).
    pub phone: String,
    /// What the code is for.
    pub purpose: Purpose,
    /// Channel of the last send (`sms`, `telegram`, `whatsapp`).
    pub channel: String,
    /// Adapter instance of the last send.
    pub adapter: String,
    /// When the code stops being checkable (RFC 3339).
    pub expires_at: String,
    /// When a re-send is allowed (RFC 3339).
    pub resend_available_at: String,
    /// Checks left.
    pub attempts_left: u32,
    /// Sends so far.
    pub sends: u32,
    /// Sends left.
    pub sends_left: u32,
    /// The message of the last send.
    pub message_id: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// The last message, code masked (on start and re-send).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<MessageRecord>,
}

/// The answer to a check: `approved` with a token, or `pending` with the checks left.
#[derive(Serialize, ToSchema)]
pub struct CheckResult {
    /// The verification.
    pub id: String,
    /// `approved` or `pending`.
    #[schema(example = "approved")]
    pub status: String,
    /// On `approved`: proof of the confirmation for the platform's services.
    pub token: Option<String>,
    /// On `approved`: when the token stops being accepted (RFC 3339).
    pub token_expires_at: Option<String>,
    /// On `pending`: checks left.
    pub attempts_left: Option<u32>,
}

/// What `POST /v1/tokens/introspect` says about a token.
#[derive(Serialize, ToSchema)]
pub struct Introspection {
    /// Whether the token proves a confirmation now.
    pub active: bool,
    /// When inactive: `expired`, `invalid` or `consumed`.
    pub reason: Option<String>,
    /// When active: the location it was confirmed for.
    pub location_id: Option<String>,
    /// When active: the confirmed phone (E.164).
    pub phone: Option<String>,
    /// When active: `login` or `booking`.
    pub purpose: Option<Purpose>,
    /// When active: the verification.
    pub verification_id: Option<String>,
    /// When active: when the code was approved (RFC 3339).
    pub confirmed_at: Option<String>,
    /// When active: when the token expires (RFC 3339).
    pub expires_at: Option<String>,
    /// When active: whether this call consumed it.
    pub consumed: Option<bool>,
}

/// `POST /v1/messages/preview`.
#[derive(Serialize, ToSchema)]
pub struct PreviewResult {
    /// The text, code masked (the raw text as given for form 3).
    pub text: String,
    /// `GSM-7` or `UCS-2`.
    pub encoding: String,
    /// SMS parts.
    pub segments: u32,
    /// Septets or UTF-16 units.
    pub units: u32,
    /// The single-message limit that applies.
    pub max_units: u32,
    /// Whether it is one SMS.
    pub fits_single_segment: bool,
    /// Operator rule that applied (null for raw text).
    pub operator: Option<String>,
    /// Render decisions.
    pub rules_applied: Vec<String>,
    /// The template used (forms 1 and 2).
    pub template: Option<String>,
    /// The title put into the message.
    pub title_used: Option<String>,
    /// Whether the title was shortened to fit.
    pub title_shortened: bool,
    /// Form 3: characters that forced UCS-2.
    pub ucs2_chars: Option<Vec<String>>,
}

/// `GET /v1/adapters`.
#[derive(Serialize, ToSchema)]
pub struct AdapterList {
    /// Loaded instances.
    pub adapters: Vec<AdapterInfo>,
}

/// One loaded adapter instance.
#[derive(Serialize, ToSchema)]
pub struct AdapterInfo {
    /// Instance name.
    pub name: String,
    /// Adapter kind.
    pub kind: String,
    /// Adapter version.
    pub version: String,
    /// SDK ABI version.
    pub abi_version: u32,
    /// Library path (null for in-process instances).
    pub library: Option<String>,
    /// Channels it delivers on.
    pub channels: Vec<String>,
    /// What it can do.
    pub capabilities: AdapterCapabilities,
    /// Current health.
    pub health: AdapterHealth,
    /// Per-call deadline.
    pub timeout_ms: u64,
    /// Configured throughput, if any.
    pub throughput: Option<Throughput>,
    /// Calls in flight now.
    pub inflight: u64,
}

/// An adapter's capabilities.
#[derive(Serialize, ToSchema)]
pub struct AdapterCapabilities {
    /// It can tell whether a phone is reachable before sending.
    pub reachability_check: bool,
    /// It reports delivery through callbacks.
    pub delivery_reports: bool,
    /// The provider renders the text itself.
    pub provider_renders_text: bool,
    /// The codes the channel can carry, when its provider restricts them (`null`: any).
    pub codes: Option<CodeRuleView>,
}

/// The codes a channel can carry.
#[derive(Serialize, ToSchema)]
pub struct CodeRuleView {
    /// Fewest characters.
    pub min_len: u8,
    /// Most characters.
    pub max_len: u8,
    /// Whether only digits are allowed.
    pub digits_only: bool,
}

/// An adapter's health.
#[derive(Serialize, ToSchema)]
pub struct AdapterHealth {
    /// Whether it can send now.
    pub up: bool,
    /// Why not, or a note.
    pub detail: Option<String>,
}

/// A throughput limit.
#[derive(Serialize, ToSchema)]
pub struct Throughput {
    /// Messages per second.
    pub per_second: u32,
    /// Burst.
    pub burst: u32,
}

/// What a callback did.
#[derive(Serialize, ToSchema)]
pub struct CallbackReceipt {
    /// Status updates in the report.
    pub received: u32,
    /// Updates that named known messages (repeats included).
    pub applied: u32,
    /// Of those, repeats of a status the message already had (a provider retry or a
    /// replayed callback): nothing changed.
    pub duplicates: u32,
    /// Updates for messages the gateway does not know.
    pub unknown: u32,
    /// Late fallbacks these updates started: a failure of the channel a message was
    /// last accepted on, inside `routing.late_fallback_window`, sends the same code
    /// once through the next channel (in the background; see the message's history).
    pub late_fallbacks: u32,
}

/// `GET /v1/connections`.
#[derive(Serialize, ToSchema)]
pub struct ConnectionList {
    /// The connections, secrets never included.
    pub connections: Vec<crate::api::connections::ConnectionView>,
}

/// `POST /v1/connections/{id}/test`.
#[derive(Serialize, ToSchema)]
pub struct ConnectionTest {
    /// Connection id.
    pub id: String,
    /// Adapter kind.
    pub kind: String,
    /// What the provider said.
    pub health: AdapterHealth,
}
