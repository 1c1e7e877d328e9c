//! Webhooks: handshake, signatures and status mapping.

use super::{VERIFY_TOKEN, adapter_for, send_request};
use crate::callback::sign;
use fake_providers::whatsapp::{
    FakeAccount, FakeWhatsApp, SignedWebhook, handshake_request, status_notification,
};
use gateway_sdk::{Adapter, CallbackError, CallbackReply, DeliveryStatus};
use time::OffsetDateTime;

const AT: i64 = 1_750_000_000;

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(AT + 5).expect("valid time")
}

#[test]
fn signature_matches_meta_recipe() {
    // HMAC-SHA256("secret", "body") computed with Python's hmac module.
    assert_eq!(
        sign("secret", "body"),
        "sha256=dc46983557fea127b43af721467eb9b3fde2338fe3e14f51952aa8478c13d355"
    );
}

#[tokio::test]
async fn handshake_echoes_the_challenge_only_with_the_right_token() {
    let fake = FakeWhatsApp::start(FakeAccount::default());
    let adapter = adapter_for(&fake);
    let outcome = adapter
        .parse_callback(&handshake_request(VERIFY_TOKEN, "1158201444", now()))
        .expect("valid");
    assert!(outcome.updates.is_empty());
    assert_eq!(
        outcome.reply,
        Some(CallbackReply {
            status: 200,
            content_type: "text/plain".into(),
            body: "1158201444".into()
        })
    );
    let wrong = adapter.parse_callback(&handshake_request("guess", "1", now()));
    assert!(
        matches!(wrong, Err(CallbackError::Signature { .. })),
        "{wrong:?}"
    );
    let mut not_subscribe = handshake_request(VERIFY_TOKEN, "1", now());
    not_subscribe.url = not_subscribe.url.replace("subscribe", "unsubscribe");
    assert!(matches!(
        adapter.parse_callback(&not_subscribe),
        Err(CallbackError::Malformed { .. })
    ));
}

#[tokio::test]
async fn status_notifications_become_updates() {
    let fake = FakeWhatsApp::start(FakeAccount::default());
    let adapter = adapter_for(&fake);
    let sent = adapter
        .send(send_request("msg_1", "+79991234567"))
        .await
        .expect("accepted");
    let id = sent.provider_message_id;
    for (status, expected) in [
        ("sent", DeliveryStatus::Sent),
        ("delivered", DeliveryStatus::Delivered),
        ("read", DeliveryStatus::Read),
    ] {
        let hook = fake
            .status_webhook(&id, status, AT, None)
            .expect("known message");
        let outcome = adapter
            .parse_callback(&hook.to_callback_request(now()))
            .expect("valid");
        assert_eq!(outcome.updates.len(), 1, "{status}");
        let u = &outcome.updates[0];
        assert_eq!(
            (u.provider_message_id.as_str(), u.status),
            (id.as_str(), expected)
        );
        assert_eq!(u.at, OffsetDateTime::from_unix_timestamp(AT).ok());
        assert!(outcome.reply.is_none());
    }
    let hook = fake
        .status_webhook(&id, "failed", AT, Some((131026, "Message undeliverable")))
        .expect("known");
    let u = &adapter
        .parse_callback(&hook.to_callback_request(now()))
        .expect("valid")
        .updates[0];
    assert_eq!(u.status, DeliveryStatus::Undelivered);
    assert_eq!(u.error_code.as_deref(), Some("131026"));
    assert_eq!(u.detail.as_deref(), Some("Message undeliverable"));
    let hook = fake
        .status_webhook(&id, "failed", AT, Some((131000, "Something went wrong")))
        .expect("known");
    let u = &adapter
        .parse_callback(&hook.to_callback_request(now()))
        .expect("valid")
        .updates[0];
    assert_eq!(u.status, DeliveryStatus::Failed);
    assert!(
        fake.status_webhook("wamid.unknown", "read", AT, None)
            .is_none()
    );
}

#[test]
fn inbound_messages_and_unknown_fields_are_ignored() {
    let body = serde_json::json!({
        "object": "whatsapp_business_account", "brand_new_field": 1,
        "entry": [{ "id": "1", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp", "contacts": [{ "wa_id": "79991234567" }],
            "messages": [{ "from": "79991234567", "id": "wamid.IN", "type": "text", "text": { "body": "hi" } }]
        }}]}]
    })
    .to_string();
    let fake_secret = FakeAccount::default().app_secret;
    let adapter = crate::WhatsAppAdapter::create(
        serde_json::json!({
            "access_token": "t", "app_secret": fake_secret, "verify_token": "v",
            "phone_number_id": "1", "template_name": "otp_code"
        }),
        super::ctx(),
    )
    .expect("valid");
    let hook = SignedWebhook::sign(&fake_secret, body);
    assert!(
        adapter
            .parse_callback(&hook.to_callback_request(now()))
            .expect("valid")
            .updates
            .is_empty()
    );
    let deleted = SignedWebhook::sign(
        &fake_secret,
        status_notification("1", "wamid.X", "7999", "deleted", AT, None),
    );
    assert!(
        adapter
            .parse_callback(&deleted.to_callback_request(now()))
            .expect("valid")
            .updates
            .is_empty()
    );
}

#[test]
fn bad_or_missing_signatures_are_refused_and_garbage_is_malformed() {
    let secret = FakeAccount::default().app_secret;
    let adapter = crate::WhatsAppAdapter::create(
        serde_json::json!({
            "access_token": "t", "app_secret": secret, "verify_token": "v",
            "phone_number_id": "1", "template_name": "otp_code"
        }),
        super::ctx(),
    )
    .expect("valid");
    let body = status_notification("1", "wamid.X", "7999", "read", AT, None);
    let refused = |hook: &SignedWebhook| {
        matches!(
            adapter.parse_callback(&hook.to_callback_request(now())),
            Err(CallbackError::Signature { .. })
        )
    };
    let mut tampered = SignedWebhook::sign(&secret, body.clone());
    tampered.body = tampered.body.replace("read", "sent");
    assert!(refused(&tampered));
    assert!(refused(&SignedWebhook::sign("other-secret", body.clone())));
    let mut missing = SignedWebhook::sign(&secret, body.clone());
    missing.headers.retain(|(k, _)| k != "x-hub-signature-256");
    assert!(refused(&missing));
    let mut no_prefix = SignedWebhook::sign(&secret, body.clone());
    for (k, v) in &mut no_prefix.headers {
        if k == "x-hub-signature-256" {
            *v = v.trim_start_matches("sha256=").to_owned();
        }
    }
    assert!(refused(&no_prefix));
    let garbage = SignedWebhook::sign(&secret, "not json".into());
    assert!(matches!(
        adapter.parse_callback(&garbage.to_callback_request(now())),
        Err(CallbackError::Malformed { .. })
    ));
    let mut put = SignedWebhook::sign(&secret, body).to_callback_request(now());
    put.method = "PUT".into();
    assert!(matches!(
        adapter.parse_callback(&put),
        Err(CallbackError::Malformed { .. })
    ));
}

#[test]
fn statuses_dated_outside_the_window_are_refused_as_replays() {
    let secret = "app-secret";
    let body = status_notification("1", "wamid.X", "7999", "delivered", AT, None);
    let hook = SignedWebhook::sign(secret, body);
    let parse = |received: i64, max_age: u64| {
        let at = OffsetDateTime::from_unix_timestamp(received).expect("valid time");
        crate::callback::parse(secret, VERIFY_TOKEN, max_age, &hook.to_callback_request(at))
    };
    let fresh = parse(AT + 3600, 86_400).expect("an hour old is inside a day");
    assert_eq!(fresh.updates.len(), 1);
    for received in [AT + 86_401, AT - 86_401] {
        let stale = parse(received, 86_400);
        assert!(
            matches!(&stale, Err(CallbackError::Signature { message }) if message.contains("replay")),
            "{stale:?}"
        );
    }
    assert!(
        parse(AT + 86_401, 7 * 86_400).is_ok(),
        "the window is configurable"
    );
}
