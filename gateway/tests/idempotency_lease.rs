//! An `Idempotency-Key` whose request died with its process (#14 item 10): the claim
//! carries an owner and a lease on the store's clock, so a retry waits for the lease to
//! run out (on a manual clock: no sleeping out real leases) and then does the work
//! once, instead of being blocked for minutes and refused with `409`.

// Test helpers may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

#[path = "support/harness.rs"]
mod harness;
use harness::harness;

use actix_web::{http::StatusCode, test, web};
use gateway::app::build_app;
use gateway::http::idempotency::LEASE_MS;
use gateway::store::Ns;
use serde_json::{Value, json};
use std::time::Duration;

const PHONE: &str = "+79991234567";

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
