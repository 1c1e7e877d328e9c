//! `refuse`, `fail`, `slow` and `accept`: each fake's own answer for each, set for every
//! phone or for one.

use super::Fakes;
use crate::{http_receiver, telegram, twilio, whatsapp};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

/// The delay of `slow` without `ms`: past the 5 s adapter timeout of the examples.
const DEFAULT_SLOW_MS: u64 = 10_000;
/// The longest `slow` accepted.
const MAX_SLOW_MS: u64 = 600_000;

/// Sets `switch` on `fake` (names already checked); says what the fake will answer.
pub(super) fn apply(
    fakes: &Fakes,
    fake: &str,
    switch: &str,
    query: &HashMap<String, String>,
) -> Result<Value, (u16, String)> {
    let phone = query
        .get("phone")
        .map(String::as_str)
        .filter(|p| !p.is_empty());
    if let Some(p) = phone
        && !(p.starts_with('+') && p.len() > 8 && p[1..].bytes().all(|b| b.is_ascii_digit()))
    {
        return Err((
            400,
            format!(
                "`phone` must be E.164 (+ and digits, the + written %2B in a query: ?phone=%2B79991234567), got `{p}`"
            ),
        ));
    }
    let delay = match query.get("ms") {
        None => Duration::from_millis(DEFAULT_SLOW_MS),
        Some(ms) => match ms.parse::<u64>() {
            Ok(ms) if ms <= MAX_SLOW_MS => Duration::from_millis(ms),
            _ => return Err((400, format!("`ms` must be 0..={MAX_SLOW_MS}, got `{ms}`"))),
        },
    };
    let answer = match fake {
        "twilio" => {
            let (b, says) = match switch {
                "refuse" => (
                    twilio::Behaviour::Error(21612),
                    "400, Twilio error 21612: no route to this phone",
                ),
                "fail" => (twilio::Behaviour::ServerError, "500, Twilio error 20500"),
                "slow" => (twilio::Behaviour::Slow(delay), "201, late"),
                _ => (twilio::Behaviour::Accept, "201"),
            };
            match phone {
                Some(p) => fakes.twilio.set_for(p, b),
                None => fakes.twilio.set_default(b),
            }
            says
        }
        "telegram" => {
            let (b, says) = match switch {
                "refuse" => (
                    telegram::Behaviour::not_on_telegram(),
                    "400 PHONE_NUMBER_NOT_FOUND",
                ),
                "fail" => (
                    telegram::Behaviour::fail(500, "INTERNAL_SERVER_ERROR"),
                    "500",
                ),
                "slow" => (telegram::Behaviour::Stall(delay), "200, late"),
                _ => (telegram::Behaviour::Accept, "200"),
            };
            match phone {
                Some(p) => fakes.telegram.set_phone_behaviour(p, b),
                None => fakes.telegram.set_behaviour(b),
            }
            says
        }
        "whatsapp" => {
            let (b, says) = match switch {
                "refuse" => (
                    whatsapp::Behaviour::not_on_whatsapp(),
                    "400, Graph error 131026: not on WhatsApp",
                ),
                "fail" => (
                    whatsapp::Behaviour::fail(500, 131000, "Something went wrong"),
                    "500, Graph error 131000",
                ),
                "slow" => (whatsapp::Behaviour::Stall(delay), "200, late"),
                _ => (whatsapp::Behaviour::Accept, "200"),
            };
            match phone {
                Some(p) => fakes.whatsapp.set_phone_behaviour(p, b),
                None => fakes.whatsapp.set_behaviour(b),
            }
            says
        }
        _ => {
            let (b, says) = match switch {
                "refuse" => (
                    http_receiver::Behaviour::Answer {
                        status: 400,
                        kind: Some("unreachable".into()),
                        retry_after: None,
                    },
                    "400, error.kind unreachable",
                ),
                "fail" => (http_receiver::Behaviour::status(503), "503"),
                "slow" => (http_receiver::Behaviour::Slow(delay), "200, late"),
                _ => (http_receiver::Behaviour::Accept, "200"),
            };
            match phone {
                Some(p) => fakes.http.set_phone_behaviour(p, b),
                None => fakes.http.set_default(b),
            }
            says
        }
    };
    let delay_ms =
        (switch == "slow").then_some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
    Ok(json!({
        "fake": fake, "switch": switch, "phone": phone, "answers": answer, "delay_ms": delay_ms
    }))
}
