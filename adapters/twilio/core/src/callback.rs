//! Twilio status callbacks: checking `X-Twilio-Signature` and turning the form fields
//! (`MessageSid`, `MessageStatus`, `ErrorCode`, …) into status updates.
//!
//! Twilio signs `base64(HMAC-SHA1(auth_token, url + name1 + value1 + name2 + …))` with the
//! POST parameters sorted by name. Proxies and Twilio itself disagree about whether the
//! default port is part of the URL, so both spellings are accepted, as Twilio's own
//! helper libraries do. Reports may arrive out of order; ordering is the gateway's job.

use crate::client::{MappedStatus, map_status};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use gateway_sdk::{CallbackError, CallbackOutcome, CallbackRequest, StatusUpdate};
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// The header carrying Twilio's signature (lowercase, as the gateway passes headers).
pub const SIGNATURE_HEADER: &str = "x-twilio-signature";

type HmacSha1 = Hmac<Sha1>;

fn mac_over(url: &str, params: &[(String, String)], auth_token: &str) -> HmacSha1 {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = <HmacSha1 as Mac>::new_from_slice(auth_token.as_bytes())
        .expect("HMAC-SHA1 accepts keys of any length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac
}

/// The signature Twilio sends for a POST of `params` to exactly `url`.
pub fn compute_signature(url: &str, params: &[(String, String)], auth_token: &str) -> String {
    BASE64.encode(mac_over(url, params, auth_token).finalize().into_bytes())
}

/// Whether `signature` is right for `url` (with or without its default port).
/// The comparison is constant-time (`hmac`'s `verify_slice`).
pub fn signature_is_valid(
    url: &str,
    params: &[(String, String)],
    auth_token: &str,
    signature: &str,
) -> bool {
    let Ok(expected) = BASE64.decode(signature.trim()) else {
        return false;
    };
    url_variants(url).iter().any(|u| {
        mac_over(u, params, auth_token)
            .verify_slice(&expected)
            .is_ok()
    })
}

/// `url` as given, plus the same URL with its default port (`:443` for https, `:80` for
/// http) removed when present or added when absent. Hand-written string surgery rather
/// than the `url` crate, because re-serialising would normalise the rest of the URL
/// (escapes, empty query) and change the bytes Twilio signed.
pub fn url_variants(url: &str) -> Vec<String> {
    let mut out = vec![url.to_owned()];
    let Some(scheme_end) = url.find("://") else {
        return out;
    };
    let default_port = match url[..scheme_end].to_ascii_lowercase().as_str() {
        "https" => "443",
        "http" => "80",
        _ => return out,
    };
    let auth_start = scheme_end + 3;
    let auth_end = url[auth_start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| auth_start + i);
    let authority = &url[auth_start..auth_end];
    let host_start = authority.rfind('@').map_or(0, |i| i + 1);
    let host_port = &authority[host_start..];
    // A ':' inside an IPv6 literal (`[::1]`) is not a port separator.
    let port_sep = host_port
        .rfind(':')
        .filter(|&i| !host_port[i..].contains(']'));
    match port_sep {
        Some(i) if &host_port[i + 1..] == default_port => {
            let cut = auth_start + host_start + i;
            out.push(format!("{}{}", &url[..cut], &url[auth_end..]));
        }
        Some(_) => {}
        None => out.push(format!(
            "{}:{}{}",
            &url[..auth_end],
            default_port,
            &url[auth_end..]
        )),
    }
    out
}

/// Decodes an `application/x-www-form-urlencoded` body into name/value pairs.
pub fn parse_form(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

/// Verifies and parses one status callback. Unknown fields are ignored; an unknown
/// status value yields no update rather than an error, so Twilio does not retry it.
pub fn parse_status_callback(
    auth_token: &str,
    request: &CallbackRequest,
) -> Result<CallbackOutcome, CallbackError> {
    if !request.method.eq_ignore_ascii_case("POST") {
        return Err(CallbackError::Malformed {
            message: format!("twilio status callbacks are POSTs, got {}", request.method),
        });
    }
    let signature = request
        .header(SIGNATURE_HEADER)
        .ok_or_else(|| CallbackError::Signature {
            message: "missing X-Twilio-Signature header".into(),
        })?;
    let params = parse_form(&request.body);
    if !signature_is_valid(&request.url, &params, auth_token, signature) {
        return Err(CallbackError::Signature {
            message: "X-Twilio-Signature does not match this URL and body".into(),
        });
    }
    let field = |name: &str| {
        params
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    };
    let sid = field("MessageSid")
        .or_else(|| field("SmsSid"))
        .ok_or_else(|| CallbackError::Malformed {
            message: "status callback without MessageSid".into(),
        })?;
    let raw_status = field("MessageStatus")
        .or_else(|| field("SmsStatus"))
        .ok_or_else(|| CallbackError::Malformed {
            message: "status callback without MessageStatus".into(),
        })?;
    let status = match map_status(raw_status) {
        Some(MappedStatus::Status(s)) => s,
        Some(MappedStatus::Inbound) | None => {
            tracing::debug!(
                status = raw_status,
                "twilio callback status not tracked; ignored"
            );
            return Ok(CallbackOutcome::default());
        }
    };
    let detail = (status.as_str() != raw_status).then(|| format!("twilio status `{raw_status}`"));
    Ok(CallbackOutcome {
        updates: vec![StatusUpdate {
            provider_message_id: sid.to_owned(),
            status,
            at: None,
            error_code: field("ErrorCode").filter(|c| *c != "0").map(str::to_owned),
            detail,
        }],
        reply: None,
    })
}
