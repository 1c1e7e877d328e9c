//! Unit tests of the Telegram adapter: settings, request shapes and error mapping here;
//! sends against the fake Gateway API in [`send`]; delivery reports in [`callbacks`].

mod callbacks;
mod conformance;
mod send;

use crate::TelegramAdapter;
use crate::client::map_api_error;
use crate::config::TelegramSettings;
use crate::request::{self, build_send, check_code, clamp_ttl};
use gateway_sdk::{Adapter, AdapterError, CreateContext};
use serde_json::json;

pub(crate) const TOKEN: &str = "test-gateway-token";

pub(crate) fn ctx() -> CreateContext {
    gateway_sdk::test_util::context("telegram-main")
}

pub(crate) fn adapter_for(base_url: &str, token: &str) -> TelegramAdapter {
    TelegramAdapter::create(json!({ "token": token, "base_url": base_url }), ctx())
        .expect("valid settings")
}

pub(crate) use gateway_sdk::test_util::send_request;

#[test]
fn settings_refuse_unknown_keys_and_bad_values() {
    let err = TelegramSettings::from_json(json!({ "token": "t", "tokn": "x" })).unwrap_err();
    assert!(err.to_string().contains("tokn"), "{err}");
    let err = TelegramSettings::from_json(json!({})).unwrap_err();
    assert!(err.to_string().contains("token"), "{err}");
    for bad in [
        json!({ "token": " " }),
        json!({ "token": "t", "base_url": "ftp://x" }),
        json!({ "token": "t", "base_url": "not a url" }),
        json!({ "token": "t", "sender_username": "@salon" }),
        json!({ "token": "t", "report_max_age_secs": 0 }),
        json!({ "token": "t", "timeout_ms": 0 }),
    ] {
        assert!(
            matches!(
                TelegramSettings::from_json(bad.clone()),
                Err(AdapterError::Config { .. })
            ),
            "{bad} should be refused"
        );
    }
}

#[test]
fn settings_defaults_and_env_secret() {
    let s = TelegramSettings::from_json(json!({ "token": "t", "sender_username": "beauty_lab" }))
        .expect("valid");
    assert_eq!(s.base_url, crate::config::DEFAULT_BASE_URL);
    assert_eq!(s.report_max_age_secs, 300);
    assert_eq!(
        s.method_url("checkSendAbility"),
        "https://gatewayapi.telegram.org/checkSendAbility"
    );
    assert_eq!(format!("{:?}", s.token), "***");
    let err = TelegramSettings::from_json(
        json!({ "token": { "env": "ADAPTER_TELEGRAM_TEST_UNSET_VAR" } }),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("ADAPTER_TELEGRAM_TEST_UNSET_VAR"),
        "{err}"
    );
}

#[test]
fn codes_outside_4_to_8_digits_are_unreachable_here() {
    for ok in ["1234", "482193", "12345678"] {
        check_code(ok).expect(ok);
    }
    for bad in ["123", "123456789", "12a4", "", "１２３４"] {
        assert!(
            matches!(check_code(bad), Err(AdapterError::Unreachable { .. })),
            "{bad:?}"
        );
    }
}

#[test]
fn ttl_is_clamped_to_telegram_range() {
    assert_eq!(clamp_ttl(0), 30);
    assert_eq!(clamp_ttl(300), 300);
    assert_eq!(clamp_ttl(86_400), 3600);
}

#[test]
fn send_body_carries_code_ttl_payload_callback_and_precheck() {
    let mut req = send_request("msg_01", "+79991234567");
    req.precheck_ref = Some("req_9".into());
    req.code_ttl_secs = 10;
    let body = build_send(
        &req,
        Some("beauty_lab"),
        Some("https://gw.example/v1/callbacks/tg"),
    )
    .expect("valid");
    assert_eq!(
        serde_json::to_value(&body).expect("serializes"),
        json!({
            "phone_number": "+79991234567", "request_id": "req_9", "sender_username": "beauty_lab",
            "code": "482193", "callback_url": "https://gw.example/v1/callbacks/tg",
            "payload": "msg_01", "ttl": 30
        })
    );
    // The request's own callback URL wins; absent optional fields are left out.
    req.callback_url = Some("https://other.example/cb".into());
    req.precheck_ref = None;
    let body = serde_json::to_value(build_send(&req, None, Some("https://x")).expect("valid"))
        .expect("serializes");
    assert_eq!(body["callback_url"], "https://other.example/cb");
    assert!(body.get("request_id").is_none() && body.get("sender_username").is_none());
    // An over-long callback URL is a configuration problem; an over-long id is dropped.
    req.callback_url = Some(format!("https://gw.example/{}", "a".repeat(300)));
    assert!(matches!(
        build_send(&req, None, None),
        Err(AdapterError::Config { .. })
    ));
    req.callback_url = None;
    req.message_id = "m".repeat(request::PAYLOAD_MAX_BYTES + 1);
    assert_eq!(build_send(&req, None, None).expect("valid").payload, None);
}

#[test]
fn every_error_kind_is_mapped() {
    let kind = |status, err: &str| map_api_error(status, err, None).kind();
    assert_eq!(kind(401, "ACCESS_TOKEN_INVALID"), "auth");
    assert_eq!(kind(400, "ACCESS_TOKEN_REQUIRED"), "auth");
    assert_eq!(kind(403, ""), "auth");
    assert_eq!(kind(429, ""), "throttled");
    assert_eq!(kind(400, "TOO_MANY_REQUESTS"), "throttled");
    assert_eq!(kind(400, "BALANCE_NOT_ENOUGH"), "account");
    assert_eq!(kind(400, "SENDER_USERNAME_INVALID"), "config");
    assert_eq!(kind(400, "CALLBACK_URL_INVALID"), "config");
    assert_eq!(kind(400, "PHONE_NUMBER_INVALID"), "rejected");
    assert_eq!(kind(400, "PHONE_NUMBER_NOT_FOUND"), "unreachable");
    assert_eq!(kind(400, "SOMETHING_NEW"), "unreachable");
    assert_eq!(kind(500, ""), "transient");
    assert_eq!(kind(502, "BAD_GATEWAY"), "transient");
    assert_eq!(kind(200, "INTERNAL_SERVER_ERROR"), "transient");
    assert_eq!(
        map_api_error(420, "FLOOD_WAIT_17", Some(1_000)),
        AdapterError::Throttled {
            message: "Telegram Gateway throttled the request (FLOOD_WAIT_17)".into(),
            retry_after_ms: Some(17_000),
        }
    );
    assert!(matches!(
        map_api_error(429, "", Some(2_000)),
        AdapterError::Throttled {
            retry_after_ms: Some(2_000),
            ..
        }
    ));
    assert!(matches!(
        map_api_error(400, "PHONE_NUMBER_INVALID", None),
        AdapterError::Rejected { provider_code: Some(c), .. } if c == "PHONE_NUMBER_INVALID"
    ));
}
