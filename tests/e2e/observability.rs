//! `/metrics` after real traffic through the real process: the sends, the verification
//! and its check are counted, labels carry no phone, id or code, and `promtool check
//! metrics` accepts the scrape with no lint findings.

use e2e::{Gateway, codes_for, config};
use serde_json::json;
use std::io::Write;
use std::process::{Command, Stdio};

/// The value of the sample whose line starts with `series` (name plus labels).
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no sample `{series}` in:\n{text}"))
}

#[test]
fn quick_start_traffic_is_counted_and_promtool_accepts_the_scrape() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    let phone = "+79991234567";
    gw.put(
        "/v1/locations/42",
        &json!({ "company_name": "Beauty Lab", "location_name": "Beauty Lab", "country": "RU" }),
    );
    let v = gw.post(
        "/v1/verifications",
        &json!({ "location_id": "42", "phone": phone, "purpose": "login" }),
    );
    assert_eq!(v.status, 201, "{}", v.text);
    let code = codes_for(&gw, phone).pop().unwrap();
    let id = v.json["id"].as_str().unwrap();
    let ok = gw.post(
        &format!("/v1/verifications/{id}/check"),
        &json!({ "code": code }),
    );
    assert_eq!(ok.json["status"], "approved");
    let m = gw.post("/v1/messages", &json!({ "location_id": "42", "phone": "+79990001122", "code": "4821", "purpose": "login" }));
    assert_eq!(m.status, 201, "{}", m.text);
    // A refused send is counted as a rate limit.
    gw.post("/v1/messages", &json!({ "location_id": "42", "phone": "+79990001122", "code": "4821", "purpose": "login" }))
        .problem(429, "resend_cooldown");

    let scrape = gw.call("GET", "/metrics", None, None);
    assert_eq!(scrape.status, 200);
    assert!(
        scrape
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    let text = scrape.text;
    assert_eq!(
        sample(
            &text,
            r#"gateway_messages_total{adapter="mock",channel="sms",operator="default",outcome="sent"}"#
        ),
        2.0
    );
    assert_eq!(
        sample(
            &text,
            r#"gateway_verifications_total{outcome="started",purpose="login"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            r#"gateway_verifications_total{outcome="approved",purpose="login"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            r#"gateway_verification_checks_total{result="approved"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            r#"gateway_rate_limited_total{limit="resend_cooldown"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(&text, r#"gateway_message_encoding_total{encoding="gsm7"}"#),
        2.0
    );
    assert_eq!(sample(&text, r#"gateway_adapter_up{adapter="mock"}"#), 1.0);
    assert!(
        sample(
            &text,
            r#"gateway_adapter_send_duration_seconds_count{adapter="mock"}"#
        ) >= 2.0
    );
    assert!(
        sample(
            &text,
            r#"gateway_http_requests_total{method="POST",route="/v1/verifications/{id}/check",status="200"}"#
        ) >= 1.0
    );
    assert!(text.contains("gateway_build_info{"));
    assert!(text.contains("process_resident_memory_bytes"));
    // Nothing unbounded or secret in any label.
    for needle in [
        phone,
        "+79990001122",
        "9991234567",
        code.as_str(),
        id,
        "/v1/verifications/ver_",
    ] {
        assert!(!text.contains(needle), "metrics contain `{needle}`");
    }

    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool is missing: install it with `bash .ci/install-promtool.sh`");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let findings = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && findings.trim().is_empty(),
        "promtool check metrics: {findings}"
    );
}

#[test]
fn quickstart_script_runs_against_a_real_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/quickstart.sh");
    let out = Command::new("bash")
        .arg(&script)
        .env("GATEWAY_URL", &gw.base)
        .env("OUTBOX", gw.data_dir.join("mock-outbox.jsonl"))
        .output()
        .expect("run quickstart.sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "quickstart.sh failed:\n{text}");
    assert!(text.contains("\"status\":\"approved\""), "{text}");
    assert!(text.contains("\"active\":true"), "{text}");
    let scrape = gw.call("GET", "/metrics", None, None).text;
    assert_eq!(
        sample(
            &scrape,
            r#"gateway_verifications_total{outcome="approved",purpose="login"}"#
        ),
        1.0
    );
}
