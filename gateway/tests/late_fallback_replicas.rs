//! Late fallback across replicas and restarts: gateway states (instances) on one real
//! `redis-server`, with in-process mocks (`wa` as WhatsApp with delivery reports, then
//! `mock` as SMS), on a manual clock. The fallback is claimed in the message record
//! itself, so it happens once whichever instance gets the failure report, a fresh
//! instance (a restart) cannot do it again, and an instance opens the code another one
//! sealed (the key comes from the shared server secret).

// Test helpers may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

#[path = "support/redis.rs"]
mod redis;
use redis::{Redis, redis};
#[path = "support/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "support/replica.rs"]
mod replica;
use replica::replica;

use actix_web::{test, web};
use gateway::app::build_app;
use gateway::clock::ManualClock;
use gateway::flows::reports::apply_updates;
use gateway::state::AppState;
use gateway_sdk::{DeliveryStatus, StatusUpdate};
use serde_json::{Value, json};

const CODE: &str = "48213579";

/// One instance on `redis`, its data (and the mocks' outboxes) in `dir`.
async fn instance(redis: &Redis, clock: &ManualClock, dir: &std::path::Path) -> AppState {
    let wa_outbox = dir.join("data/wa-outbox.jsonl");
    replica(
        redis,
        clock,
        dir,
        "[routing]\ndefault_channels = [\"mock\"]\n\
         [[adapters]]\nname = \"mock\"\nlibrary = \"in-process\"\n\
         [verification]\nsecret = \"late-fallback-replicas-test-secret\"\n",
        &[
            ("mock", json!({})),
            (
                "wa",
                json!({ "channel": "whatsapp", "delivery_reports": true, "outbox": wa_outbox }),
            ),
        ],
    )
    .await
}

/// The codes an instance's SMS mock sent.
fn sms_codes(dir: &std::path::Path) -> Vec<String> {
    harness::outbox_codes(&dir.join("data/mock-outbox.jsonl"))
}

/// Applies a `wa` report on `state`, waits for the fallbacks it started, counts them.
async fn report(state: &AppState, provider_id: &str, status: DeliveryStatus) -> usize {
    let update = StatusUpdate {
        provider_message_id: provider_id.to_owned(),
        status,
        at: None,
        error_code: None,
        detail: None,
    };
    let done = apply_updates(state, "wa", "wa", &[update], true)
        .await
        .unwrap();
    assert_eq!(done.applied, 1);
    let n = done.fallbacks.len();
    for f in done.fallbacks {
        f.await.unwrap();
    }
    n
}

#[actix_rt::test]
async fn one_fallback_whichever_instance_gets_the_report_and_none_after_a_restart() {
    let redis = redis();
    let clock = ManualClock::at_epoch();
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let a = instance(&redis, &clock, dirs[0].path()).await;
    let b = instance(&redis, &clock, dirs[1].path()).await;
    let app = test::init_service(build_app(web::Data::new(a.clone()))).await;
    let call = |method: &str, path: &str, body: Value| {
        test::TestRequest::default()
            .method(method.parse().unwrap())
            .uri(path)
            .insert_header(("authorization", "Bearer k"))
            .set_json(body)
            .to_request()
    };
    let loc = json!({ "location_name": "L", "country": "RU", "channels": ["wa", "mock"] });
    let r = test::call_service(&app, call("PUT", "/v1/locations/42", loc)).await;
    assert!(r.status().is_success());
    let send = async |phone: &str| -> Value {
        let body = json!({ "location_id": "42", "phone": phone, "code": CODE, "purpose": "login" });
        let r = test::call_service(&app, call("POST", "/v1/messages", body)).await;
        assert_eq!(r.status(), 201);
        serde_json::from_slice(&test::read_body(r).await).unwrap()
    };

    // A sent it; the failure reaches B, which opens A's sealed code and sends it.
    let first = send("+79990000031").await;
    let wamid = first["provider_message_id"].as_str().unwrap().to_owned();
    clock.advance_secs(10);
    assert_eq!(report(&b, &wamid, DeliveryStatus::Failed).await, 1);
    assert_eq!(sms_codes(dirs[1].path()), [CODE]);
    // A, and a fresh instance as after a restart, get later failures: nothing more.
    assert_eq!(report(&a, &wamid, DeliveryStatus::Undelivered).await, 0);
    let c = instance(&redis, &clock, dirs[2].path()).await;
    assert_eq!(report(&c, &wamid, DeliveryStatus::Expired).await, 0);
    assert!(sms_codes(dirs[0].path()).is_empty() && sms_codes(dirs[2].path()).is_empty());
    let id = first["id"].as_str().unwrap();
    let stored = c
        .store
        .get(gateway::store::Ns::Message, id, c.now_ms())
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.contains("late_fallback"), "{stored}");
    assert!(stored.contains("\"adapter\":\"mock\""), "{stored}");

    // Two instances get two different failure reports at once: one claim wins.
    let second = send("+79990000032").await;
    let wamid = second["provider_message_id"].as_str().unwrap().to_owned();
    let (x, y) = tokio::join!(
        report(&a, &wamid, DeliveryStatus::Failed),
        report(&b, &wamid, DeliveryStatus::Undelivered),
    );
    assert_eq!(x + y, 1);
    let all: usize = dirs.iter().map(|d| sms_codes(d.path()).len()).sum();
    assert_eq!(all, 2, "one SMS per message");
}
