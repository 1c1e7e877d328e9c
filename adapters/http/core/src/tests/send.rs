//! Sends against the fake receiver on 127.0.0.1, which verifies each signature with the
//! Standard Webhooks library and checks the body against the contract.

use super::{send_request, settings};
use crate::HttpAdapter;
use fake_providers::http_receiver::{Behaviour, FAKE_SECRET, FakeReceiver};
use gateway_sdk::{Adapter, AdapterError, DeliveryStatus};
use std::sync::Arc;
use std::time::Duration;

fn adapter(url: &str) -> HttpAdapter {
    HttpAdapter::create(settings(url), gateway_sdk::test_util::context("http")).unwrap()
}

#[tokio::test]
async fn an_accepted_message_is_signed_and_follows_the_contract() {
    let fake = FakeReceiver::start(FAKE_SECRET);
    let a = adapter(&fake.url);
    let ok = a.send(send_request("msg_1", "+79991234567")).await.unwrap();
    assert_eq!(ok.provider_message_id, "hr_1");
    assert_eq!(ok.status, DeliveryStatus::Queued);
    assert_eq!(fake.violations(), Vec::<String>::new());
    let received = fake.requests();
    assert_eq!(received.len(), 1);
    assert!(
        received[0].signed,
        "the specification's library verified it"
    );
    assert_eq!(received[0].header("webhook-id"), Some("msg_1"));
    assert!(
        received[0]
            .header("user-agent")
            .is_some_and(|ua| ua.starts_with("confirmation-gateway-adapter-"))
    );
    assert_eq!(received[0].body["to"], "+79991234567");
    assert_eq!(received[0].body["code"], "4821");
    let accepted = fake.accepted();
    assert_eq!(
        accepted[0].callback_url.as_deref(),
        Some("https://gw.example/v1/callbacks/http")
    );
    assert!(a.health().await.up);
}

#[tokio::test]
async fn refusals_map_to_kinds_and_health() {
    let fake = FakeReceiver::start(FAKE_SECRET);
    let a = adapter(&fake.url);
    let phone = "+79991230001";
    let answer = |status, kind: Option<&str>, retry_after| Behaviour::Answer {
        status,
        kind: kind.map(str::to_owned),
        retry_after,
    };
    fake.set_phone_behaviour(phone, answer(429, None, Some(7)));
    match a.send(send_request("msg_t", phone)).await {
        Err(AdapterError::Throttled { retry_after_ms, .. }) => {
            assert_eq!(retry_after_ms, Some(7_000))
        }
        other => panic!("{other:?}"),
    }
    fake.set_phone_behaviour(phone, answer(400, Some("unreachable"), None));
    let e = a.send(send_request("msg_u", phone)).await.unwrap_err();
    assert_eq!(e.kind(), "unreachable");
    assert!(!e.to_string().contains("4821"), "{e}");
    fake.set_phone_behaviour(phone, answer(402, None, None));
    assert_eq!(
        a.send(send_request("msg_a", phone))
            .await
            .unwrap_err()
            .kind(),
        "account"
    );
    assert!(
        !a.health().await.up,
        "an account problem marks the instance down"
    );
    fake.set_phone_behaviour(phone, Behaviour::Accept);
    a.send(send_request("msg_ok", phone)).await.unwrap();
    assert!(a.health().await.up, "a success clears it");
    assert_eq!(fake.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn the_receiver_refuses_a_wrong_secret_and_a_stale_timestamp() {
    let fake = FakeReceiver::start(FAKE_SECRET);
    let wrong = HttpAdapter::create(
        serde_json::json!({ "url": fake.url, "signing_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }),
        gateway_sdk::test_util::context("http"),
    )
    .unwrap();
    let e = wrong
        .send(send_request("msg_w", "+79991234567"))
        .await
        .unwrap_err();
    assert!(matches!(e, AdapterError::Auth { .. }), "{e:?}");
    assert!(!wrong.health().await.up);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let stale = adapter(&fake.url).with_clock(Arc::new(move || now - 600));
    let e = stale
        .send(send_request("msg_s", "+79991234567"))
        .await
        .unwrap_err();
    assert!(matches!(e, AdapterError::Auth { .. }), "{e:?}");
    assert_eq!(fake.refused_signatures(), 2);
    assert!(fake.accepted().is_empty());
}

#[tokio::test]
async fn transport_failures() {
    let fake = FakeReceiver::start(FAKE_SECRET);
    fake.set_default(Behaviour::Stall(Duration::from_secs(5)));
    let mut req = send_request("msg_stall", "+79991234567");
    req.deadline_ms = 200;
    let e = adapter(&fake.url).send(req).await.unwrap_err();
    assert!(matches!(e, AdapterError::Timeout { .. }), "{e:?}");
    // Nothing listens on a port just released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = adapter(&format!("http://127.0.0.1:{port}/sms"))
        .send(send_request("msg_down", "+79991234567"))
        .await
        .unwrap_err();
    assert!(matches!(e, AdapterError::Transient { .. }), "{e:?}");
    assert!(
        !e.to_string().contains("127.0.0.1"),
        "the URL is left out: {e}"
    );
}
