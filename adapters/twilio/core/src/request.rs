//! Building the Create Message request (`POST /2010-04-01/Accounts/{Sid}/Messages.json`)
//! from a gateway [`SendRequest`]: which sender field, which optional fields, and the
//! validity period clamped to what Twilio accepts. Pure, so every rule is unit-tested.

use crate::config::{Sender, TwilioSettings};
use gateway_sdk::SendRequest;

/// Smallest `ValidityPeriod` Twilio accepts, in seconds.
pub const MIN_VALIDITY_SECS: u64 = 1;
/// Largest `ValidityPeriod` Twilio accepts (36,000 s = 10 hours; error 21624 otherwise).
/// Older documentation said 14,400 s; both keep a confirmation code's TTL intact.
pub const MAX_VALIDITY_SECS: u64 = 36_000;

/// The Messages list resource URL for this account.
pub fn messages_url(base_url: &str, account_sid: &str) -> String {
    format!(
        "{}/2010-04-01/Accounts/{}/Messages.json",
        base_url.trim_end_matches('/'),
        account_sid
    )
}

/// `ValidityPeriod` for a code that stays valid `code_ttl_secs`: a code that cannot be
/// used any more must not be delivered, so Twilio drops it from its queue after that.
pub fn validity_period(code_ttl_secs: u64) -> u64 {
    code_ttl_secs.clamp(MIN_VALIDITY_SECS, MAX_VALIDITY_SECS)
}

/// The form fields of one Create Message call, in a stable order.
///
/// The sender is the operator rule's `sender_id` as `From` when the gateway gives one
/// (it overrides the configured sender, Messaging Service included: Twilio takes one of
/// the two), else the configured `from` or `messaging_service_sid`.
pub fn message_form(settings: &TwilioSettings, req: &SendRequest) -> Vec<(&'static str, String)> {
    let mut form = Vec::with_capacity(5);
    form.push(("To", req.phone.clone()));
    match req.sender_id.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(sender_id) => form.push(("From", sender_id.to_owned())),
        None => match settings.sender() {
            Sender::From(from) => form.push(("From", from)),
            Sender::MessagingService(mg) => form.push(("MessagingServiceSid", mg)),
        },
    }
    form.push(("Body", req.text.clone()));
    if settings.status_callbacks
        && let Some(url) = req.callback_url.as_deref().filter(|u| !u.is_empty())
    {
        form.push(("StatusCallback", url.to_owned()));
    }
    form.push((
        "ValidityPeriod",
        validity_period(req.code_ttl_secs).to_string(),
    ));
    form
}
