//! Unit tests of the WhatsApp adapter: settings, message shape and error mapping here;
//! sends against the fake Cloud API in [`send`]; webhooks in [`callbacks`]; the SDK
//! battery in [`conformance`].

mod callbacks;
mod conformance;
mod send;

use crate::WhatsAppAdapter;
use crate::client::map_error;
use crate::config::WhatsAppSettings;
use crate::request::{GraphError, GraphErrorBody, build};
use fake_providers::whatsapp::FakeWhatsApp;
use gateway_sdk::{Adapter, AdapterError, CreateContext};
use serde_json::json;

pub(crate) const VERIFY_TOKEN: &str = "verify-me";

pub(crate) fn ctx() -> CreateContext {
    gateway_sdk::test_util::context("whatsapp-main")
}

pub(crate) fn adapter_for(fake: &FakeWhatsApp) -> WhatsAppAdapter {
    WhatsAppAdapter::create(fake.adapter_settings(VERIFY_TOKEN), ctx()).expect("valid settings")
}

pub(crate) use gateway_sdk::test_util::send_request;

fn settings() -> serde_json::Value {
    json!({
        "access_token": "t", "app_secret": "s", "verify_token": "v",
        "phone_number_id": "106540352242922", "template_name": "otp_code",
    })
}

#[test]
fn settings_refuse_unknown_keys_and_bad_values() {
    let mut unknown = settings();
    unknown["templat_name"] = json!("x");
    let err = WhatsAppSettings::from_json(unknown).unwrap_err();
    assert!(err.to_string().contains("templat_name"), "{err}");
    let cases = [
        ("access_token", json!("")),
        ("app_secret", json!(" ")),
        ("phone_number_id", json!("+1555")),
        ("template_name", json!("OTP Code")),
        ("api_version", json!("23.0")),
        ("api_version", json!("v23")),
        ("template_language", json!("en-US")),
        ("template_languages", json!({ "ru": "" })),
        ("base_url", json!("graph.facebook.com")),
    ];
    for (key, value) in cases {
        let mut s = settings();
        s[key] = value.clone();
        assert!(
            matches!(
                WhatsAppSettings::from_json(s),
                Err(AdapterError::Config { .. })
            ),
            "{key} = {value} should be refused"
        );
    }
    let mut missing = settings();
    missing
        .as_object_mut()
        .expect("object")
        .remove("verify_token");
    assert!(WhatsAppSettings::from_json(missing).is_err());
}

#[test]
fn settings_defaults_url_and_language_map() {
    let mut s = settings();
    s["template_languages"] = json!({ "ru": "ru", "pt": "pt_BR" });
    let s = WhatsAppSettings::from_json(s).expect("valid");
    assert_eq!(
        s.messages_url(),
        "https://graph.facebook.com/v23.0/106540352242922/messages"
    );
    assert_eq!(s.template_language_for("ru"), "ru");
    assert_eq!(s.template_language_for("pt-BR"), "pt_BR");
    assert_eq!(s.template_language_for("de"), "en_US");
    assert_eq!(format!("{:?}", s.app_secret), "***");
}

#[test]
fn message_carries_the_code_in_body_and_button() {
    let s = WhatsAppSettings::from_json(settings()).expect("valid");
    let mut req = send_request("msg_1", "+79991234567");
    req.language = "ru".into();
    let body = serde_json::to_value(build(&req, &s).expect("valid")).expect("serializes");
    assert_eq!(
        body,
        json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": "79991234567",
            "type": "template",
            "template": { "name": "otp_code", "language": { "code": "en_US" }, "components": [
                { "type": "body", "parameters": [{ "type": "text", "text": "482193" }] },
                { "type": "button", "sub_type": "url", "index": "0",
                  "parameters": [{ "type": "text", "text": "482193" }] }
            ]}
        })
    );
}

#[test]
fn codes_over_15_characters_are_rejected() {
    let s = WhatsAppSettings::from_json(settings()).expect("valid");
    let mut req = send_request("msg_1", "+79991234567");
    req.code = "1".repeat(15);
    build(&req, &s).expect("15 characters fit");
    for bad in ["1".repeat(16), String::new()] {
        req.code = bad;
        assert!(matches!(
            build(&req, &s),
            Err(AdapterError::Rejected { .. })
        ));
    }
}

fn graph(code: i64) -> GraphErrorBody {
    GraphErrorBody {
        error: GraphError {
            message: format!("(#{code}) test"),
            kind: "OAuthException".into(),
            code,
            error_data: None,
            error_subcode: None,
            fbtrace_id: None,
        },
    }
}

#[test]
fn every_graph_error_class_is_mapped() {
    let kind =
        |status: u16, code: Option<i64>| map_error(status, code.map(graph).as_ref(), None).kind();
    for code in [131026, 131030, 131047, 131049, 130472, 130497] {
        assert_eq!(kind(400, Some(code)), "unreachable", "{code}");
    }
    for code in [130429, 131048, 131056, 4, 80007, 133016] {
        assert_eq!(kind(400, Some(code)), "throttled", "{code}");
    }
    for code in [190, 0, 10, 3, 200, 299, 131005] {
        assert_eq!(kind(401, Some(code)), "auth", "{code}");
    }
    for code in [131031, 368, 131042] {
        assert_eq!(kind(400, Some(code)), "account", "{code}");
    }
    for code in [
        132000, 132001, 132005, 132012, 132015, 133010, 131008, 131045, 100, 33,
    ] {
        assert_eq!(kind(400, Some(code)), "config", "{code}");
    }
    for code in [131021, 131009, 135000] {
        assert_eq!(kind(400, Some(code)), "rejected", "{code}");
    }
    for code in [1, 2, 131000, 131016, 131057] {
        assert_eq!(kind(500, Some(code)), "transient", "{code}");
    }
    // Unknown codes and bodiless answers fall back on the HTTP status.
    assert_eq!(kind(503, Some(999_999)), "transient");
    assert_eq!(kind(500, None), "transient");
    assert_eq!(kind(429, None), "throttled");
    assert_eq!(kind(403, None), "auth");
    assert_eq!(kind(400, Some(999_999)), "rejected");
    assert!(matches!(
        map_error(400, Some(&graph(131026)), None),
        AdapterError::Unreachable { provider_code: Some(c), .. } if c == "131026"
    ));
    assert!(matches!(
        map_error(429, None, Some(3_000)),
        AdapterError::Throttled {
            retry_after_ms: Some(3_000),
            ..
        }
    ));
}
