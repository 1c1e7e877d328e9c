//! The request the service receives: the documented JSON body built from a gateway
//! [`SendRequest`], and its Standard Webhooks headers. Pure, so the shape is unit-tested
//! against the contract in docs/adapters/http.md.

use gateway_sdk::signing::SigningKey;
use gateway_sdk::{SendRequest, TextEncoding};
use serde::Serialize;

/// The JSON body of one message; every field is always present (`null` where the
/// contract allows it), so receivers can read them without guessing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message<'a> {
    /// The gateway's message id (`msg_…`), to quote in support requests.
    pub message_id: &'a str,
    /// The recipient in E.164.
    pub to: &'a str,
    /// The rendered text, fitted to one SMS.
    pub text: &'a str,
    /// The bare code, for services that word the message themselves.
    pub code: &'a str,
    /// `GSM-7` or `UCS-2`: how the gateway counted `text`.
    pub encoding: Option<TextEncoding>,
    /// SMS segments `text` takes.
    pub segments: Option<u32>,
    /// Seconds the code stays valid: delivering it later is useless.
    pub ttl: u64,
    /// Where to post delivery reports for this message.
    pub callback_url: Option<&'a str>,
    /// The sender id an operator rule names, if any.
    pub sender_id: Option<&'a str>,
    /// The template language (`en`, `ru`, …).
    pub language: &'a str,
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|v| !v.trim().is_empty())
}

/// The body for `req`; `callback_url` only when reports are wanted.
pub fn message(req: &SendRequest, delivery_reports: bool) -> Message<'_> {
    Message {
        message_id: &req.message_id,
        to: &req.phone,
        text: &req.text,
        code: &req.code,
        encoding: req.encoding,
        segments: req.segments,
        ttl: req.code_ttl_secs,
        callback_url: non_empty(&req.callback_url).filter(|_| delivery_reports),
        sender_id: non_empty(&req.sender_id),
        language: &req.language,
    }
}

/// The serialized body and its headers, signed at `now` (Unix seconds). The
/// `webhook-id` is the message id (always header-safe, unlike a caller's idempotency
/// key): a receiver that sees one twice answers as the first time without sending again.
pub fn signed(
    key: &SigningKey,
    req: &SendRequest,
    delivery_reports: bool,
    now: i64,
) -> (Vec<u8>, [(&'static str, String); 3]) {
    let body = serde_json::to_vec(&message(req, delivery_reports))
        .expect("a struct of strings and numbers serializes");
    let headers = key.headers(&req.message_id, now, &body);
    (body, headers)
}
