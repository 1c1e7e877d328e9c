//! The template against a tiny fake "Example SMS" server on 127.0.0.1, through the
//! SDK's conformance kit. Copy this along with the adapter and make the fake speak your
//! provider's API.

use adapter_template::{SIGNATURE_HEADER, TemplateAdapter, sign};
use gateway_sdk::conformance::{ConformanceHarness, Scenario, run_conformance};
use gateway_sdk::{Adapter, CallbackRequest, CreateContext, SendRequest};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SECRET: &str = "webhook-secret";

/// Starts a fake provider that answers every request per `scenario`; returns its URL.
async fn fake_provider(scenario: Scenario) -> String {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let counter = Arc::new(AtomicU64::new(0));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(answer(stream, scenario, counter.clone()));
        }
    });
    url
}

/// Reads one HTTP/1.1 request (headers, then `content-length` bytes) and answers it.
async fn answer(mut stream: TcpStream, scenario: Scenario, counter: Arc<AtomicU64>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let Ok(n) = stream.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(str::to_owned)
                })
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                assert!(
                    text.contains("authorization: Bearer test-key")
                        || text.contains("Authorization: Bearer test-key")
                );
                break;
            }
        }
    }
    let (status, body) = match scenario {
        Scenario::Accept => {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            ("200 OK", format!(r#"{{"id":"ex_{n}"}}"#))
        }
        Scenario::ClientError => (
            "400 Bad Request",
            r#"{"code":"invalid_number","message":"bad number"}"#.to_owned(),
        ),
        Scenario::ServerError => ("503 Service Unavailable", "{}".to_owned()),
        Scenario::Malformed => ("200 OK", "{\"id\": ".to_owned()),
        Scenario::Stall => {
            // Hold the connection open without answering until the client gives up.
            let _ = stream.read(&mut chunk).await;
            return;
        }
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
}

struct Harness;

#[async_trait::async_trait]
impl ConformanceHarness for Harness {
    type Adapter = TemplateAdapter;

    async fn adapter(&self, scenario: Scenario) -> TemplateAdapter {
        let settings = serde_json::json!({
            "base_url": fake_provider(scenario).await,
            "api_key": "test-key",
            "webhook_secret": SECRET,
        });
        let ctx = CreateContext {
            instance: "template".into(),
            data_dir: std::env::temp_dir().to_string_lossy().into_owned(),
            public_url: None,
        };
        TemplateAdapter::create(settings, ctx).expect("valid settings")
    }

    fn request(&self, message_id: &str) -> SendRequest {
        SendRequest {
            message_id: message_id.into(),
            phone: "+15550001111".into(),
            text: "Confirmation code: 4821".into(),
            code: "4821".into(),
            title: None,
            language: "en".into(),
            sender_id: None,
            code_ttl_secs: 300,
            deadline_ms: 0,
            idempotency_key: message_id.into(),
            callback_url: None,
            precheck_ref: None,
            encoding: None,
            segments: None,
        }
    }

    fn callback(&self, valid: bool) -> Option<CallbackRequest> {
        let body = r#"{"id":"ex_1","status":"delivered"}"#;
        let key = if valid { SECRET } else { "forged" };
        Some(CallbackRequest {
            method: "POST".into(),
            url: "http://127.0.0.1/v1/callbacks/template".into(),
            headers: vec![(SIGNATURE_HEADER.into(), sign(key, body))],
            body: body.into(),
            received_at: time::OffsetDateTime::now_utc(),
        })
    }
}

#[tokio::test]
async fn template_passes_the_conformance_kit() {
    run_conformance(&Harness).await;
}
