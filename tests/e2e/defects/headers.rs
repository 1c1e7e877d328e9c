//! Header errors (#11, part): what a client gets for headers the gateway cannot use.
//!
//! Heads that do not parse as HTTP/1.1 at all (a malformed `Content-Length`, a control
//! byte in a header value) or are too large are refused by actix-http's h1 dispatcher
//! itself, before any service or middleware runs; it used to answer an empty `400`
//! (actix-http 3.20, `h1/dispatcher.rs`: `Response::bad_request().drop_body()`). The
//! gateway now writes those answers as problem+json (`server::malformed`). Everything
//! that parses as HTTP reaches the gateway and gets a problem+json saying what to do:
//! this test pins both.

use super::{raw, raw_json};
use e2e::{DEV_KEY, Gateway, config};

fn post(gw: &Gateway, extra_headers: &[u8]) -> String {
    let body = br#"{"location_id":"42","phone":"+79991234567","code":"4821","purpose":"login"}"#;
    let mut req =
        b"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n".to_vec();
    req.extend_from_slice(extra_headers);
    req.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    req.extend_from_slice(body);
    raw(gw, &req)
}

fn content_type(answer: &str) -> Option<String> {
    let head = answer.split_once("\r\n\r\n").map_or(answer, |(h, _)| h);
    head.lines().find_map(|l| {
        l.to_ascii_lowercase()
            .strip_prefix("content-type:")
            .map(|v| v.trim().to_owned())
    })
}

#[test]
fn headers_that_parse_get_a_problem_saying_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    let auth = format!("Authorization: Bearer {DEV_KEY}\r\n");
    let cases: Vec<(Vec<u8>, &str, &str)> = vec![
        // A header value with a non-ASCII byte (valid obs-text for HTTP, not a usable key).
        (
            [
                auth.as_bytes(),
                b"Content-Type: application/json\r\nIdempotency-Key: caf\xe9\r\n",
            ]
            .concat(),
            "HTTP/1.1 400",
            "invalid_idempotency_key",
        ),
        // A scheme other than Bearer.
        (
            b"Authorization: Basic ZGV2OmtleQ==\r\nContent-Type: application/json\r\n".to_vec(),
            "HTTP/1.1 401",
            "unauthorized",
        ),
        // A Content-Type that does not parse as a media type.
        (
            [auth.as_bytes(), b"Content-Type: ;;;\r\n"].concat(),
            "HTTP/1.1 415",
            "unsupported_media_type",
        ),
    ];
    for (headers, status, code) in cases {
        let answer = post(&gw, &headers);
        assert!(answer.starts_with(status), "{code}: {answer}");
        assert_eq!(
            content_type(&answer).as_deref(),
            Some("application/problem+json"),
            "{answer}"
        );
        let problem = raw_json(&answer);
        assert_eq!(problem["code"], code, "{answer}");
        assert!(
            problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{answer}"
        );
    }
}

#[test]
fn unparseable_heads_get_a_problem_and_the_server_carries_on() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    // More headers than the library takes (96).
    let huge = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\n{}Connection: close\r\n\r\n",
        (0..120)
            .map(|i| format!("X-H{i}: v\r\n"))
            .collect::<String>()
    );
    for (bad, status, code) in [
        (
            &b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\nConnection: close\r\n\r\n"[..],
            "HTTP/1.1 400",
            "bad_request",
        ),
        (
            &b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\nConnection: close\r\n\r\n"[..],
            "HTTP/1.1 400",
            "bad_request",
        ),
        (&b"GET /he lthz HTTP/1.1\r\nHost: x\r\n\r\n"[..], "HTTP/1.1 400", "bad_request"),
        (huge.as_bytes(), "HTTP/1.1 431", "headers_too_large"),
    ] {
        let answer = raw(&gw, bad);
        assert!(answer.starts_with(status), "{answer}");
        assert_eq!(
            content_type(&answer).as_deref(),
            Some("application/problem+json"),
            "{answer}"
        );
        let problem = raw_json(&answer);
        assert_eq!(problem["code"], code, "{answer}");
        assert_eq!(problem["status"], status[9..].parse::<u16>().unwrap());
        assert!(
            problem["detail"].as_str().is_some_and(|d| d.contains("connection is closed")),
            "{answer}"
        );
    }
    assert_eq!(gw.get("/healthz").status, 200);
}
