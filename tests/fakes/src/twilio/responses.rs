//! The bodies the fake answers with, shaped as Twilio documents them: the Message
//! resource (string `num_segments`, RFC 2822 dates, `null`s where Twilio sends them)
//! and the error body `{code, message, more_info, status}`.

use super::rules::ValidMessage;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

/// `Thu, 24 Aug 2023 05:01:45 +0000`: Twilio's date format.
pub fn rfc2822_now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc2822)
        .unwrap_or_else(|_| "Thu, 01 Jan 1970 00:00:00 +0000".into())
}

/// Segments Twilio would bill for `body`: GSM-7 text 160/153 per segment, otherwise
/// UCS-2 70/67. (ASCII stands in for the GSM-7 alphabet; close enough for a fake.)
pub fn segments(body: &str) -> u32 {
    let (single, multi, units) = if body.is_ascii() {
        (160, 153, body.len())
    } else {
        (70, 67, body.encode_utf16().count())
    };
    if units <= single {
        1
    } else {
        units.div_ceil(multi) as u32
    }
}

/// The 201 body for an accepted message.
pub fn created_message(account_sid: &str, sid: &str, msg: &ValidMessage) -> Value {
    let now = rfc2822_now();
    let uri = format!("/2010-04-01/Accounts/{account_sid}/Messages/{sid}");
    // With a Messaging Service no sender is picked yet: `accepted`, `from` null, 0 segments.
    let (status, num_segments) = match msg.messaging_service_sid {
        Some(_) => ("accepted", "0".to_owned()),
        None => ("queued", segments(&msg.body).to_string()),
    };
    json!({
        "account_sid": account_sid,
        "api_version": "2010-04-01",
        "body": msg.body,
        "date_created": now,
        "date_sent": null,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": null,
        "error_message": null,
        "from": msg.from,
        "messaging_service_sid": msg.messaging_service_sid,
        "num_media": "0",
        "num_segments": num_segments,
        "price": null,
        "price_unit": "USD",
        "sid": sid,
        "status": status,
        "subresource_uris": { "media": format!("{uri}/Media.json") },
        "to": msg.to,
        "uri": format!("{uri}.json"),
    })
}

/// Twilio's error body.
pub fn error_body(status: u16, code: u32, message: &str) -> Value {
    json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    })
}

/// HTTP status and message Twilio documents for an error code on Create Message.
pub fn documented_error(code: u32, to: &str, from: &str) -> (u16, String) {
    match code {
        20003 => (401, "Authenticate".into()),
        20404 => (404, "The requested resource was not found".into()),
        20429 => (429, "Too Many Requests".into()),
        21211 => (400, format!("Invalid 'To' Phone Number: {to}")),
        21408 => (
            400,
            format!(
                "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {to}."
            ),
        ),
        21608 => (
            400,
            format!(
                "The number {to} is unverified. Trial accounts cannot send messages to unverified numbers."
            ),
        ),
        21610 => (400, "Attempt to send to unsubscribed recipient".into()),
        21612 => (
            400,
            format!(
                "The 'To' phone number: {to}, is not currently reachable using the 'From' phone number: {from} via SMS."
            ),
        ),
        21614 => (
            400,
            format!("'To' number {to} is not a valid mobile number"),
        ),
        21606 => (
            400,
            format!(
                "The 'From' phone number provided ({from}) is not a valid message-capable Twilio phone number for this destination."
            ),
        ),
        other => (400, format!("Twilio error {other}")),
    }
}
