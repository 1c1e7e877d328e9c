//! The foundation: service start, locations round-trip and restart, auth, and every
//! kind of bad input answered with problem+json.

use e2e::{DEV_KEY, Gateway, artefact, config};
use serde_json::json;

fn location() -> serde_json::Value {
    json!({
        "company_name": "Beauty Lab",
        "location_name": "Beauty Lab on Tverskaya",
        "country": "RU",
        "language": "en",
        "phone_confirmation": { "enabled": true, "template": "code_with_title" },
        "online_booking": { "require_phone_confirmation": true },
        "channels": ["mock"]
    })
}

#[test]
fn health_request_id_and_location_round_trip_across_restart() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    let health = gw.call("GET", "/healthz", None, None);
    assert_eq!(health.status, 200);
    assert!(health.header("x-request-id").is_some_and(|v| !v.is_empty()));
    let echoed = gw.call_with(
        "GET",
        "/healthz",
        None,
        None,
        &[("x-request-id", "abc-123")],
    );
    assert_eq!(echoed.header("x-request-id"), Some("abc-123"));

    let created = gw.put("/v1/locations/42", &location());
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.json["phone_confirmation"]["template"],
        "code_with_title"
    );
    let replaced = gw.put("/v1/locations/42", &location());
    assert_eq!(replaced.status, 200);
    assert_eq!(replaced.json["created_at"], created.json["created_at"]);

    let gw = gw.restart();
    let read = gw.get("/v1/locations/42");
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.json["company_name"], "Beauty Lab");
    assert_eq!(read.json["location_name"], "Beauty Lab on Tverskaya");
    assert_eq!(read.json["country"], "RU");
    assert_eq!(
        read.json["online_booking"]["require_phone_confirmation"],
        true
    );
    assert_eq!(read.json["channels"], json!(["mock"]));

    assert_eq!(gw.delete("/v1/locations/42").status, 204);
    gw.get("/v1/locations/42")
        .problem(404, "location_not_found");
    gw.delete("/v1/locations/42")
        .problem(404, "location_not_found");
}

#[test]
fn defaults_and_normalisation() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    let r = gw.put(
        "/v1/locations/7",
        &json!({ "location_name": "  Studio 7 ", "company_name": "   " }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["company_name"], serde_json::Value::Null);
    assert_eq!(r.json["location_name"], "Studio 7");
    assert_eq!(r.json["language"], "en");
    assert_eq!(
        r.json["phone_confirmation"],
        json!({ "enabled": true, "template": "code_only" })
    );
    assert_eq!(
        r.json["online_booking"],
        json!({ "require_phone_confirmation": false })
    );
    assert_eq!(r.json["channels"], serde_json::Value::Null);
}

#[test]
fn api_key_is_required_on_v1_only() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    let none = gw.call("GET", "/v1/locations/42", None, None);
    none.problem(401, "unauthorized");
    assert_eq!(none.header("www-authenticate"), Some("Bearer"));
    gw.call("GET", "/v1/locations/42", None, Some("wrong-key"))
        .problem(401, "unauthorized");
    // Unauthenticated callers learn nothing about which routes exist.
    gw.call("GET", "/v1/nope", None, None)
        .problem(401, "unauthorized");
    assert_eq!(gw.call("GET", "/healthz", None, None).status, 200);
    assert_eq!(gw.call("GET", "/openapi.json", None, None).status, 200);
}

#[test]
fn validation_errors_name_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    let cases = [
        (
            json!({"location_name": "A", "phone_confirmation": {"template": "Your code is %CODE%"}}),
            422,
            "custom_template_not_available",
            "phone_confirmation.template",
        ),
        (
            json!({"location_name": "A", "phone_confirmation": {"template": "code_only_v2"}}),
            422,
            "custom_template_not_available",
            "phone_confirmation.template",
        ),
        (
            json!({"location_name": "   "}),
            422,
            "validation_failed",
            "location_name",
        ),
        (
            json!({"company_name": "A"}),
            422,
            "validation_failed",
            "location_name",
        ),
        (
            json!({"location_name": "A", "country": "XX"}),
            422,
            "validation_failed",
            "country",
        ),
        (
            json!({"location_name": "A", "language": "tlh"}),
            422,
            "validation_failed",
            "language",
        ),
        (
            json!({"location_name": "A", "channels": ["mock", "nope"]}),
            422,
            "unknown_channel",
            "channels[1]",
        ),
        (
            json!({"location_name": "A", "channels": ["mock", "mock"]}),
            422,
            "validation_failed",
            "channels[1]",
        ),
        (
            json!({"location_name": 5}),
            422,
            "validation_failed",
            "location_name",
        ),
        (
            json!({"location_name": "A", "phone_confirmation": {"enabled": "yes"}}),
            422,
            "validation_failed",
            "phone_confirmation.enabled",
        ),
        (
            json!({"location_name": "A", "colour": "red"}),
            422,
            "validation_failed",
            "colour",
        ),
        (
            json!({"location_name": "A".repeat(201)}),
            422,
            "validation_failed",
            "location_name",
        ),
    ];
    for (body, status, code, field) in cases {
        let r = gw.put("/v1/locations/9", &body);
        let p = r.problem(status, code);
        if !field.is_empty() {
            assert_eq!(p["field"], field, "body {body}: {}", r.text);
        }
    }
    // Nothing was stored by any of them.
    gw.get("/v1/locations/9").problem(404, "location_not_found");
}

#[test]
fn malformed_requests_get_problem_json_never_500() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    assert_eq!(
        gw.put("/v1/locations/1", &json!({"location_name": "Keep me"}))
            .status,
        201
    );

    gw.raw(
        "PUT",
        "/v1/locations/1",
        "application/json",
        b"{\"location_name\": ".to_vec(),
    )
    .problem(400, "invalid_json");
    gw.raw("PUT", "/v1/locations/1", "application/json", b"".to_vec())
        .problem(400, "invalid_json");
    gw.raw("PUT", "/v1/locations/1", "text/plain", b"{}".to_vec())
        .problem(415, "unsupported_media_type");
    let big = format!("{{\"location_name\": \"{}\"}}", "x".repeat(200_000));
    gw.raw(
        "PUT",
        "/v1/locations/1",
        "application/json",
        big.into_bytes(),
    )
    .problem(413, "payload_too_large");
    gw.put("/v1/locations/bad%20id", &json!({"location_name": "A"}))
        .problem(400, "invalid_location_id");
    gw.put(
        &format!("/v1/locations/{}", "a".repeat(65)),
        &json!({"location_name": "A"}),
    )
    .problem(400, "invalid_location_id");
    gw.get("/v1/nothing-here").problem(404, "not_found");
    gw.call("GET", "/nothing-here", None, None)
        .problem(404, "not_found");
    gw.call("POST", "/v1/locations/1", Some(&json!({})), Some(DEV_KEY))
        .problem(405, "method_not_allowed");
    gw.call("DELETE", "/healthz", None, None)
        .problem(405, "method_not_allowed");

    // The failed writes left the stored location untouched.
    assert_eq!(gw.get("/v1/locations/1").json["location_name"], "Keep me");
}

#[test]
fn openapi_describes_the_served_routes() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    let doc = gw.call("GET", "/openapi.json", None, None).json;
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    for path in ["/healthz", "/readyz", "/v1/locations/{location_id}"] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from /openapi.json"
        );
    }
    for method in ["put", "get", "delete"] {
        assert!(doc["paths"]["/v1/locations/{location_id}"][method].is_object());
    }
}

#[test]
fn check_config_names_a_misspelt_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, config("[verification]\ncode_lenght = 6\n")).unwrap();
    let out = std::process::Command::new(artefact("gateway"))
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("code_lenght"), "{err}");

    let good = dir.path().join("good.toml");
    std::fs::write(&good, config("")).unwrap();
    let out = std::process::Command::new(artefact("gateway"))
        .args(["check-config", "--config"])
        .arg(&good)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}{}",
        text,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("adapter mock"), "{text}");
    assert!(
        !text.contains(&e2e::dev_key_hash()),
        "summary printed a key hash: {text}"
    );
}

#[test]
fn check_config_refuses_a_missing_adapter_library() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.toml");
    std::fs::write(
        &path,
        config("[[adapters]]\nname = \"ghost\"\nlibrary = \"libadapter_ghost.so\"\n"),
    )
    .unwrap();
    let out = std::process::Command::new(artefact("gateway"))
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("libadapter_ghost.so"), "{err}");
}

#[test]
fn sigterm_lets_an_in_flight_send_finish() {
    let dir = tempfile::tempdir().unwrap();
    let slow = "[[adapters]]\nname = \"slow\"\nlibrary = \"libadapter_mock.so\"\n[adapters.settings]\nlatency = \"1500ms\"\n";
    let mut gw = Gateway::start(dir.path(), &config(slow));
    let gw_ref = &gw;
    assert_eq!(
        gw.put(
            "/v1/locations/42",
            &json!({ "location_name": "A", "channels": ["slow"] })
        )
        .status,
        201
    );
    let result = std::thread::scope(|s| {
        let sending = s.spawn(|| gw_ref.post("/v1/messages", &json!({ "location_id": "42", "phone": "+79991234567", "code": "4821", "purpose": "login" })));
        // Wait until the send is inside the adapter (the gateway's own in-flight gauge
        // says so), then ask the gateway to stop.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !gw_ref
            .call("GET", "/metrics", None, None)
            .text
            .contains("gateway_adapter_inflight{adapter=\"slow\"} 1")
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the send never started"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        gw_ref.signal_term();
        sending.join().unwrap()
    });
    assert_eq!(
        result.status, 201,
        "the in-flight send was cut off: {}",
        result.text
    );
    assert!(gw.wait().success());
    assert!(gw.log().contains("shutdown requested"));
}

#[test]
fn the_example_config_loads_the_mock_library() {
    let dir = tempfile::tempdir().unwrap();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/gateway.toml");
    let gw = Gateway::start(dir.path(), &std::fs::read_to_string(example).unwrap());
    let list = gw.get("/v1/adapters");
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.json["adapters"][0]["name"], "mock");
    assert_eq!(list.json["adapters"][0]["abi_version"], 1);
    assert_eq!(list.json["adapters"][0]["health"]["up"], true);
}
