//! The flows' time logic through the whole HTTP app, in process, on a manual clock:
//! code expiry, the resend cooldown boundary, token expiry and the store-backed
//! quotas' windows. No sleeps: the test moves time.

// Test helpers may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use actix_web::{http::StatusCode, test, web};
use adapter_mock::MockAdapter;
use gateway::adapters::{Adapters, HostContext, InProcess};
use gateway::app::build_app;
use gateway::clock::ManualClock;
use gateway::config::Config;
use gateway::store::SqliteStore;
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

async fn call(
    app: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
    >,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value, Option<String>) {
    let mut req = test::TestRequest::default()
        .method(method.parse().unwrap())
        .uri(path)
        .insert_header(("authorization", "Bearer k"));
    if let Some(b) = body {
        req = req.set_json(b);
    }
    let resp = test::call_service(app, req.to_request()).await;
    let status = resp.status();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = test::read_body(resp).await;
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        retry,
    )
}

#[actix_rt::test]
async fn expiry_cooldown_and_token_lifetime_follow_the_clock() {
    let h = harness("[verification]\nttl = \"10m\"\ntoken_ttl = \"15m\"\n").await;
    let app = test::init_service(build_app(web::Data::new(h.state.clone()))).await;
    let (s, _, _) = call(
        &app,
        "PUT",
        "/v1/locations/42",
        Some(json!({ "location_name": "L", "country": "RU" })),
    )
    .await;
    assert_eq!(s, 201);
    let start = json!({ "location_id": "42", "phone": PHONE, "purpose": "login" });
    let (s, v, _) = call(&app, "POST", "/v1/verifications", Some(start.clone())).await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    assert_eq!(v["expires_at"], "2026-01-01T00:10:00Z");
    assert_eq!(v["resend_available_at"], "2026-01-01T00:01:00Z");

    // The cooldown boundary: 59 s is too soon (Retry-After 1), 60 s is fine.
    h.clock.advance_secs(59);
    let (s, p, retry) = call(&app, "POST", "/v1/verifications", Some(start.clone())).await;
    assert_eq!(
        (s.as_u16(), p["code"].as_str().unwrap()),
        (429, "resend_cooldown")
    );
    assert_eq!(retry.as_deref(), Some("1"));
    h.clock.advance_secs(1);
    let (s, v, _) = call(&app, "POST", "/v1/verifications", Some(start.clone())).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["id"], id.as_str());
    let codes = h.codes();
    assert_eq!(codes.len(), 2);
    assert_eq!(codes[0], codes[1]);

    // One second before expiry the code still works for a wrong guess...
    h.clock.advance_secs(600 - 60 - 1);
    let (s, v, _) = call(
        &app,
        "POST",
        &format!("/v1/verifications/{id}/check"),
        Some(json!({ "code": "0000" })),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    // ...and at expiry it is gone: 410, whatever the code.
    h.clock.advance_secs(1);
    let (s, p, _) = call(
        &app,
        "POST",
        &format!("/v1/verifications/{id}/check"),
        Some(json!({ "code": codes[0] })),
    )
    .await;
    assert_eq!(
        (s.as_u16(), p["code"].as_str().unwrap()),
        (410, "verification_expired")
    );
    let (_, v, _) = call(&app, "GET", &format!("/v1/verifications/{id}"), None).await;
    assert_eq!(v["status"], "expired");

    // A new verification after expiry; approve it and watch the token expire.
    let (s, v, _) = call(&app, "POST", "/v1/verifications", Some(start)).await;
    assert_eq!(s, 201, "{v}");
    let id2 = v["id"].as_str().unwrap().to_owned();
    assert_ne!(id2, id);
    let code = h.codes().pop().unwrap();
    let (_, ok, _) = call(
        &app,
        "POST",
        &format!("/v1/verifications/{id2}/check"),
        Some(json!({ "code": code })),
    )
    .await;
    let token = ok["token"].as_str().unwrap().to_owned();
    h.clock.advance_secs(15 * 60 - 1);
    let (_, t, _) = call(
        &app,
        "POST",
        "/v1/tokens/introspect",
        Some(json!({ "token": token })),
    )
    .await;
    assert_eq!(t["active"], true);
    h.clock.advance_secs(1);
    let (_, t, _) = call(
        &app,
        "POST",
        "/v1/tokens/introspect",
        Some(json!({ "token": token })),
    )
    .await;
    assert_eq!(t, json!({ "active": false, "reason": "expired" }));
}

#[actix_rt::test]
async fn hourly_phone_quota_rolls_over_and_refusals_send_nothing() {
    let h = harness("[limits]\nresend_cooldown = \"1s\"\nphone_per_hour = 2\n").await;
    let app = test::init_service(build_app(web::Data::new(h.state.clone()))).await;
    call(
        &app,
        "PUT",
        "/v1/locations/42",
        Some(json!({ "location_name": "L" })),
    )
    .await;
    let msg = json!({ "location_id": "42", "phone": PHONE, "code": "4821", "purpose": "login" });
    for _ in 0..2 {
        let (s, v, _) = call(&app, "POST", "/v1/messages", Some(msg.clone())).await;
        assert_eq!(s, 201, "{v}");
        h.clock.advance_secs(10);
    }
    let (s, p, retry) = call(&app, "POST", "/v1/messages", Some(msg.clone())).await;
    assert_eq!(
        (s.as_u16(), p["code"].as_str().unwrap()),
        (429, "phone_hourly_limit")
    );
    // The first send leaves the window 3600 s after it happened (20 s ago).
    assert_eq!(retry.as_deref(), Some("3580"));
    assert_eq!(h.codes().len(), 2);
    h.clock.advance_secs(3580);
    let (s, v, _) = call(&app, "POST", "/v1/messages", Some(msg)).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(h.codes().len(), 3);
}

#[actix_rt::test]
async fn concurrent_starts_for_one_phone_make_one_verification_and_send_once() {
    let h = harness("").await;
    let app = test::init_service(build_app(web::Data::new(h.state.clone()))).await;
    let (s, _, _) = call(
        &app,
        "PUT",
        "/v1/locations/42",
        Some(json!({ "location_name": "L", "country": "RU" })),
    )
    .await;
    assert_eq!(s, 201);
    let start = || {
        call(
            &app,
            "POST",
            "/v1/verifications",
            Some(json!({ "location_id": "42", "phone": PHONE, "purpose": "login" })),
        )
    };
    let (a, b, c, d, e, f) = tokio::join!(start(), start(), start(), start(), start(), start());
    let answers = [a, b, c, d, e, f];
    let created: Vec<&Value> = answers
        .iter()
        .filter(|(s, _, _)| *s == StatusCode::CREATED)
        .map(|(_, v, _)| v)
        .collect();
    assert_eq!(created.len(), 1, "exactly one start creates: {answers:?}");
    for (s, v, _) in &answers {
        match s.as_u16() {
            201 => {}
            // Lost the claim race, or found the new verification within the cooldown.
            409 => assert_eq!(v["code"], "verification_in_progress", "{v}"),
            429 => assert_eq!(v["code"], "resend_cooldown", "{v}"),
            other => panic!("unexpected {other}: {v}"),
        }
    }
    assert_eq!(h.codes().len(), 1, "one code sent");
    // The one verification is pending and can be checked with that code.
    let id = created[0]["id"].as_str().unwrap();
    let code = h.codes().remove(0);
    let (s, v, _) = call(
        &app,
        "POST",
        &format!("/v1/verifications/{id}/check"),
        Some(json!({ "code": code })),
    )
    .await;
    assert_eq!(
        (s.as_u16(), v["status"].as_str()),
        (200, Some("approved")),
        "{v}"
    );
}
