//! The flows' time logic through the whole HTTP app, in process, on a manual clock:
//! code expiry, the resend cooldown boundary, token expiry and the store-backed
//! quotas' windows. No sleeps: the test moves time.

// Test helpers may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

#[path = "support/harness.rs"]
mod harness;
use harness::{call, harness, location_42};

use actix_web::{http::StatusCode, test, web};
use gateway::app::build_app;
use serde_json::{Value, json};

const PHONE: &str = "+79991234567";

/// A code of the right length that is not `code`.
fn wrong(code: &str) -> String {
    let first = if code.starts_with('1') { '2' } else { '1' };
    format!("{first}{}", &code[1..])
}

#[actix_rt::test]
async fn expiry_cooldown_and_token_lifetime_follow_the_clock() {
    let h = harness("[verification]\nttl = \"10m\"\ntoken_ttl = \"15m\"\n").await;
    let app = test::init_service(build_app(web::Data::new(h.state.clone()))).await;
    location_42(&app).await;
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
        Some(json!({ "code": wrong(&codes[0]) })),
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
    location_42(&app).await;
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

/// `gateway_verifications_total{purpose="login", outcome}` as `/metrics` shows it.
async fn verifications_counted(
    app: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
    >,
    outcome: &str,
) -> u64 {
    let req = test::TestRequest::get().uri("/metrics").to_request();
    let body = test::read_body(test::call_service(app, req).await).await;
    let text = String::from_utf8(body.to_vec()).unwrap();
    text.lines()
        .find(|l| {
            l.starts_with("gateway_verifications_total{")
                && l.contains(&format!("outcome=\"{outcome}\""))
                && l.contains("purpose=\"login\"")
        })
        .map_or(0, |l| l.rsplit(' ').next().unwrap().parse().unwrap())
}

const START: fn() -> Value = || json!({ "location_id": "42", "phone": PHONE, "purpose": "login" });

/// Issue 14, item 7: a check by location, phone and purpose after expiry is `410`, as
/// it is by id (it used to be `404`: the pending pointer expired with the code).
#[actix_rt::test]
async fn a_check_by_phone_after_expiry_is_410_like_by_id() {
    let h = harness("[verification]\nttl = \"10m\"\n").await;
    let app = test::init_service(build_app(web::Data::new(h.state.clone()))).await;
    location_42(&app).await;
    let (s, v, _) = call(&app, "POST", "/v1/verifications", Some(START())).await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let code = h.codes().pop().unwrap();
    let by_phone = |code: &str| json!({ "location_id": "42", "phone": PHONE, "purpose": "login", "code": code });

    h.clock.advance_secs(600);
    for _ in 0..2 {
        let (s, p, _) = call(
            &app,
            "POST",
            "/v1/verifications/check",
            Some(by_phone(&code)),
        )
        .await;
        assert_eq!(
            (s.as_u16(), &p["code"]),
            (410, &json!("verification_expired"))
        );
        let (s, p, _) = call(
            &app,
            "POST",
            &format!("/v1/verifications/{id}/check"),
            Some(json!({ "code": code })),
        )
        .await;
        assert_eq!(
            (s.as_u16(), &p["code"]),
            (410, &json!("verification_expired"))
        );
    }

    // A new start takes the slot; its code is checked by phone as before, and once
    // approved nothing is pending any more (404, as the contract says).
    let (s, v, _) = call(&app, "POST", "/v1/verifications", Some(START())).await;
    assert_eq!(s, 201, "{v}");
    assert_ne!(v["id"], id.as_str());
    let code = h.codes().pop().unwrap();
    let (s, v, _) = call(
        &app,
        "POST",
        "/v1/verifications/check",
        Some(by_phone(&code)),
    )
    .await;
    assert_eq!((s.as_u16(), &v["status"]), (200, &json!("approved")), "{v}");
    let (s, p, _) = call(
        &app,
        "POST",
        "/v1/verifications/check",
        Some(by_phone(&code)),
    )
    .await;
    assert_eq!(
        (s.as_u16(), &p["code"]),
        (404, &json!("verification_not_found"))
    );
}

/// Issue 14, item 6: `failed` and `expired` verifications are counted in
/// `gateway_verifications_total`, once each however often they are seen.
#[actix_rt::test]
async fn failed_and_expired_verifications_are_counted_once() {
    let h = harness("[verification]\nttl = \"10m\"\nmax_check_attempts = 2\n").await;
    let app = test::init_service(build_app(web::Data::new(h.state.clone()))).await;
    location_42(&app).await;

    // Expired, then checked twice and read: one expiry.
    let (s, v, _) = call(&app, "POST", "/v1/verifications", Some(START())).await;
    assert_eq!(s, 201, "{v}");
    let first = v["id"].as_str().unwrap().to_owned();
    let code = h.codes().pop().unwrap();
    h.clock.advance_secs(600);
    assert_eq!(verifications_counted(&app, "expired").await, 0);
    for _ in 0..2 {
        let (s, _, _) = call(
            &app,
            "POST",
            &format!("/v1/verifications/{first}/check"),
            Some(json!({ "code": code })),
        )
        .await;
        assert_eq!(s, 410);
    }
    let (_, v, _) = call(&app, "GET", &format!("/v1/verifications/{first}"), None).await;
    assert_eq!(v["status"], "expired");
    assert_eq!(verifications_counted(&app, "expired").await, 1);

    // Out of attempts, then checked again: one failure.
    let (s, v, _) = call(&app, "POST", "/v1/verifications", Some(START())).await;
    assert_eq!(s, 201, "{v}");
    let second = v["id"].as_str().unwrap().to_owned();
    let code = h.codes().pop().unwrap();
    for expected in [200, 429, 429] {
        let (s, _, _) = call(
            &app,
            "POST",
            &format!("/v1/verifications/{second}/check"),
            Some(json!({ "code": wrong(&code) })),
        )
        .await;
        assert_eq!(s.as_u16(), expected);
    }
    assert_eq!(verifications_counted(&app, "failed").await, 1);

    // Expired untouched: counted when a new start for the phone finds it, and not
    // again when it is read.
    h.clock.advance_secs(60);
    let (s, v, _) = call(&app, "POST", "/v1/verifications", Some(START())).await;
    assert_eq!(s, 201, "{v}");
    let third = v["id"].as_str().unwrap().to_owned();
    h.clock.advance_secs(600);
    let (s, v, _) = call(&app, "POST", "/v1/verifications", Some(START())).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(verifications_counted(&app, "expired").await, 2);
    let (_, v, _) = call(&app, "GET", &format!("/v1/verifications/{third}"), None).await;
    assert_eq!(v["status"], "expired");
    assert_eq!(verifications_counted(&app, "expired").await, 2);
    assert_eq!(verifications_counted(&app, "started").await, 4);
    assert_eq!(verifications_counted(&app, "failed").await, 1);
}

/// Issue 14, item 8: `429 max_check_attempts` says (header and member) when a new
/// verification can start: when the resend cooldown since the last code ends.
#[actix_rt::test]
async fn used_up_checks_say_when_a_new_verification_can_start() {
    let h =
        harness("[verification]\nmax_check_attempts = 2\n[limits]\nresend_cooldown = \"60s\"\n")
            .await;
    let app = test::init_service(build_app(web::Data::new(h.state.clone()))).await;
    location_42(&app).await;
    let (s, v, _) = call(&app, "POST", "/v1/verifications", Some(START())).await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let wrong_code = wrong(&h.codes().pop().unwrap());
    h.clock.advance_secs(10);
    let path = format!("/v1/verifications/{id}/check");
    let check = || call(&app, "POST", &path, Some(json!({ "code": wrong_code })));
    let (s, _, _) = check().await;
    assert_eq!(s, 200);
    let (s, p, retry) = check().await;
    assert_eq!(
        (s.as_u16(), &p["code"]),
        (429, &json!("max_check_attempts"))
    );
    assert_eq!(retry.as_deref(), Some("50"));
    assert_eq!(p["retry_after"], 50);

    // It told the truth: a second early is still the cooldown, then a new one starts.
    h.clock.advance_secs(49);
    let (s, p, retry) = call(&app, "POST", "/v1/verifications", Some(START())).await;
    assert_eq!((s.as_u16(), &p["code"]), (429, &json!("resend_cooldown")));
    assert_eq!(retry.as_deref(), Some("1"));
    // One verification failed; the start the cooldown refused is not a failure.
    assert_eq!(verifications_counted(&app, "failed").await, 1);
    h.clock.advance_secs(1);
    let (s, v, _) = call(&app, "POST", "/v1/verifications", Some(START())).await;
    assert_eq!(s, 201, "{v}");
}

/// Issue 14, item 2: introspection trusts no signature alone. A token naming a
/// verification that was never approved, or living longer than `token_ttl`, is
/// inactive even when signed with the server's own key; a real token stays active
/// for its whole lifetime, also after its verification would have been forgotten.
#[actix_rt::test]
async fn tokens_need_an_approved_verification_and_a_lifetime_within_token_ttl() {
    use gateway::flows::Purpose;
    use gateway::flows::tokens::{Claims, issue};
    let h = harness("[verification]\nttl = \"10m\"\ntoken_ttl = \"2h\"\n").await;
    let app = test::init_service(build_app(web::Data::new(h.state.clone()))).await;
    location_42(&app).await;
    let (s, v, _) = call(&app, "POST", "/v1/verifications", Some(START())).await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let code = h.codes().pop().unwrap();
    let (_, ok, _) = call(
        &app,
        "POST",
        &format!("/v1/verifications/{id}/check"),
        Some(json!({ "code": code })),
    )
    .await;
    let token = ok["token"].as_str().unwrap().to_owned();
    let introspect = |token: String, consume: bool| {
        call(
            &app,
            "POST",
            "/v1/tokens/introspect",
            Some(json!({ "token": token, "consume": consume })),
        )
    };

    let now = h.state.now_ms() / 1000;
    let key = h.state.secret.token_key();
    let claims = Claims {
        jti: "tok_forged".into(),
        vid: id.clone(),
        loc: "42".into(),
        purpose: Purpose::Login,
        iat: now,
        exp: now + 60,
    };
    let invalid = json!({ "active": false, "reason": "invalid" });
    for forged in [
        // A verification that never existed.
        Claims {
            vid: "ver_made_up".into(),
            ..claims.clone()
        },
        // A real one, but claimed for another location or purpose.
        Claims {
            loc: "43".into(),
            ..claims.clone()
        },
        Claims {
            purpose: Purpose::Booking,
            ..claims.clone()
        },
        // A lifetime beyond token_ttl.
        Claims {
            exp: now + 2 * 3600 + 1,
            ..claims.clone()
        },
    ] {
        for consume in [false, true] {
            let (s, t, _) = introspect(issue(&key, &forged), consume).await;
            assert_eq!((s.as_u16(), &t), (200, &invalid), "{forged:?}");
        }
    }

    // The real token: active with the full phone, for its whole 2 h, though the
    // verification's code expired after 10 minutes.
    let (_, t, _) = introspect(token.clone(), false).await;
    assert_eq!(
        (&t["active"], &t["phone"]),
        (&json!(true), &json!(PHONE)),
        "{t}"
    );
    h.clock.advance_secs(2 * 3600 - 1);
    let (_, t, _) = introspect(token.clone(), true).await;
    assert_eq!(
        (&t["active"], &t["phone"]),
        (&json!(true), &json!(PHONE)),
        "{t}"
    );
    assert_eq!(t["verification_id"], id.as_str());
}

/// Issue 14, item 6: a verification nobody asks about again is counted as expired
/// once its TTL passes (on the prune tick), and an approved one never is.
#[actix_rt::test]
async fn an_abandoned_verification_is_counted_when_it_expires() {
    use gateway::flows::verifications::count_due_expiries;
    let h = harness("[verification]\nttl = \"10m\"\n").await;
    let app = test::init_service(build_app(web::Data::new(h.state.clone()))).await;
    location_42(&app).await;
    let (s, v, _) = call(&app, "POST", "/v1/verifications", Some(START())).await;
    assert_eq!(s, 201, "{v}");
    // Another phone's verification is approved: it must not count as expired later.
    let other = json!({ "location_id": "42", "phone": "+79991234568", "purpose": "login" });
    let (s, v, _) = call(&app, "POST", "/v1/verifications", Some(other)).await;
    assert_eq!(s, 201, "{v}");
    let approved_id = v["id"].as_str().unwrap().to_owned();
    let code = h.codes().pop().unwrap();
    let (_, ok, _) = call(
        &app,
        "POST",
        &format!("/v1/verifications/{approved_id}/check"),
        Some(json!({ "code": code })),
    )
    .await;
    assert_eq!(ok["status"], "approved", "{ok}");

    h.clock.advance_secs(599);
    count_due_expiries(&h.state).await;
    assert_eq!(verifications_counted(&app, "expired").await, 0);
    h.clock.advance_secs(1);
    count_due_expiries(&h.state).await;
    assert_eq!(verifications_counted(&app, "expired").await, 1);
    // Seen again (a read, a new start): still one.
    count_due_expiries(&h.state).await;
    let (s, v, _) = call(&app, "POST", "/v1/verifications", Some(START())).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(verifications_counted(&app, "expired").await, 1);
    assert_eq!(verifications_counted(&app, "approved").await, 1);
}
