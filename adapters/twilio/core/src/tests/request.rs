//! The Create Message form built from a gateway request.

use super::send_request;
use crate::config::TwilioSettings;
use crate::request::{message_form, messages_url, validity_period};
use serde_json::json;

fn settings(extra: serde_json::Value) -> TwilioSettings {
    let mut v = json!({"account_sid": "AC0123456789abcdef0123456789abcdef", "auth_token": "t"});
    if let (Some(base), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
        base.extend(extra.clone());
    }
    TwilioSettings::from_json(v).expect("valid settings")
}

fn names(form: &[(&'static str, String)]) -> Vec<&'static str> {
    form.iter().map(|(k, _)| *k).collect()
}

#[test]
fn form_with_from_number() {
    let s = settings(json!({"from": "+15005550006"}));
    let form = message_form(&s, &send_request("msg_1", "+79991234567"));
    assert_eq!(
        names(&form),
        ["To", "From", "Body", "StatusCallback", "ValidityPeriod"]
    );
    assert_eq!(form[0].1, "+79991234567");
    assert_eq!(form[1].1, "+15005550006");
    assert_eq!(form[2].1, "Confirmation code for Beauty Lab: 4821");
    assert_eq!(form[3].1, "https://gw.example.com/v1/callbacks/sms-main");
    assert_eq!(form[4].1, "300");
}

#[test]
fn form_with_messaging_service_and_no_callback() {
    let s = settings(json!({"messaging_service_sid": "MG00000000000000000000000000000001"}));
    let mut req = send_request("msg_1", "+79991234567");
    req.callback_url = None;
    let form = message_form(&s, &req);
    assert_eq!(
        names(&form),
        ["To", "MessagingServiceSid", "Body", "ValidityPeriod"]
    );
}

#[test]
fn operator_sender_id_overrides_both_senders() {
    for extra in [
        json!({"from": "+15005550006"}),
        json!({"messaging_service_sid": "MG00000000000000000000000000000001"}),
    ] {
        let s = settings(extra);
        let mut req = send_request("msg_1", "+79991234567");
        req.sender_id = Some("BeautyLab".into());
        let form = message_form(&s, &req);
        assert_eq!(
            names(&form),
            ["To", "From", "Body", "StatusCallback", "ValidityPeriod"]
        );
        assert_eq!(form[1].1, "BeautyLab");
    }
}

#[test]
fn status_callbacks_can_be_switched_off() {
    let s = settings(json!({"from": "+15005550006", "status_callbacks": false}));
    let form = message_form(&s, &send_request("msg_1", "+79991234567"));
    assert!(!names(&form).contains(&"StatusCallback"));
}

#[test]
fn validity_period_is_clamped_to_twilio_range() {
    assert_eq!(validity_period(0), 1);
    assert_eq!(validity_period(1), 1);
    assert_eq!(validity_period(300), 300);
    assert_eq!(validity_period(36_000), 36_000);
    assert_eq!(validity_period(36_001), 36_000);
    assert_eq!(validity_period(u64::MAX), 36_000);
}

#[test]
fn messages_url_tolerates_a_trailing_slash() {
    assert_eq!(
        messages_url("https://api.twilio.com/", "ACx"),
        "https://api.twilio.com/2010-04-01/Accounts/ACx/Messages.json"
    );
}
