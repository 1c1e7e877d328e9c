//! The three real provider adapters end to end: the gateway process loads
//! `libadapter_{telegram,whatsapp,twilio}.so` and talks to the providers' fakes on
//! 127.0.0.1; the fakes' signed delivery reports go to `/v1/callbacks/{instance}` over
//! HTTP, at the URL the gateway handed out. Every test ends by asserting that no fake saw
//! a request the real provider would have refused.

mod example;
pub(crate) mod support;

use fake_providers::telegram::{Behaviour as TgBehaviour, SignedReport};
use fake_providers::twilio::{FakeAccount as TwilioAccount, signed_status_callback};
use fake_providers::whatsapp::{Behaviour as WaBehaviour, SignedWebhook, status_notification};
use fake_providers::{TELEGRAM_TOKEN, WHATSAPP_VERIFY_TOKEN};
use serde_json::json;
use support::{
    Fakes, attempts, last_history, location, message, now, refused, report, send, unknown,
};

#[test]
fn libraries_load_and_whatsapp_webhook_handshake() {
    let dir = tempfile::tempdir().unwrap();
    let fakes = Fakes::start();
    let gw = fakes.gateway(dir.path());
    let list = gw.get("/v1/adapters");
    assert_eq!(list.status, 200, "{}", list.text);
    for (name, kind, channel) in [
        ("telegram", "telegram", "telegram"),
        ("whatsapp", "whatsapp", "whatsapp"),
        ("sms", "twilio", "sms"),
    ] {
        let a = list.json["adapters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap_or_else(|| panic!("{name} is not listed: {}", list.text));
        assert_eq!(a["kind"], kind, "{a}");
        assert_eq!(a["abi_version"], 1, "{a}");
        // Each library reports the SDK it was built with (this repository's).
        let sdk = fake_providers::gateway_sdk_version();
        assert_eq!(a["sdk_version"], sdk, "{a}");
        assert_eq!(a["channels"], json!([channel]), "{a}");
        assert_eq!(a["health"]["up"], true, "{a}");
        assert_eq!(a["capabilities"]["delivery_reports"], true, "{a}");
        let lib = format!("libadapter_{kind}.so");
        assert!(a["library"].as_str().unwrap().ends_with(&lib), "{a}");
    }

    let hub = |token: &str| {
        format!(
            "/v1/callbacks/whatsapp?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={token}"
        )
    };
    let ok = gw.call("GET", &hub(WHATSAPP_VERIFY_TOKEN), None, None);
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.text, "1158201444");
    assert!(ok.header("content-type").unwrap().starts_with("text/plain"));
    let bad = gw.call("GET", &hub("not-the-token"), None, None);
    bad.problem(401, "invalid_signature");
    assert!(!bad.text.contains("1158201444"));
    fakes.assert_no_violations();
}

#[test]
fn telegram_unreachable_whatsapp_failing_falls_back_to_sms_with_reports() {
    let dir = tempfile::tempdir().unwrap();
    let fakes = Fakes::start();
    let gw = fakes.gateway(dir.path());
    location(&gw);
    let phone = "+79991234567";
    fakes
        .telegram
        .set_phone_behaviour(phone, TgBehaviour::not_on_telegram());
    fakes.whatsapp.set_phone_behaviour(
        phone,
        WaBehaviour::fail(500, 131000, "Something went wrong"),
    );

    let sent = send(&gw, phone);
    assert_eq!(sent["adapter"], "sms", "{sent}");
    assert_eq!(sent["channel"], "sms");
    let expected = vec![
        ("telegram".to_owned(), "unreachable".to_owned()),
        ("whatsapp".to_owned(), "transient".to_owned()),
        ("sms".to_owned(), "sent".to_owned()),
    ];
    assert_eq!(attempts(&sent), expected, "{sent}");
    let id = sent["id"].as_str().unwrap();
    let record = message(&gw, id);
    assert_eq!(attempts(&record), expected, "{record}");
    // Twilio queues what it accepts.
    assert_eq!(record["status"], "queued", "{record}");

    // Telegram was only asked whether the phone is reachable; WhatsApp was tried once.
    let tg: Vec<String> = fakes
        .telegram
        .requests()
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(tg, ["/checkSendAbility"]);
    assert_eq!(fakes.whatsapp.requests().len(), 1);
    let accepted = fakes.twilio.accepted();
    assert_eq!(accepted.len(), 1);
    assert_eq!(record["provider_message_id"], accepted[0].sid.as_str());
    let callback_url = format!("{}/v1/callbacks/sms", gw.base);
    assert_eq!(
        accepted[0].status_callback.as_deref(),
        Some(callback_url.as_str())
    );

    let history_len = record["history"].as_array().unwrap().len();
    for status in ["sent", "delivered"] {
        let cb = fakes
            .twilio
            .status_callback(&accepted[0].sid, status, None)
            .unwrap();
        report(&gw, &cb.url, &cb.headers, cb.body);
        let record = message(&gw, id);
        assert_eq!(record["status"], status, "{record}");
        assert_eq!(last_history(&record), ("sms".into(), status.into()));
    }
    let record = message(&gw, id);
    assert_eq!(record["history"].as_array().unwrap().len(), history_len + 2);
    assert!(!gw.log().contains(phone), "the log contains the full phone");
    fakes.assert_no_violations();
}

#[test]
fn telegram_and_whatsapp_reports_out_of_order_forged_and_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let fakes = Fakes::start();
    let gw = fakes.gateway(dir.path());
    location(&gw);

    // Telegram reaches this phone: its reports arrive delivered first, then sent.
    let tg_phone = "+79991112233";
    let tg = send(&gw, tg_phone);
    assert_eq!(attempts(&tg), [("telegram".into(), "sent".into())], "{tg}");
    let tg_id = tg["id"].as_str().unwrap();
    let request_id = tg["provider_message_id"].as_str().unwrap();
    let delivered = fakes
        .telegram
        .report(request_id, "delivered", now())
        .unwrap();
    let tg_url = delivered.url.clone().unwrap();
    assert_eq!(tg_url, format!("{}/v1/callbacks/telegram", gw.base));
    report(&gw, &tg_url, &delivered.headers, delivered.body.clone());
    let late = fakes
        .telegram
        .report(request_id, "sent", now() - 1)
        .unwrap();
    report(&gw, &tg_url, &late.headers, late.body);
    let record = message(&gw, tg_id);
    assert_eq!(record["status"], "delivered", "{record}");
    assert_eq!(last_history(&record), ("telegram".into(), "sent".into()));
    // Forged: a signed body altered in transit.
    let forged = delivered.body.replace("\"delivered\"", "\"read\"");
    assert_ne!(forged, delivered.body);
    refused(&gw, tg_id, &tg_url, &delivered.headers, forged);
    let ghost = json!({
        "request_id": "tgreq_999999", "phone_number": tg_phone, "request_cost": 0.01,
        "delivery_status": { "status": "delivered", "updated_at": now() },
    });
    let ghost = SignedReport::sign(TELEGRAM_TOKEN, now(), &ghost);
    unknown(&gw, &tg_url, &ghost.headers, ghost.body);

    // Not on Telegram, so WhatsApp carries it.
    let wa_phone = "+79993334455";
    fakes
        .telegram
        .set_phone_behaviour(wa_phone, TgBehaviour::not_on_telegram());
    let wa = send(&gw, wa_phone);
    let expected = [
        ("telegram".into(), "unreachable".into()),
        ("whatsapp".into(), "sent".into()),
    ];
    assert_eq!(attempts(&wa), expected, "{wa}");
    let wa_id = wa["id"].as_str().unwrap();
    let wamid = wa["provider_message_id"].as_str().unwrap();
    let wa_url = format!("{}/v1/callbacks/whatsapp", gw.base);
    let hook = fakes
        .whatsapp
        .status_webhook(wamid, "delivered", now(), None)
        .unwrap();
    report(&gw, &wa_url, &hook.headers, hook.body.clone());
    let record = message(&gw, wa_id);
    assert_eq!(record["status"], "delivered", "{record}");
    assert_eq!(
        last_history(&record),
        ("whatsapp".into(), "delivered".into())
    );
    let forged = hook.body.replace("\"delivered\"", "\"read\"");
    refused(&gw, wa_id, &wa_url, &hook.headers, forged);
    let app_secret = &fakes.whatsapp.account.app_secret;
    let pnid = &fakes.whatsapp.account.phone_number_id;
    let body = status_notification(pnid, wamid, wa_phone, "read", now(), None);
    let wrong_key = SignedWebhook::sign("not-the-app-secret", body);
    refused(&gw, wa_id, &wa_url, &wrong_key.headers, wrong_key.body);
    let body = status_notification(pnid, "wamid.NEVERSENT", wa_phone, "read", now(), None);
    let ghost = SignedWebhook::sign(app_secret, body);
    unknown(&gw, &wa_url, &ghost.headers, ghost.body);

    // Twilio: a forged callback for a real message, and a signed one for an unknown sid.
    let sms_phone = "+79995556677";
    fakes
        .telegram
        .set_phone_behaviour(sms_phone, TgBehaviour::not_on_telegram());
    fakes
        .whatsapp
        .set_phone_behaviour(sms_phone, WaBehaviour::not_on_whatsapp());
    let sms = send(&gw, sms_phone);
    assert_eq!(
        attempts(&sms)[1],
        ("whatsapp".into(), "unreachable".into()),
        "{sms}"
    );
    let sms_id = sms["id"].as_str().unwrap();
    let sid = sms["provider_message_id"].as_str().unwrap();
    let cb = fakes
        .twilio
        .status_callback(sid, "delivered", None)
        .unwrap();
    let forged = cb
        .body
        .replace("MessageStatus=delivered", "MessageStatus=read");
    assert_ne!(forged, cb.body);
    refused(&gw, sms_id, &cb.url, &cb.headers, forged);
    let token = TwilioAccount::default().auth_token;
    let params = [
        ("MessageSid", "SM00000000000000000000000000000000"),
        ("MessageStatus", "delivered"),
    ];
    let (headers, body) = signed_status_callback(&cb.url, &token, &params);
    unknown(&gw, &cb.url, &headers, body);
    // None of this moved the SMS.
    assert_eq!(message(&gw, sms_id)["status"], "queued");
    fakes.assert_no_violations();
}

/// #14 item 5: a 9-digit or alphanumeric code made the gateway call Telegram's
/// `checkSendAbility`, which Telegram charges for, before the adapter refused the code.
/// Telegram declares the codes it carries, and the gateway skips it first.
#[test]
fn a_code_telegram_cannot_carry_costs_no_paid_precheck() {
    let dir = tempfile::tempdir().unwrap();
    let fakes = Fakes::start();
    let gw = fakes.gateway(dir.path());
    location(&gw);
    let adapters = gw.get("/v1/adapters");
    let tg = adapters.json["adapters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "telegram")
        .unwrap()
        .clone();
    assert_eq!(
        tg["capabilities"]["codes"],
        json!({"min_len": 4, "max_len": 8, "digits_only": true})
    );
    for (code, phone) in [("123456789", "+79991234567"), ("AB12CD", "+79991234568")] {
        let r = gw.post(
            "/v1/messages",
            &json!({ "location_id": "42", "phone": phone, "code": code, "purpose": "login" }),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(
            attempts(&r.json)[0],
            ("telegram".into(), "unreachable".into()),
            "{}",
            r.text
        );
        assert!(
            r.json["attempts"][0]["error"]
                .as_str()
                .is_some_and(|e| e.contains("codes of 4-8 digits")),
            "{}",
            r.text
        );
        assert_eq!(r.json["adapter"], "whatsapp", "{}", r.text);
    }
    assert!(
        fakes.telegram.requests().is_empty(),
        "Telegram was called for codes it cannot carry: {:?}",
        fakes
            .telegram
            .requests()
            .into_iter()
            .map(|r| r.path)
            .collect::<Vec<_>>()
    );
    // A code it carries still goes through Telegram, pre-check first.
    let sent = send(&gw, "+79991234569");
    assert_eq!(sent["adapter"], "telegram", "{sent}");
    let paths: Vec<String> = fakes
        .telegram
        .requests()
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(paths[0], "/checkSendAbility", "{paths:?}");
    fakes.assert_no_violations();
}
