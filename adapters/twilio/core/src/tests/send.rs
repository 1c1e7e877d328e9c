//! Sends through the adapter against the fake Twilio server on 127.0.0.1.

use super::send_request;
use crate::TwilioAdapter;
use fake_providers::twilio::{Behaviour, FAKE_FROM, FakeAccount, FakeTwilio};
use gateway_sdk::{Adapter, AdapterError, CreateContext, DeliveryStatus};
use serde_json::json;

fn ctx() -> CreateContext {
    CreateContext {
        instance: "sms-main".into(),
        data_dir: String::new(),
        public_url: None,
    }
}

fn adapter(settings: serde_json::Value) -> TwilioAdapter {
    TwilioAdapter::create(settings, ctx()).expect("valid settings")
}

#[tokio::test]
async fn accepted_send_has_the_documented_request_shape() {
    let fake = FakeTwilio::start(FakeAccount::default());
    let a = adapter(fake.settings_json());
    let ok = a
        .send(send_request("msg_1", "+79991234567"))
        .await
        .expect("accepted");
    assert!(ok.provider_message_id.starts_with("SM") && ok.provider_message_id.len() == 34);
    assert_eq!(
        (ok.status, ok.segments_billed),
        (DeliveryStatus::Queued, Some(1))
    );

    assert_eq!(fake.violations(), Vec::<String>::new());
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    let account = fake.account();
    assert_eq!(r.method, "POST");
    assert_eq!(
        r.path,
        format!("/2010-04-01/Accounts/{}/Messages.json", account.account_sid)
    );
    assert_eq!(r.auth_user.as_deref(), Some(account.account_sid.as_str()));
    assert_eq!(
        r.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(r.field("To"), Some("+79991234567"));
    assert_eq!(r.field("From"), Some(FAKE_FROM));
    assert_eq!(
        r.field("Body"),
        Some("Confirmation code for Beauty Lab: 4821")
    );
    assert_eq!(
        r.field("StatusCallback"),
        Some("https://gw.example.com/v1/callbacks/sms-main")
    );
    assert_eq!(r.field("ValidityPeriod"), Some("300"));
    assert!(a.health().await.up);
}

#[tokio::test]
async fn api_key_and_messaging_service_are_accepted() {
    let fake = FakeTwilio::start(FakeAccount::default());
    let account = fake.account();
    let (sk, secret) = account.api_key.clone().expect("fake has an API key");
    let a = adapter(json!({
        "account_sid": account.account_sid, "auth_token": account.auth_token,
        "api_key_sid": sk, "api_key_secret": secret,
        "messaging_service_sid": "MG00000000000000000000000000000001",
        "base_url": fake.base_url,
    }));
    let ok = a
        .send(send_request("msg_1", "+79991234567"))
        .await
        .expect("accepted");
    assert_eq!(
        (ok.status, ok.segments_billed),
        (DeliveryStatus::Queued, None)
    );
    assert_eq!(fake.violations(), Vec::<String>::new());
    let r = &fake.requests()[0];
    assert_eq!(r.auth_user.as_deref(), Some(sk.as_str()));
    assert_eq!(
        r.field("MessagingServiceSid"),
        Some("MG00000000000000000000000000000001")
    );
    assert_eq!(r.field("From"), None);
}

#[tokio::test]
async fn each_documented_error_maps_to_its_kind() {
    let fake = FakeTwilio::start(FakeAccount::default());
    let a = adapter(fake.settings_json());
    let cases: [(&str, Behaviour, &str); 11] = [
        ("+15550000001", Behaviour::Error(21211), "rejected"),
        ("+15550000002", Behaviour::Error(21610), "rejected"),
        ("+15550000003", Behaviour::Error(21614), "rejected"),
        ("+15550000004", Behaviour::Error(21408), "unreachable"),
        ("+15550000005", Behaviour::Error(21612), "unreachable"),
        ("+15550000006", Behaviour::Error(20003), "auth"),
        ("+15550000007", Behaviour::Error(20429), "throttled"),
        ("+15550000008", Behaviour::Error(21606), "config"),
        ("+15550000009", Behaviour::ServerError, "transient"),
        ("+15550000010", Behaviour::Malformed, "transient"),
        (
            "+15550000011",
            Behaviour::Throttle {
                retry_after_secs: 3,
            },
            "throttled",
        ),
    ];
    for (phone, behaviour, _) in &cases {
        fake.set_for(phone, *behaviour);
    }
    for (phone, behaviour, expected) in cases {
        let err = a
            .send(send_request("msg_e", phone))
            .await
            .expect_err("refused");
        assert_eq!(err.kind(), expected, "{behaviour:?}: {err}");
        assert!(!err.to_string().contains(phone), "phone leaked: {err}");
        if let Behaviour::Throttle { .. } = behaviour {
            assert!(
                matches!(
                    err,
                    AdapterError::Throttled {
                        retry_after_ms: Some(3_000),
                        ..
                    }
                ),
                "{err:?}"
            );
        }
    }
    assert_eq!(fake.violations(), Vec::<String>::new());
    // The 20003 answer above marked the instance unhealthy; a success clears it.
    a.send(send_request("msg_ok", "+15550000006"))
        .await
        .expect_err("still 20003");
    assert!(!a.health().await.up);
    a.send(send_request("msg_ok", "+15550000099"))
        .await
        .expect("accepted");
    assert!(a.health().await.up);
}

#[tokio::test]
async fn wrong_credentials_are_auth_and_a_recorded_violation() {
    let fake = FakeTwilio::start(FakeAccount::default());
    let mut settings = fake.settings_json();
    settings["auth_token"] = json!("wrong-token");
    let a = adapter(settings);
    let err = a
        .send(send_request("msg_1", "+79991234567"))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), "auth", "{err}");
    assert_eq!(fake.violations().len(), 1);
    assert!(!a.health().await.up);
}

#[tokio::test]
async fn stall_times_out_at_the_request_deadline() {
    let fake = FakeTwilio::start(FakeAccount::default());
    fake.set_default(Behaviour::Stall);
    let a = adapter(fake.settings_json());
    let mut req = send_request("msg_1", "+79991234567");
    req.deadline_ms = 300;
    let outer = tokio::time::timeout(std::time::Duration::from_secs(30), a.send(req)).await;
    let err = outer
        .expect("the adapter's own timeout fires first")
        .expect_err("timed out");
    assert_eq!(err.kind(), "timeout", "{err}");
}

#[tokio::test]
async fn connection_refused_is_transient() {
    let fake = FakeTwilio::start(FakeAccount::default());
    let settings = fake.settings_json();
    drop(fake);
    // Nothing listens on a port we bind and release ourselves.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let mut settings = settings;
    settings["base_url"] = json!(format!("http://127.0.0.1:{port}"));
    let err = adapter(settings)
        .send(send_request("msg_1", "+79991234567"))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), "transient", "{err}");
}

#[tokio::test]
async fn fake_status_callback_round_trips_through_the_adapter() {
    let fake = FakeTwilio::start(FakeAccount::default());
    let a = adapter(fake.settings_json());
    let ok = a
        .send(send_request("msg_1", "+79991234567"))
        .await
        .expect("accepted");
    let req = fake
        .status_callback(&ok.provider_message_id, "failed", Some("30008"))
        .expect("callback")
        .into_request();
    let out = a.parse_callback(&req).expect("valid signature");
    assert_eq!(out.updates[0].provider_message_id, ok.provider_message_id);
    assert_eq!(out.updates[0].status, DeliveryStatus::Failed);
    assert_eq!(out.updates[0].error_code.as_deref(), Some("30008"));
}

#[test]
fn capabilities_are_sms_with_delivery_reports() {
    let fake = FakeTwilio::start(FakeAccount::default());
    let caps = adapter(fake.settings_json()).capabilities();
    assert_eq!(caps.channels, [gateway_sdk::Channel::Sms]);
    assert!(caps.delivery_reports && !caps.reachability_check && !caps.provider_renders_text);
    let mut off = fake.settings_json();
    off["status_callbacks"] = json!(false);
    assert!(!adapter(off).capabilities().delivery_reports);
}

/// Reads one HTTP/1.1 request (head and `Content-Length` body), answers 204.
async fn receive_one(listener: tokio::net::TcpListener) -> (Vec<(String, String)>, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut sock, _) = listener.accept().await.expect("callback connection");
    let mut buf = Vec::new();
    loop {
        let mut chunk = [0u8; 4096];
        let n = sock.read(&mut chunk).await.expect("read");
        assert!(n > 0, "connection closed early");
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let headers: Vec<(String, String)> = head
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                .collect();
            let len: usize = headers
                .iter()
                .find(|(k, _)| k == "content-length")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            if body.len() >= len {
                sock.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                    .await
                    .expect("answer");
                return (headers, body.to_owned());
            }
        }
    }
}

#[tokio::test]
async fn fake_posts_signed_callbacks_over_http() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let callback_url = format!(
        "http://{}/v1/callbacks/sms-main",
        listener.local_addr().expect("addr")
    );
    let receiver = tokio::spawn(receive_one(listener));
    let fake = FakeTwilio::start(FakeAccount::default());
    let a = adapter(fake.settings_json());
    let mut req = send_request("msg_1", "+79991234567");
    req.callback_url = Some(callback_url.clone());
    let ok = a.send(req).await.expect("accepted");
    let status = fake
        .post_status_callback(&ok.provider_message_id, "delivered", None)
        .await
        .expect("posted");
    assert_eq!(status, 204);
    let (headers, body) = receiver.await.expect("receiver");
    let received = gateway_sdk::CallbackRequest {
        method: "POST".into(),
        url: callback_url,
        headers,
        body,
        received_at: time::OffsetDateTime::now_utc(),
    };
    let out = a.parse_callback(&received).expect("signature verifies");
    assert_eq!(out.updates[0].status, DeliveryStatus::Delivered);
    assert_eq!(out.updates[0].provider_message_id, ok.provider_message_id);
}
