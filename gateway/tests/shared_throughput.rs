//! `limits.throughput_scope = "cluster"` through the whole HTTP app: two gateway states
//! (two instances) on one real `redis-server` share one provider budget, on a manual
//! clock (no sleeps: the test moves time).

// Test helpers may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use actix_web::{test, web};
use adapter_mock_core::MockAdapter;
use gateway::adapters::{Adapters, HostContext, InProcess};
use gateway::app::build_app;
use gateway::clock::ManualClock;
use gateway::config::Config;
use gateway::store::RedisStore;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

#[path = "support/redis.rs"]
mod redis;
use redis::{Redis, redis};

async fn instance(
    redis: &Redis,
    clock: &ManualClock,
    dir: &std::path::Path,
) -> gateway::state::AppState {
    let file = dir.join("gateway.toml");
    let key_hash = gateway::auth::hash_key("k");
    std::fs::write(
        &file,
        format!(
            "[[auth.api_keys]]\nname = \"t\"\nhash = \"{key_hash}\"\n[routing]\ndefault_channels = [\"mock\"]\n\
             [[adapters]]\nname = \"mock\"\nlibrary = \"in-process\"\nthroughput = {{ per_second = 1, burst = 2 }}\n\
             [limits]\nthroughput_scope = \"cluster\"\nthroughput_wait = \"0s\"\nresend_cooldown = \"1ms\"\n\
             [store]\nbackend = \"redis\"\n[store.redis]\nurl = \"redis://127.0.0.1:{}\"\n\
             [verification]\nsecret = \"shared-throughput-test-secret\"\n",
            redis.1
        ),
    )
    .unwrap();
    let mut cfg = Config::load(Some(&file), Some(Default::default())).unwrap();
    cfg.store.data_dir = dir.join("data");
    let store = RedisStore::connect(&cfg.store.redis).await.unwrap();
    let ctx = HostContext {
        data_dir: cfg.store.data_dir.clone(),
        public_url: None,
        reports: None,
    };
    let mock =
        InProcess::<MockAdapter>::create("mock", json!({}), &ctx, Duration::from_secs(5)).unwrap();
    let adapters = Adapters::from_instances(vec![Arc::new(mock)]);
    gateway::server::state_with(cfg, Arc::new(clock.clone()), Arc::new(store), adapters)
        .await
        .unwrap()
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
