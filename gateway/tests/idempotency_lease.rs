//! An `Idempotency-Key` whose request died with its process (#14 item 10): the claim
//! carries an owner and a lease on the store's clock, so a retry waits for the lease to
//! run out (on a manual clock: no sleeping out real leases) and then does the work
//! once, instead of being blocked for minutes and refused with `409`.

// Test helpers may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use actix_web::{http::StatusCode, test, web};
use adapter_mock::MockAdapter;
use gateway::adapters::{Adapters, HostContext, InProcess};
use gateway::app::build_app;
use gateway::clock::ManualClock;
use gateway::config::Config;
use gateway::http::idempotency::LEASE_MS;
use gateway::store::{Ns, SqliteStore};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const PHONE: &str = "+79991234567";

struct Harness {
    clock: ManualClock,
    dir: tempfile::TempDir,
    state: gateway::state::AppState,
}

async fn harness(toml: &str) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gateway.toml");
    let key_hash = gateway::auth::hash_key("k");
    std::fs::write(
        &file,
        format!("[[auth.api_keys]]\nname = \"t\"\nhash = \"{key_hash}\"\n[routing]\ndefault_channels = [\"mock\"]\n[[adapters]]\nname = \"mock\"\nlibrary = \"in-process\"\n{toml}"),
    )
    .unwrap();
    let mut cfg = Config::load(Some(&file), Some(Default::default())).unwrap();
    cfg.store.data_dir = dir.path().join("data");
    let clock = ManualClock::at_epoch();
    let store = SqliteStore::open(&cfg.store.data_dir, Duration::from_secs(5)).unwrap();
    let ctx = HostContext {
        data_dir: cfg.store.data_dir.clone(),
        public_url: None,
        reports: None,
    };
    let mock =
        InProcess::<MockAdapter>::create("mock", json!({}), &ctx, Duration::from_secs(5)).unwrap();
    let adapters = Adapters::from_instances(vec![Arc::new(mock)]);
    let state =
        gateway::server::state_with(cfg, Arc::new(clock.clone()), Arc::new(store), adapters)
            .await
            .unwrap();
    Harness { clock, dir, state }
}

impl Harness {
    fn codes(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("data/mock-outbox.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["code"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }
}

#[actix_rt::test]
async fn a_dead_owners_claim_is_taken_over_after_its_lease() {
    let h = harness("").await;
    let app = test::init_service(build_app(web::Data::new(h.state.clone()))).await;
    let location = test::TestRequest::put()
        .uri("/v1/locations/42")
        .insert_header(("authorization", "Bearer k"))
        .set_json(json!({ "location_name": "L", "country": "RU" }))
        .to_request();
    assert_eq!(test::call_service(&app, location).await.status(), 201);

    // A claim left by a process that was killed mid-request, exactly as `run` writes it.
    let body = json!({ "location_id": "42", "phone": PHONE, "code": "4821", "purpose": "login" })
        .to_string();
    let endpoint = "POST /v1/messages";
    let fingerprint = h
        .state
        .secret
        .fingerprint(&[endpoint.as_bytes(), body.as_bytes()]);
    let now = h.state.now_ms();
    let claim = json!({ "fingerprint": fingerprint, "status": null, "body": null, "owner": "pid:4242/dead" });
    let claimed = h
        .state
        .store
        .put_if_absent(
            Ns::Idempotency,
            &format!("t:{endpoint}:order-7"),
            claim.to_string(),
            Some(now + LEASE_MS),
            now,
        )
        .await
        .unwrap();
    assert!(claimed);

    let retry = test::TestRequest::post()
        .uri("/v1/messages")
        .insert_header(("authorization", "Bearer k"))
        .insert_header(("idempotency-key", "order-7"))
        .insert_header(("content-type", "application/json"))
        .set_payload(body.clone())
        .to_request();
    let clock = h.clock.clone();
    let lease_runs_out = async move {
        // Let the retry find the live claim and start waiting, then end the lease.
        actix_rt::time::sleep(Duration::from_millis(300)).await;
        clock.advance(time::Duration::milliseconds(LEASE_MS + 1));
    };
    let (resp, ()) = tokio::join!(test::call_service(&app, retry), lease_runs_out);
    let status = resp.status();
    let answer: Value = serde_json::from_slice(&test::read_body(resp).await).unwrap_or(Value::Null);
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(h.codes(), ["4821"], "sent exactly once");

    // The taken-over answer is remembered: a further retry replays it, sends nothing.
    let again = test::TestRequest::post()
        .uri("/v1/messages")
        .insert_header(("authorization", "Bearer k"))
        .insert_header(("idempotency-key", "order-7"))
        .insert_header(("content-type", "application/json"))
        .set_payload(body)
        .to_request();
    let resp = test::call_service(&app, again).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(resp.headers().get("idempotent-replayed").unwrap(), "true");
    let replayed: Value = serde_json::from_slice(&test::read_body(resp).await).unwrap();
    assert_eq!(replayed["id"], answer["id"]);
    assert_eq!(h.codes(), ["4821"]);
}
