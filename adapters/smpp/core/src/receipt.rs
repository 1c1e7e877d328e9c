//! Delivery receipts: a `deliver_sm` whose `esm_class` marks an SMSC delivery receipt
//! becomes a [`StatusUpdate`] for the message the SMSC named.
//!
//! The message id and state come from the `receipted_message_id` and `message_state`
//! TLVs when present, else from the receipt text of SMPP 3.4 Appendix B
//! (`id:… sub:… dlvrd:… submit date:… done date:… stat:DELIVRD err:… text:…`).

use gateway_sdk::{DeliveryStatus, StatusUpdate};
use rusmpp::pdus::DeliverSm;
use rusmpp::tlvs::TlvValue;
use rusmpp::values::MessageState;

/// `esm_class` message-type bits (2–5) of an SMSC delivery receipt.
const RECEIPT: u8 = 0x04;
/// … and of an intermediate delivery notification.
const INTERMEDIATE: u8 = 0x20;

/// The status update a receipt carries; `None` for a `deliver_sm` that is not a receipt
/// (a mobile-originated message) or names no message.
pub fn parse(sm: &DeliverSm) -> Option<StatusUpdate> {
    let kind = u8::from(sm.esm_class) & 0x3C;
    if kind != RECEIPT && kind != INTERMEDIATE {
        return None;
    }
    let text = String::from_utf8_lossy(sm.short_message().as_ref()).into_owned();
    let mut id = field(&text, "id:").map(str::to_owned);
    let mut status = field(&text, "stat:").and_then(stat_status);
    for tlv in sm.tlvs() {
        match tlv.value() {
            Some(TlvValue::ReceiptedMessageId(v)) if !v.is_empty() => {
                id = Some(v.to_string());
            }
            Some(TlvValue::MessageState(state)) => status = Some(state_status(*state)),
            _ => {}
        }
    }
    let id = id.filter(|i| !i.is_empty())?;
    let status = status?;
    let stat = field(&text, "stat:").unwrap_or("");
    let error_code = field(&text, "err:")
        .filter(|e| status != DeliveryStatus::Delivered && e.bytes().any(|b| b != b'0'))
        .map(str::to_owned);
    Some(StatusUpdate {
        provider_message_id: id,
        status,
        // SMSCs write `done date` in their own (unstated) time zone, so the gateway's
        // receive time is the better timestamp.
        at: None,
        error_code,
        detail: (!stat.is_empty()).then(|| format!("smsc stat {stat}")),
    })
}

/// The value after `key` (at a word start) up to the next space.
fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = lower[from..].find(key) {
        let at = from + pos;
        if at == 0 || lower.as_bytes()[at - 1] == b' ' {
            let rest = &text[at + key.len()..];
            return Some(rest.split(' ').next().unwrap_or(""));
        }
        from = at + key.len();
    }
    None
}

/// The `stat:` word of a receipt text.
fn stat_status(stat: &str) -> Option<DeliveryStatus> {
    Some(match stat.to_ascii_uppercase().as_str() {
        "DELIVRD" => DeliveryStatus::Delivered,
        "EXPIRED" => DeliveryStatus::Expired,
        "UNDELIV" => DeliveryStatus::Undelivered,
        "DELETED" | "REJECTD" | "UNKNOWN" => DeliveryStatus::Failed,
        "ACCEPTD" | "ENROUTE" => DeliveryStatus::Sent,
        "SCHEDULED" => DeliveryStatus::Queued,
        _ => return None,
    })
}

/// The `message_state` TLV.
fn state_status(state: MessageState) -> DeliveryStatus {
    match state {
        MessageState::Delivered => DeliveryStatus::Delivered,
        MessageState::Expired => DeliveryStatus::Expired,
        MessageState::Undeliverable => DeliveryStatus::Undelivered,
        MessageState::Scheduled => DeliveryStatus::Queued,
        MessageState::Enroute | MessageState::Accepted => DeliveryStatus::Sent,
        MessageState::Deleted
        | MessageState::Rejected
        | MessageState::Unknown
        | MessageState::Skipped
        | MessageState::Other(_) => DeliveryStatus::Failed,
    }
}
