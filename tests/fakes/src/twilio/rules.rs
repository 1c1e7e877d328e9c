//! What the real Create Message endpoint refuses, checked in the order Twilio checks
//! it (credentials, resource, parameters). Every refusal here is a *violation*: the
//! adapter sent something the real API would not take.

use super::FakeAccount;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// Documented Create Message parameters; anything else is refused.
const KNOWN_FIELDS: &[&str] = &[
    "To",
    "From",
    "MessagingServiceSid",
    "Body",
    "StatusCallback",
    "ValidityPeriod",
    "ApplicationSid",
    "MaxPrice",
    "ProvideFeedback",
    "Attempt",
    "ForceDelivery",
    "ContentRetention",
    "AddressRetention",
    "SmartEncoded",
    "PersistentAction",
    "ShortenUrls",
    "ScheduleType",
    "SendAt",
    "SendAsMms",
    "ContentVariables",
    "RiskCheck",
    "MediaUrl",
    "ContentSid",
];
/// Fields that may repeat (lists).
const LIST_FIELDS: &[&str] = &["MediaUrl", "PersistentAction"];

/// A refused request: the HTTP answer and the violation to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP status.
    pub status: u16,
    /// Twilio error code for the body.
    pub code: u32,
    /// Twilio's message for the body.
    pub message: String,
}

fn refuse(status: u16, code: u32, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        code,
        message: message.into(),
    }
}

/// A request that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidMessage {
    /// `To`.
    pub to: String,
    /// `From`, or `None` with a Messaging Service.
    pub from: Option<String>,
    /// `MessagingServiceSid`.
    pub messaging_service_sid: Option<String>,
    /// `Body`.
    pub body: String,
    /// `StatusCallback`.
    pub status_callback: Option<String>,
}

/// The Basic-auth user name and password, if the header is well-formed.
pub fn basic_auth(header: Option<&str>) -> Option<(String, String)> {
    let encoded = header?.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(BASE64.decode(encoded.trim()).ok()?).ok()?;
    let (user, pass) = decoded.split_once(':')?;
    Some((user.to_owned(), pass.to_owned()))
}

/// Checks one request against the real API's rules.
pub fn check(
    account: &FakeAccount,
    method: &str,
    path: &str,
    auth: Option<&(String, String)>,
    content_type: Option<&str>,
    form: &[(String, String)],
) -> Result<ValidMessage, Refusal> {
    let authenticated = auth.is_some_and(|(user, pass)| {
        (user == &account.account_sid && pass == &account.auth_token)
            || account
                .api_key
                .as_ref()
                .is_some_and(|(k, s)| user == k && pass == s)
    });
    if !authenticated {
        return Err(refuse(401, 20003, "Authenticate"));
    }
    let expected = format!("/2010-04-01/Accounts/{}/Messages.json", account.account_sid);
    if path != expected {
        return Err(refuse(
            404,
            20404,
            format!("The requested resource {path} was not found"),
        ));
    }
    if method != "POST" {
        return Err(refuse(405, 20004, "Method not allowed"));
    }
    if !content_type.is_some_and(|c| c.starts_with("application/x-www-form-urlencoded")) {
        return Err(refuse(400, 21604, "A 'To' phone number is required."));
    }
    for (i, (name, _)) in form.iter().enumerate() {
        if !KNOWN_FIELDS.contains(&name.as_str()) {
            return Err(refuse(400, 400, format!("Unknown parameter '{name}'")));
        }
        if !LIST_FIELDS.contains(&name.as_str()) && form[..i].iter().any(|(n, _)| n == name) {
            return Err(refuse(
                400,
                400,
                format!("Parameter '{name}' given more than once"),
            ));
        }
    }
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let to = field("To")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| refuse(400, 21604, "A 'To' phone number is required."))?;
    if !is_e164(&to) {
        return Err(refuse(
            400,
            21211,
            format!("Invalid 'To' Phone Number: {to}"),
        ));
    }
    let from = field("From").filter(|v| !v.is_empty());
    let mg = field("MessagingServiceSid").filter(|v| !v.is_empty());
    match (&from, &mg) {
        (None, None) => return Err(refuse(400, 21603, "A 'From' phone number is required.")),
        (Some(_), Some(_)) => {
            return Err(refuse(
                400,
                400,
                "Give either From or MessagingServiceSid, not both",
            ));
        }
        (None, Some(sid)) if !is_sid(sid, "MG") => {
            return Err(refuse(
                400,
                21701,
                format!("The Messaging Service Sid {sid} is invalid."),
            ));
        }
        _ => {}
    }
    let body = field("Body")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| refuse(400, 21602, "Message body is required."))?;
    if body.chars().count() > 1600 {
        return Err(refuse(
            400,
            21617,
            "The concatenated message body exceeds the 1600 character limit.",
        ));
    }
    if let Some(vp) = field("ValidityPeriod")
        && !vp.parse::<u64>().is_ok_and(|v| (1..=36_000).contains(&v))
    {
        return Err(refuse(400, 21624, "Invalid validity period value"));
    }
    let status_callback = field("StatusCallback");
    if let Some(url) = &status_callback {
        let ok = (url.starts_with("https://") || url.starts_with("http://")) && url.len() <= 4000;
        if !ok {
            return Err(refuse(400, 21609, "Invalid 'StatusCallback'"));
        }
    }
    Ok(ValidMessage {
        to,
        from,
        messaging_service_sid: mg,
        body,
        status_callback,
    })
}

fn is_e164(phone: &str) -> bool {
    phone.strip_prefix('+').is_some_and(|d| {
        (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
    })
}

fn is_sid(value: &str, prefix: &str) -> bool {
    value.len() == 34
        && value.starts_with(prefix)
        && value[2..].bytes().all(|b| b.is_ascii_hexdigit())
}
