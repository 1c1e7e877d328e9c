//! Wire types: what crosses the boundary between the gateway and an adapter, as JSON.
//!
//! These types are versioned by [`WIRE_VERSION`]. Changes are additive only: new
//! optional fields with `#[serde(default)]`, never a renamed or removed field, so an
//! adapter built against an older SDK keeps working with a newer gateway of the same
//! ABI version.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Version of the JSON wire types. Bumped only for additive changes; a breaking
/// change is a new ABI version instead (see `abi::ABI_VERSION`).
pub const WIRE_VERSION: u32 = 1;

/// A kind of channel an adapter can deliver on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// An SMS aggregator.
    Sms,
    /// Telegram (Gateway API verification messages).
    Telegram,
    /// WhatsApp (authentication templates).
    Whatsapp,
}

impl Channel {
    /// The lowercase name used in the API and as a metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Telegram => "telegram",
            Channel::Whatsapp => "whatsapp",
        }
    }
}

/// What an adapter instance can do; reported once after creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Channels this instance delivers on (usually exactly one).
    pub channels: Vec<Channel>,
    /// Whether [`crate::Adapter::check_reachable`] gives a real answer (a chatbot knows
    /// whether the phone has an account); the gateway asks first when it is `true`.
    #[serde(default)]
    pub reachability_check: bool,
    /// Whether the provider sends delivery reports to the gateway's callback URL.
    #[serde(default)]
    pub delivery_reports: bool,
    /// Whether the provider renders its own wording around the bare code (chatbots),
    /// so the gateway's rendered SMS text is not what the phone shows.
    #[serde(default)]
    pub provider_renders_text: bool,
    /// Which codes the channel can carry, when its provider restricts them (Telegram
    /// Gateway takes 4 to 8 digits). The gateway skips the channel for other codes
    /// before asking [`crate::Adapter::check_reachable`], which a provider may charge
    /// for. `None`: any code the text carries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codes: Option<CodeRule>,
}

/// The codes a channel can carry (see [`Capabilities::codes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRule {
    /// Fewest characters.
    pub min_len: u8,
    /// Most characters.
    pub max_len: u8,
    /// Whether only ASCII digits are allowed.
    #[serde(default)]
    pub digits_only: bool,
}

impl CodeRule {
    /// Whether `code` fits the rule.
    pub fn carries(&self, code: &str) -> bool {
        let len = code.chars().count();
        (usize::from(self.min_len)..=usize::from(self.max_len)).contains(&len)
            && (!self.digits_only || code.bytes().all(|b| b.is_ascii_digit()))
    }
}

impl std::fmt::Display for CodeRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if self.digits_only {
            "digits"
        } else {
            "characters"
        };
        write!(f, "codes of {}-{} {kind}", self.min_len, self.max_len)
    }
}

/// How an SMS text is encoded on the air interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TextEncoding {
    /// The GSM 03.38 7-bit default alphabet (with its extension table).
    #[serde(rename = "GSM-7")]
    Gsm7,
    /// UCS-2 (UTF-16 code units).
    #[serde(rename = "UCS-2")]
    Ucs2,
}

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendRequest {
    /// The gateway's message id (`msg_…`); echo it to the provider as a reference
    /// where the provider supports one (Telegram `payload`).
    pub message_id: String,
    /// Recipient in E.164 (`+79991234567`).
    pub phone: String,
    /// The fully rendered text, already fitted to one SMS segment.
    pub text: String,
    /// The bare confirmation code, for chatbot providers that use their own wording.
    /// Never log it.
    pub code: String,
    /// The `%SALON_TITLE%` value used in the text, if any.
    #[serde(default)]
    pub title: Option<String>,
    /// Template language (`en`, `ru`, …) for providers with per-language templates.
    pub language: String,
    /// Sender id to use, if the operator rule names one.
    #[serde(default)]
    pub sender_id: Option<String>,
    /// How long the code stays valid, in seconds (Twilio `ValidityPeriod`,
    /// Telegram `ttl`).
    pub code_ttl_secs: u64,
    /// How long the adapter has to complete this call, in milliseconds. The host
    /// enforces it as well; adapters should set their HTTP timeouts from it.
    pub deadline_ms: u64,
    /// Stable per logical send; providers that support idempotency should get it.
    pub idempotency_key: String,
    /// Where the provider should post delivery reports, if the gateway has a public URL.
    #[serde(default)]
    pub callback_url: Option<String>,
    /// The reference returned by a prior successful reachability check of this phone
    /// on this instance (Telegram `request_id`), so the provider charges once.
    #[serde(default)]
    pub precheck_ref: Option<String>,
    /// How the gateway encoded `text` when it fitted it to one SMS (SMPP picks its
    /// `data_coding` from it). `None` from gateways that predate the field.
    #[serde(default)]
    pub encoding: Option<TextEncoding>,
    /// SMS segments `text` takes (1 for a rendered code). `None` from gateways that
    /// predate the field.
    #[serde(default)]
    pub segments: Option<u32>,
}

/// Delivery state of a message, as providers report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Accepted by the provider, not yet handed to the network.
    Queued,
    /// Handed to the carrier or chat network.
    Sent,
    /// Delivered to the handset or app.
    Delivered,
    /// Read by the recipient (chatbots).
    Read,
    /// Failed permanently.
    Failed,
    /// The network could not deliver it.
    Undelivered,
    /// Expired before delivery (or the code's validity ran out).
    Expired,
}

impl DeliveryStatus {
    /// The lowercase name used in the API and as a metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
            Self::Undelivered => "undelivered",
            Self::Expired => "expired",
        }
    }

    /// Ordering used to ignore out-of-order reports: a report never moves a message
    /// back to an earlier state. Final states (`failed`, `undelivered`, `expired`,
    /// `read`) rank highest.
    pub fn rank(self) -> u8 {
        match self {
            Self::Queued => 0,
            Self::Sent => 1,
            Self::Delivered => 2,
            Self::Read | Self::Failed | Self::Undelivered | Self::Expired => 3,
        }
    }
}

/// What a provider said when it accepted a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendResult {
    /// The provider's id for this message (Twilio `sid`, Telegram `request_id`, …).
    pub provider_message_id: String,
    /// Status at acceptance (usually `queued` or `sent`).
    pub status: DeliveryStatus,
    /// Segments the provider will bill, when it says.
    #[serde(default)]
    pub segments_billed: Option<u32>,
}

/// Answer of a reachability pre-check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reachability {
    /// Whether the phone can receive a code on this channel.
    pub reachable: bool,
    /// A provider reference to pass back as [`SendRequest::precheck_ref`].
    #[serde(default)]
    pub precheck_ref: Option<String>,
}

/// A raw provider callback, handed to the adapter to verify and parse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackRequest {
    /// HTTP method (`POST`, or `GET` for webhook subscription handshakes).
    pub method: String,
    /// The full public URL the provider called, including the query string, as
    /// the provider signed it.
    pub url: String,
    /// Request headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The raw body (UTF-8; providers send JSON or form encoding).
    pub body: String,
    /// When the gateway received it (for timestamp freshness checks).
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
}

impl CallbackRequest {
    /// The first header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One status change reported by a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusUpdate {
    /// The provider's message id, as returned in [`SendResult::provider_message_id`].
    pub provider_message_id: String,
    /// The new status.
    pub status: DeliveryStatus,
    /// When the provider says it happened, if it says.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub at: Option<OffsetDateTime>,
    /// Provider error code for failures.
    #[serde(default)]
    pub error_code: Option<String>,
    /// Human detail for operators (never the code or full phone).
    #[serde(default)]
    pub detail: Option<String>,
}

/// An HTTP answer the adapter wants the gateway to return to the provider
/// (for example the WhatsApp `hub.challenge` echo).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackReply {
    /// HTTP status code.
    pub status: u16,
    /// Content type of `body`.
    pub content_type: String,
    /// Response body.
    pub body: String,
}

/// What a verified callback carried.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackOutcome {
    /// Status changes to apply, in the order given.
    #[serde(default)]
    pub updates: Vec<StatusUpdate>,
    /// A specific reply, if the provider needs one; otherwise the gateway answers 200.
    #[serde(default)]
    pub reply: Option<CallbackReply>,
}

/// Health of an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Whether the instance can send now.
    pub up: bool,
    /// Why not, or any note for operators.
    #[serde(default)]
    pub detail: Option<String>,
}

impl Health {
    /// A healthy instance.
    pub fn up() -> Self {
        Self {
            up: true,
            detail: None,
        }
    }

    /// An unhealthy instance, with the reason.
    pub fn down(detail: impl Into<String>) -> Self {
        Self {
            up: false,
            detail: Some(detail.into()),
        }
    }
}
