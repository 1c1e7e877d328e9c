//! Settings: defaults, and each bad value refused naming its key.

use super::settings;
use crate::config::HttpSettings;
use gateway_sdk::{AdapterError, Channel};
use std::time::Duration;

fn error_of(mut patch: serde_json::Value) -> String {
    let mut s = settings("https://sms.example.com/send");
    s.as_object_mut()
        .unwrap()
        .append(patch.as_object_mut().unwrap());
    match HttpSettings::from_json(s) {
        Err(AdapterError::Config { message }) => message,
        other => panic!("expected a config error for {patch}, got {other:?}"),
    }
}

#[test]
fn defaults_and_debug_hides_the_secret() {
    let s = HttpSettings::from_json(settings("https://sms.example.com/send?route=otp")).unwrap();
    assert_eq!(s.channel, Channel::Sms);
    assert!(s.delivery_reports);
    assert_eq!(s.callback_tolerance, Duration::from_secs(300));
    let debug = format!("{s:?}");
    assert!(!debug.contains("4ccJcvHR"), "{debug}");
    let s = HttpSettings::from_json(serde_json::json!({
        "url": "http://127.0.0.1:9/x", "signing_secret": crate::tests::FAKE_SECRET,
        "channel": "whatsapp", "delivery_reports": false, "callback_tolerance": "30s"
    }))
    .unwrap();
    assert_eq!(
        (s.channel, s.delivery_reports, s.callback_tolerance),
        (Channel::Whatsapp, false, Duration::from_secs(30))
    );
}

#[test]
fn bad_values_name_their_key() {
    for (patch, key) in [
        (serde_json::json!({ "url": "ftp://x.example/" }), "`url`"),
        (serde_json::json!({ "url": "not a url" }), "`url`"),
        (
            serde_json::json!({ "signing_secret": "whsec_c2hvcnQ=" }),
            "`signing_secret`",
        ),
        (
            serde_json::json!({ "signing_secret": "hunter2 hunter2" }),
            "`signing_secret`",
        ),
        (
            serde_json::json!({ "callback_tolerance": "0s" }),
            "`callback_tolerance`",
        ),
        (
            serde_json::json!({ "callback_tolerance": "2h" }),
            "`callback_tolerance`",
        ),
        (serde_json::json!({ "channel": "fax" }), "fax"),
        (serde_json::json!({ "headers": {} }), "headers"),
    ] {
        let message = error_of(patch.clone());
        assert!(message.contains(key), "{patch}: {message}");
        assert!(!message.contains("hunter2"), "{message}");
    }
    let missing = HttpSettings::from_json(serde_json::json!({ "url": "https://x.example" }));
    assert!(
        matches!(missing, Err(AdapterError::Config { ref message }) if message.contains("signing_secret")),
        "{missing:?}"
    );
}
