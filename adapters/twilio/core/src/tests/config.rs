//! Settings parsing and the checks between keys.

use crate::config::{Sender, TwilioSettings};
use gateway_sdk::AdapterError;
use serde_json::json;

const AC: &str = "AC0123456789abcdef0123456789abcdef";
const SK: &str = "SKfedcba9876543210fedcba9876543210";
const MG: &str = "MG00000000000000000000000000000001";

fn config_message(v: serde_json::Value) -> String {
    match TwilioSettings::from_json(v) {
        Err(AdapterError::Config { message }) => message,
        other => panic!("expected a Config error, got {other:?}"),
    }
}

#[test]
fn minimal_settings_use_defaults() {
    let s = TwilioSettings::from_json(
        json!({"account_sid": AC, "auth_token": "t", "from": "+15005550006"}),
    )
    .expect("valid");
    assert_eq!(s.base_url, "https://api.twilio.com");
    assert!(s.status_callbacks);
    assert_eq!(s.sender(), Sender::From("+15005550006".into()));
    let (user, pass) = s.credentials();
    assert_eq!((user, pass.expose()), (AC, "t"));
    assert_eq!(
        format!("{s:?}").matches("***").count(),
        1,
        "auth token hidden in Debug"
    );
}

#[test]
fn api_key_and_messaging_service() {
    let s = TwilioSettings::from_json(json!({
        "account_sid": AC, "auth_token": "t", "api_key_sid": SK, "api_key_secret": "ks",
        "messaging_service_sid": MG,
    }))
    .expect("valid");
    assert_eq!(s.sender(), Sender::MessagingService(MG.into()));
    let (user, pass) = s.credentials();
    assert_eq!((user, pass.expose()), (SK, "ks"));
}

#[test]
fn unknown_keys_are_refused() {
    let m =
        config_message(json!({"account_sid": AC, "auth_token": "t", "from": "X", "form": "typo"}));
    assert!(m.contains("form"), "{m}");
}

#[test]
fn sender_must_be_exactly_one() {
    let both = config_message(
        json!({"account_sid": AC, "auth_token": "t", "from": "X", "messaging_service_sid": MG}),
    );
    assert!(both.contains("exactly one"), "{both}");
    let neither = config_message(json!({"account_sid": AC, "auth_token": "t"}));
    assert!(neither.contains("exactly one"), "{neither}");
}

#[test]
fn sids_and_key_pairs_are_checked() {
    let m = config_message(json!({"account_sid": "ACshort", "auth_token": "t", "from": "X"}));
    assert!(m.contains("account_sid"), "{m}");
    let m = config_message(
        json!({"account_sid": AC, "auth_token": "t", "from": "X", "api_key_sid": SK}),
    );
    assert!(m.contains("api_key_secret"), "{m}");
    let m =
        config_message(json!({"account_sid": AC, "auth_token": "t", "messaging_service_sid": AC}));
    assert!(m.contains("messaging_service_sid"), "{m}");
    let m = config_message(json!({"account_sid": AC, "auth_token": "", "from": "X"}));
    assert!(m.contains("auth_token"), "{m}");
    let m = config_message(
        json!({"account_sid": AC, "auth_token": "t", "from": "X", "base_url": "ftp://x"}),
    );
    assert!(m.contains("base_url"), "{m}");
}

#[test]
fn secret_by_env_reference_names_the_missing_variable() {
    let m = config_message(json!({
        "account_sid": AC, "auth_token": {"env": "ADAPTER_TWILIO_TEST_SURELY_UNSET"}, "from": "X",
    }));
    assert!(m.contains("ADAPTER_TWILIO_TEST_SURELY_UNSET"), "{m}");
}
