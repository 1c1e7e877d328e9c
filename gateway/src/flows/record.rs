//! The message record: what was sent, how, and what providers reported since. Stored
//! under the message id for `store.message_retention`; `GET /v1/messages/{id}` reads it.
//! It never holds the code: the text is kept masked and the phone masked. (While a
//! late fallback may happen, the stored value also carries the sealed code and phone,
//! see `late::StoredMessage`; the API never shows them.)

use crate::clock::rfc3339;
use gateway_sdk::{AdapterError, DeliveryStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

mod status;
pub use status::MessageStatus;

/// One entry of a message's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    /// Status reached (`queued`, `sent`, `delivered`, …), or `failed` for a late fallback
    /// that sent nothing.
    pub status: MessageStatus,
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
    /// `sent`, or why the channel did not take it.
    pub outcome: AttemptOutcome,
    /// The provider's or gateway's explanation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How one routing attempt ended: `sent`, or the kind of the adapter's error (the
/// gateway's own throughput limit and in-flight cap count as `throttled`, a code the
/// channel cannot carry or a failed reachability check as `unreachable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// The provider accepted the message.
    Sent,
    /// The recipient is refused for good; routing stopped.
    Rejected,
    /// The phone cannot get the code on this channel.
    Unreachable,
    /// A temporary provider failure.
    Transient,
    /// A throughput limit or in-flight cap (the provider's or the gateway's).
    Throttled,
    /// Credentials refused.
    Auth,
    /// The provider account cannot send.
    Account,
    /// The instance is misconfigured.
    Config,
    /// No answer within the deadline.
    Timeout,
    /// The adapter failed internally.
    Internal,
}

impl AttemptOutcome {
    /// The outcome an adapter error stands for.
    pub fn of(e: &AdapterError) -> Self {
        match e {
            AdapterError::Rejected { .. } => Self::Rejected,
            AdapterError::Unreachable { .. } => Self::Unreachable,
            AdapterError::Transient { .. } => Self::Transient,
            AdapterError::Throttled { .. } => Self::Throttled,
            AdapterError::Auth { .. } => Self::Auth,
            AdapterError::Account { .. } => Self::Account,
            AdapterError::Config { .. } => Self::Config,
            AdapterError::Timeout { .. } => Self::Timeout,
            AdapterError::Internal { .. } => Self::Internal,
        }
    }

    /// The wire name (also the channel board's and the log's).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Rejected => "rejected",
            Self::Unreachable => "unreachable",
            Self::Transient => "transient",
            Self::Throttled => "throttled",
            Self::Auth => "auth",
            Self::Account => "account",
            Self::Config => "config",
            Self::Timeout => "timeout",
            Self::Internal => "internal",
        }
    }
}

/// A stored message, as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MessageRecord {
    /// `msg_…`.
    pub id: String,
    /// Current delivery status.
    pub status: MessageStatus,
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

/// Most history entries a record keeps. Reports are deduplicated (below), so a message
/// reaches this only through many distinct statuses; past it the oldest report entry
/// (never the first, the accepted send) makes room. Documented in docs/api.md.
pub const MAX_HISTORY: usize = 32;
/// Longest `detail` kept in a history entry, in characters (a provider's error text is
/// cut there, with `…`). Documented in docs/api.md.
pub const MAX_DETAIL_CHARS: usize = 200;

/// `detail` cut to [`MAX_DETAIL_CHARS`] characters (control characters dropped).
pub fn cap_detail(detail: &str) -> String {
    let clean: String = detail.chars().filter(|c| !c.is_control()).collect();
    if clean.chars().count() <= MAX_DETAIL_CHARS {
        return clean;
    }
    let mut cut: String = clean.chars().take(MAX_DETAIL_CHARS - 1).collect();
    cut.push('…');
    cut
}

impl MessageRecord {
    /// Applies a provider report; the status only moves forward (reports arrive out of
    /// order), and only on a report of the adapter that last accepted it. A report
    /// repeating a status this adapter already reported for the message (a provider's
    /// retry, or a replay of a signed callback) changes nothing and
    /// returns `false`; otherwise it lands in the history (detail capped, history
    /// bounded by [`MAX_HISTORY`]) and `true` is returned. The first entry, the accepted
    /// send, does not count as a report.
    pub fn apply(
        &mut self,
        adapter: &str,
        status: DeliveryStatus,
        at: time::OffsetDateTime,
        detail: Option<String>,
    ) -> bool {
        let status = MessageStatus::from(status);
        let reported = self.history.iter().skip(1);
        if reported
            .clone()
            .any(|h| h.status == status && h.adapter == adapter)
        {
            return false;
        }
        // Only the channel the message was last accepted on moves its status: after a
        // late fallback, the earlier channel's reports land in the history only.
        if adapter == self.adapter && status.rank() >= self.status.rank() {
            self.status = status;
        }
        self.push_history(HistoryEntry {
            status,
            at: rfc3339(at),
            adapter: adapter.to_owned(),
            detail: detail.as_deref().map(cap_detail),
        });
        true
    }

    /// Appends `entry` (the history bounded by [`MAX_HISTORY`], the first entry kept)
    /// and dates the record's last change by it.
    pub fn push_history(&mut self, entry: HistoryEntry) {
        if self.history.len() >= MAX_HISTORY {
            self.history.remove(1);
        }
        self.updated_at = entry.at.clone();
        self.history.push(entry);
    }
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

    fn record() -> MessageRecord {
        MessageRecord {
            id: "msg_1".into(),
            status: MessageStatus::Sent,
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
        }
    }

    #[test]
    fn status_only_moves_forward_but_history_keeps_every_new_report() {
        let mut r = record();
        r.history.push(HistoryEntry {
            status: MessageStatus::Sent,
            at: r.created_at.clone(),
            adapter: "sms".into(),
            detail: None,
        });
        let t = time::macros::datetime!(2026-01-01 00:00:05 UTC);
        assert!(r.apply("sms", DeliveryStatus::Delivered, t, None));
        assert!(r.apply("sms", DeliveryStatus::Sent, t, None));
        assert_eq!(r.status, MessageStatus::Delivered);
        assert_eq!(
            r.history.len(),
            3,
            "a report of the accepted status is news"
        );
        assert_eq!(r.history[2].status, MessageStatus::Sent);
        assert!(new_id("msg").starts_with("msg_"));
    }

    #[test]
    fn a_repeated_report_changes_nothing() {
        let mut r = record();
        let t = time::macros::datetime!(2026-01-01 00:00:05 UTC);
        r.history.push(HistoryEntry {
            status: MessageStatus::Sent,
            at: r.created_at.clone(),
            adapter: "sms".into(),
            detail: None,
        });
        assert!(r.apply("sms", DeliveryStatus::Delivered, t, None));
        let before = r.clone();
        for i in 0..1000 {
            let later = t + time::Duration::seconds(i);
            assert!(!r.apply("sms", DeliveryStatus::Delivered, later, None));
        }
        assert_eq!(r, before, "a replay must leave the record as it was");
        // Another adapter reporting the same status is a different report.
        assert!(r.apply("backup", DeliveryStatus::Delivered, t, None));
    }

    #[test]
    fn history_and_provider_text_are_bounded() {
        let mut r = record();
        let t = time::macros::datetime!(2026-01-01 00:00:05 UTC);
        r.history.push(HistoryEntry {
            status: MessageStatus::Queued,
            at: r.created_at.clone(),
            adapter: "sms".into(),
            detail: None,
        });
        let huge = "x".repeat(100_000);
        for i in 0..(MAX_HISTORY * 3) {
            // Distinct adapters so deduplication does not stop them: the cap must.
            r.apply(
                &format!("a{i}"),
                DeliveryStatus::Sent,
                t,
                Some(huge.clone()),
            );
        }
        assert_eq!(r.history.len(), MAX_HISTORY);
        assert_eq!(
            r.history[0].status,
            MessageStatus::Queued,
            "the accepted send stays first"
        );
        assert_eq!(
            r.history.last().unwrap().adapter,
            format!("a{}", MAX_HISTORY * 3 - 1)
        );
        let detail = r.history[1].detail.as_deref().unwrap();
        assert_eq!(detail.chars().count(), MAX_DETAIL_CHARS);
        assert!(detail.ends_with('…'));
        assert_eq!(cap_detail("line\nbreak"), "linebreak");
        assert!(serde_json::to_string(&r).unwrap().len() < 16 * 1024);
    }
}
