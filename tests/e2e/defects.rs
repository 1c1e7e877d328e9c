//! Regression tests for the defects found by using and attacking the running gateway
//! (issue 14). Each test reproduces one defect against the real process and fails on
//! the code before its fix.

mod connections;
mod crash;
mod headers;
mod input;
mod operations;
mod outage;
mod replays;
mod secret;
mod verifications;

use e2e::Gateway;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Sends `request` as raw bytes and reads until the server closes (or 10 s pass);
/// returns what came back as text (empty if nothing did).
pub fn raw(gw: &Gateway, request: &[u8]) -> String {
    let mut s = TcpStream::connect(gw.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).unwrap();
    read_all(&mut s)
}

/// Reads until EOF, an error or the socket's read timeout.
pub fn read_all(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The JSON body of a raw HTTP answer.
pub fn raw_json(answer: &str) -> Value {
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).unwrap_or(Value::Null)
}

/// Creates location `42` in Russia, sending through `channels` (default route if none).
pub fn location(gw: &Gateway, channels: Option<&[&str]>) {
    let mut body = json!({ "company_name": "Beauty Lab", "location_name": "Beauty Lab on Tverskaya", "country": "RU" });
    if let Some(c) = channels {
        body["channels"] = json!(c);
    }
    let r = gw.put("/v1/locations/42", &body);
    assert!(r.status == 200 || r.status == 201, "{}", r.text);
}
