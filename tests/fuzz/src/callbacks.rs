//! Each provider's callback parser behind its signature check: the only part of the
//! gateway that unauthenticated parties on the internet can reach with arbitrary bytes.
//!
//! Input format (text): the first line is the method, the second the URL, then
//! `name: value` header lines up to an empty line, then the body. A header
//! `x-fuzz-sign: 1` is replaced by the correct signature header(s), so the fuzzer gets
//! past the signature check and into the parser; without it, the check must refuse.

use gateway_sdk::{CallbackError, CallbackOutcome, CallbackRequest};
use time::OffsetDateTime;

/// Secrets the harness signs with.
const SECRET: &str = "fuzz-secret-0123456789";
/// Telegram's report age window used here.
const MAX_AGE_SECS: u64 = 300;
/// The time every request is received at.
const RECEIVED_AT: i64 = 1_767_225_600;

struct Parsed {
    request: CallbackRequest,
    sign: bool,
}

fn parse_input(data: &[u8]) -> Parsed {
    let text = String::from_utf8_lossy(data);
    let (method, rest) = crate::first_line(&text);
    let (url, mut rest) = crate::first_line(rest);
    let mut headers = Vec::new();
    let mut sign = false;
    loop {
        let (line, after) = crate::first_line(rest);
        rest = after;
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
        if name == "x-fuzz-sign" {
            sign = true;
        } else {
            headers.push((name, value));
        }
    }
    Parsed {
        request: CallbackRequest {
            method: method.to_owned(),
            url: url.to_owned(),
            headers,
            body: rest.to_owned(),
            received_at: OffsetDateTime::from_unix_timestamp(RECEIVED_AT).expect("valid time"),
        },
        sign,
    }
}

fn set_header(request: &mut CallbackRequest, name: &str, value: String) {
    request
        .headers
        .retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    request.headers.push((name.to_ascii_lowercase(), value));
}

/// What holds for every outcome: a signature failure is reported as such and only when
/// the harness did not sign; a success names each update's message.
fn check(outcome: &Result<CallbackOutcome, CallbackError>, signed: bool) {
    match outcome {
        Ok(o) => {
            assert!(signed, "an unsigned request was accepted: {o:?}");
            for u in &o.updates {
                let _ = u.status.as_str();
            }
        }
        Err(CallbackError::Signature { .. }) => {
            assert!(
                !signed,
                "a correctly signed request was refused as unsigned"
            )
        }
        Err(_) => {}
    }
}

/// Twilio: form-encoded status callbacks signed over URL + sorted parameters.
pub fn twilio(data: &[u8]) {
    use adapter_twilio_core::callback;
    let Parsed { mut request, sign } = parse_input(data);
    if sign {
        let params = callback::parse_form(&request.body);
        let signature = callback::compute_signature(&request.url, &params, SECRET);
        set_header(&mut request, callback::SIGNATURE_HEADER, signature);
    }
    let outcome = callback::parse_status_callback(SECRET, &request);
    let post = request.method.eq_ignore_ascii_case("POST");
    check(&outcome, sign && post);
    let variants = callback::url_variants(&request.url);
    assert_eq!(variants[0], request.url);
    assert!(variants.len() <= 2);
}

/// Telegram Gateway: JSON reports signed with a key derived from the token and dated.
pub fn telegram(data: &[u8]) {
    use adapter_telegram_core::callback;
    let Parsed { mut request, sign } = parse_input(data);
    if sign {
        let timestamp = request
            .header(callback::TIMESTAMP_HEADER)
            .map_or_else(|| RECEIVED_AT.to_string(), str::to_owned);
        let signature = callback::sign(SECRET, timestamp.trim(), &request.body);
        set_header(&mut request, callback::TIMESTAMP_HEADER, timestamp);
        set_header(&mut request, callback::SIGNATURE_HEADER, signature);
    }
    // A stale or non-numeric timestamp is refused as a signature problem even if signed.
    let fresh = request
        .header(callback::TIMESTAMP_HEADER)
        .and_then(|t| t.trim().parse::<i64>().ok())
        .is_some_and(|t| t.abs_diff(RECEIVED_AT) <= MAX_AGE_SECS);
    let key = callback::signing_key(SECRET);
    let outcome = callback::parse_report(&key, MAX_AGE_SECS, &request);
    let post = request.method.eq_ignore_ascii_case("POST");
    check(&outcome, sign && post && fresh);
}

/// WhatsApp Cloud API: `GET` subscription handshakes with a verify token, `POST`
/// notifications signed with `X-Hub-Signature-256`.
pub fn whatsapp(data: &[u8]) {
    use adapter_whatsapp_core::callback;
    let Parsed { mut request, sign } = parse_input(data);
    if sign {
        let signature = callback::sign(SECRET, &request.body);
        set_header(&mut request, callback::SIGNATURE_HEADER, signature);
    }
    // No replay window here (every timestamp is fresh): this target checks the signature.
    let outcome = callback::parse(SECRET, SECRET, u64::MAX, &request);
    if request.method.eq_ignore_ascii_case("POST") {
        check(&outcome, sign);
    } else if let Ok(o) = &outcome {
        // A handshake succeeds only by echoing the challenge, with no updates.
        assert!(o.updates.is_empty());
        assert!(o.reply.is_some());
    }
}

/// The mock adapter: JSON reports with a hex HMAC-SHA256 of the body.
pub fn mock(data: &[u8]) {
    use adapter_mock_core::callback;
    let Parsed { mut request, sign } = parse_input(data);
    if sign {
        let signature = callback::sign(SECRET, &request.body);
        set_header(&mut request, callback::SIGNATURE_HEADER, signature);
    }
    let outcome = callback::parse(SECRET, &request);
    check(&outcome, sign);
}

/// The generic HTTP adapter: Standard Webhooks reports (id, timestamp, `v1,` signature)
/// within a five-minute window of their arrival.
pub fn http(data: &[u8]) {
    use adapter_http_core::callback;
    use gateway_sdk::signing::{HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, SigningKey};
    const WHSEC: &str = "whsec_4ccJcvHRtaxvS/c9u/W2sxgQEjFXvAzfPpzmTIbwPwk=";
    let key = SigningKey::from_secret(WHSEC).expect("a valid secret");
    let Parsed { mut request, sign } = parse_input(data);
    let timestamp = request
        .header(HEADER_TIMESTAMP)
        .and_then(|t| t.trim().parse::<i64>().ok());
    if sign {
        let id = request
            .header(HEADER_ID)
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .unwrap_or("fuzz")
            .to_owned();
        let ts = timestamp.unwrap_or(RECEIVED_AT);
        for (name, value) in key.headers(&id, ts, request.body.as_bytes()) {
            set_header(&mut request, name, value);
        }
        debug_assert!(request.header(HEADER_SIGNATURE).is_some());
    }
    // A stale timestamp is refused as a signature problem even when signed.
    let fresh = request
        .header(HEADER_TIMESTAMP)
        .and_then(|t| t.trim().parse::<i64>().ok())
        .is_some_and(|t| t.abs_diff(RECEIVED_AT) <= MAX_AGE_SECS);
    let window = std::time::Duration::from_secs(MAX_AGE_SECS);
    let outcome = callback::parse_report(&key, window, &request);
    let post = request.method.eq_ignore_ascii_case("POST");
    check(&outcome, sign && post && fresh);
}
