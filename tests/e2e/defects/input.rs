//! Lenient input (#11): what used to be accepted, refused with an empty body or
//! answered inconsistently.

use super::{location, raw, raw_json};
use e2e::{DEV_KEY, Gateway, config};
use serde_json::json;

#[test]
fn json_bodies_are_exactly_one_object() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    let one = r#"{"location_name":"Beauty Lab"}"#;
    for body in [
        format!("{one}{one}"),
        format!("{one} trailing"),
        format!("[{one}]"),
        r#"["Beauty Lab"]"#.to_owned(),
    ] {
        let r = gw.raw(
            "PUT",
            "/v1/locations/42",
            "application/json",
            body.clone().into_bytes(),
        );
        r.problem(400, "invalid_json");
        assert_eq!(gw.get("/v1/locations/42").status, 404, "{body} was stored");
    }
    let r = gw.raw(
        "PUT",
        "/v1/locations/42",
        "application/json",
        format!(" {one}\n").into_bytes(),
    );
    assert_eq!(r.status, 201, "{}", r.text);
}

#[test]
fn dot_location_ids_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    // Raw, because HTTP clients resolve `.` and `..` segments away before sending.
    for id in [".", ".."] {
        let body = r#"{"location_name":"Beauty Lab"}"#;
        let answer = raw(
            &gw,
            format!(
                "PUT /v1/locations/{id} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {DEV_KEY}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        );
        assert!(answer.starts_with("HTTP/1.1 400"), "{id}: {answer}");
        assert_eq!(raw_json(&answer)["code"], "invalid_location_id", "{answer}");
    }
    let ok = gw.put("/v1/locations/a.b", &json!({"location_name": "Beauty Lab"}));
    assert_eq!(ok.status, 201, "{}", ok.text);
}

#[test]
fn a_phone_spelt_with_letters_is_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    location(&gw, None);
    let r = gw.post(
        "/v1/messages",
        &json!({"location_id": "42", "phone": "+7-999-CALL-NOW", "code": "4821", "purpose": "login"}),
    );
    let p = r.problem(400, "invalid_phone");
    assert!(p["detail"].as_str().unwrap().contains("letters"), "{p}");
    assert!(e2e::outbox(&gw).is_empty());
}

#[test]
fn bearer_scheme_is_case_insensitive() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let auth = format!("{scheme} {DEV_KEY}");
        let r = gw.call_with(
            "GET",
            "/v1/adapters",
            None,
            None,
            &[("authorization", &auth)],
        );
        assert_eq!(r.status, 200, "{scheme}: {}", r.text);
    }
    gw.call_with(
        "GET",
        "/v1/adapters",
        None,
        None,
        &[("authorization", "Basic ZGV2")],
    )
    .problem(401, "unauthorized");
}

#[test]
fn callback_bodies_have_the_limit_their_413_names() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    // Over `server.max_body_bytes` (64 KiB) but under actix's own 256 KiB default.
    let body = format!("{{\"pad\":\"{}\"}}", "x".repeat(100 * 1024));
    let r = gw.send_to(
        "POST",
        &format!("{}/v1/callbacks/mock", gw.base),
        &[("content-type".into(), "application/json".into())],
        body,
    );
    let p = r.problem(413, "payload_too_large");
    assert_eq!(p["max_bytes"], 65536, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("65536"), "{p}");
}

#[test]
fn method_not_allowed_says_what_is_allowed_and_head_works() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    let head = gw.call("HEAD", "/healthz", None, None);
    assert_eq!(head.status, 200);
    assert!(head.text.is_empty());
    const METHODS: [&str; 6] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"];
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
        "/v1/callbacks/mock",
        "/v1/messages",
        "/v1/messages/preview",
        "/v1/messages/msg_1",
        "/v1/verifications",
        "/v1/verifications/check",
        "/v1/verifications/ver_1",
        "/v1/verifications/ver_1/check",
        "/v1/tokens/introspect",
        "/v1/adapters",
        "/v1/locations/nowhere",
        "/v1/locations/nowhere/readiness",
        "/v1/connections",
        "/v1/connections/conn_1",
        "/v1/connections/conn_1/test",
    ] {
        let r = gw.call("OPTIONS", path, None, Some(DEV_KEY));
        r.problem(405, "method_not_allowed");
        let allow: Vec<String> = r
            .header("allow")
            .unwrap_or_else(|| panic!("405 on {path} without Allow"))
            .split(',')
            .map(|m| m.trim().to_owned())
            .collect();
        // `Allow` lists exactly the methods that do not answer 405.
        for m in METHODS {
            let status = gw.call(m, path, None, Some(DEV_KEY)).status;
            assert_eq!(
                allow.iter().any(|a| a == m),
                status != 405,
                "{m} {path}: {status}, Allow: {allow:?}"
            );
        }
    }
}
