//! The message record: what was sent, how, and what providers reported since. Stored
//! under the message id for `store.message_retention`; `GET /v1/messages/{id}` reads it.
//! It never holds the code: the text is kept masked and the phone masked.

use crate::clock::rfc3339;
use gateway_sdk::DeliveryStatus;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One entry of a message's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    /// Status reached (`queued`, `sent`, `delivered`, …), or `failed` for a refused attempt.
    pub status: String,
    /// When (RFC 3339).
    pub at: String,
    /// Adapter instance involved.
    pub adapter: String,
    /// What happened, for people (never the code or full phone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// One routing attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Attempt {
    /// Adapter instance tried.
    pub adapter: String,
    /// Its channel.
    pub channel: String,
    /// `sent`, or the error kind (`unreachable`, `transient`, `throttled`, `timeout`, …).
    pub outcome: String,
    /// The provider's or gateway's explanation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A stored message, as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MessageRecord {
    /// `msg_…`.
    pub id: String,
    /// Current delivery status.
    pub status: String,
    /// Adapter instance that accepted it.
    pub adapter: String,
    /// Its channel (`sms`, `telegram`, `whatsapp`).
    pub channel: String,
    /// Operator rule that matched the phone.
    pub operator: String,
    /// The provider's id for the message.
    pub provider_message_id: String,
    /// The rendered text with the code masked.
    pub text: String,
    /// `GSM-7` or `UCS-2`.
    pub encoding: String,
    /// SMS segments (always 1 for a fitted message).
    pub segments: u32,
    /// Septets (GSM-7) or UTF-16 units (UCS-2) of the text.
    pub units: u32,
    /// Render decisions (`title_required_by_operator`, `title_shortened`, …).
    pub rules_applied: Vec<String>,
    /// Location the message was sent for.
    pub location_id: String,
    /// Masked recipient (`+7999***4567`).
    pub phone: String,
    /// `login` or `booking`.
    pub purpose: super::Purpose,
    /// The verification it belongs to, if the gateway made the code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_id: Option<String>,
    /// Every channel tried, in order.
    pub attempts: Vec<Attempt>,
    /// Status changes, oldest first.
    pub history: Vec<HistoryEntry>,
    /// When it was accepted (RFC 3339).
    pub created_at: String,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}

impl MessageRecord {
    /// Applies a provider report: always recorded in the history; the status only
    /// moves forward (reports arrive out of order).
    pub fn apply(
        &mut self,
        adapter: &str,
        status: DeliveryStatus,
        at: time::OffsetDateTime,
        detail: Option<String>,
    ) {
        let current = parse_status(&self.status);
        if current.is_none_or(|c| status.rank() >= c.rank()) {
            self.status = status.as_str().to_owned();
        }
        self.history.push(HistoryEntry {
            status: status.as_str().to_owned(),
            at: rfc3339(at),
            adapter: adapter.to_owned(),
            detail,
        });
        self.updated_at = rfc3339(at);
    }
}

/// Parses a stored status name.
pub fn parse_status(s: &str) -> Option<DeliveryStatus> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

/// A fresh id with a readable prefix (`msg_01J…`).
pub fn new_id(prefix: &str) -> String {
    format!(
        "{prefix}_{}",
        ulid::Ulid::new().to_string().to_ascii_lowercase()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_only_moves_forward_but_history_keeps_everything() {
        let mut r = MessageRecord {
            id: "msg_1".into(),
            status: "sent".into(),
            adapter: "sms".into(),
            channel: "sms".into(),
            operator: "default".into(),
            provider_message_id: "SM1".into(),
            text: "Confirmation code: ****".into(),
            encoding: "GSM-7".into(),
            segments: 1,
            units: 23,
            rules_applied: vec![],
            location_id: "42".into(),
            phone: "+7999***4567".into(),
            purpose: crate::flows::Purpose::Login,
            verification_id: None,
            attempts: vec![],
            history: vec![],
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-01T00:00:00Z".into(),
        };
        let t = time::macros::datetime!(2026-01-01 00:00:05 UTC);
        r.apply("sms", DeliveryStatus::Delivered, t, None);
        r.apply("sms", DeliveryStatus::Sent, t, None);
        assert_eq!(r.status, "delivered");
        assert_eq!(r.history.len(), 2);
        assert_eq!(r.history[1].status, "sent");
        assert!(new_id("msg").starts_with("msg_"));
    }
}
