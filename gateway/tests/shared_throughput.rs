//! `limits.throughput_scope = "cluster"` through the whole HTTP app: two gateway states
//! (two instances) on one real `redis-server` share one provider budget, on a manual
//! clock (no sleeps: the test moves time).

// Test helpers may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use actix_web::{test, web};
use gateway::app::build_app;
use gateway::clock::ManualClock;
use serde_json::{Value, json};

#[path = "support/redis.rs"]
mod redis;
use redis::{Redis, redis};
#[path = "support/replica.rs"]
mod replica;
use replica::replica;

async fn instance(
    redis: &Redis,
    clock: &ManualClock,
    dir: &std::path::Path,
) -> gateway::state::AppState {
    replica(
        redis,
        clock,
        dir,
        "[routing]\ndefault_channels = [\"mock\"]\n\
         [[adapters]]\nname = \"mock\"\nlibrary = \"in-process\"\nthroughput = { per_second = 1, burst = 2 }\n\
         [limits]\nthroughput_scope = \"cluster\"\nthroughput_wait = \"0s\"\nresend_cooldown = \"1ms\"\n\
         [verification]\nsecret = \"shared-throughput-test-secret\"\n",
        &[("mock", json!({}))],
    )
    .await
}

#[actix_rt::test]
async fn two_instances_share_one_provider_budget() {
    let redis = redis();
    let clock = ManualClock::at_epoch();
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = test::init_service(build_app(web::Data::new(
        instance(&redis, &clock, da.path()).await,
    )))
    .await;
    let b = test::init_service(build_app(web::Data::new(
        instance(&redis, &clock, db.path()).await,
    )))
    .await;
    let req = |method: &str, path: &str, body: Value| {
        test::TestRequest::default()
            .method(method.parse().unwrap())
            .uri(path)
            .insert_header(("authorization", "Bearer k"))
            .set_json(body)
            .to_request()
    };
    let loc = json!({ "location_name": "L", "country": "RU" });
    let r = test::call_service(&a, req("PUT", "/v1/locations/42", loc)).await;
    assert_eq!(r.status(), 201);
    let mut n = 0;
    let mut send = |app_is_a: bool| {
        n += 1;
        let body = json!({ "location_id": "42", "phone": format!("+7999000{n:04}"), "code": "1234", "purpose": "login" });
        let r = req("POST", "/v1/messages", body);
        let (a, b) = (&a, &b);
        async move {
            let resp = if app_is_a {
                test::call_service(a, r).await
            } else {
                test::call_service(b, r).await
            };
            let status = resp.status().as_u16();
            let v: Value = serde_json::from_slice(&test::read_body(resp).await).unwrap();
            (status, v["code"].as_str().unwrap_or_default().to_owned())
        }
    };
    // Burst 2 for both instances together, then one per second.
    assert_eq!(send(true).await.0, 201);
    assert_eq!(send(false).await.0, 201);
    assert_eq!(send(true).await, (503, "provider_throttled".into()));
    assert_eq!(send(false).await, (503, "provider_throttled".into()));
    clock.advance_secs(1);
    assert_eq!(send(false).await.0, 201);
    assert_eq!(send(true).await, (503, "provider_throttled".into()));
}
