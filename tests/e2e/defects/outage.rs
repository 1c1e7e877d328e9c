//! A provider outage, as a client meets it (#14 items 4 and 8, #15's hanging adapter):
//! a send no provider accepted spends no limits and says when to retry; a provider
//! that hangs is a `504` with `Retry-After`, and beyond its `max_inflight` the gateway
//! answers `503` at once instead of piling up requests.

use super::location;
use e2e::{Gateway, Reply, config};
use serde_json::json;

/// `down` fails every send transiently; `slow` never answers before its deadline for
/// the listed numbers, and takes at most `max_inflight` calls at once.
fn outage_config(stalled: &[String], max_inflight: usize) -> String {
    config(&format!(
        r#"[[adapters]]
name = "down"
library = "libadapter_mock.so"
[adapters.settings]
failure_rate = 1.0

[[adapters]]
name = "slow"
library = "libadapter_mock.so"
timeout = "1s"
max_inflight = {max_inflight}
[adapters.settings]
stall_numbers = {stalled:?}
"#
    ))
}

fn send(gw: &Gateway, phone: &str) -> Reply {
    gw.post(
        "/v1/messages",
        &json!({"location_id": "42", "phone": phone, "code": "4821", "purpose": "login"}),
    )
}

/// The `Retry-After` header as seconds, checked against the body's `retry_after`.
#[track_caller]
fn retry_after(r: &Reply) -> u64 {
    let header: u64 = r
        .header("retry-after")
        .unwrap_or_else(|| panic!("no Retry-After on {}: {}", r.status, r.text))
        .parse()
        .unwrap();
    assert_eq!(r.json["retry_after"], header, "{}", r.text);
    assert!(header >= 1);
    header
}

/// Before: the retry a second after a `502` got `429 resend_cooldown` ("a message was
/// sent to this phone") though nothing was sent, and five failures locked the phone
/// for an hour.
#[test]
fn a_send_no_provider_accepted_spends_no_limits() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &outage_config(&[], 8));
    location(&gw, Some(&["down"]));
    // More than the phone's hourly budget (5) and well inside its cooldown.
    for _ in 0..7 {
        let r = send(&gw, "+79991234567");
        r.problem(502, "provider_failed");
        assert!(retry_after(&r) <= 5, "{}", r.text);
    }
    // Verifications too: each start that sent nothing leaves the phone free.
    for _ in 0..3 {
        let r = gw.post(
            "/v1/verifications",
            &json!({"location_id": "42", "phone": "+79991234568", "purpose": "login"}),
        );
        r.problem(502, "provider_failed");
    }
    // The provider is back (the location now uses a working one): the phone is not
    // on cooldown, nor out of budget.
    location(&gw, Some(&["mock"]));
    let r = send(&gw, "+79991234567");
    assert_eq!(r.status, 201, "{}", r.text);
    let r = gw.post(
        "/v1/verifications",
        &json!({"location_id": "42", "phone": "+79991234568", "purpose": "login"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    // A send that did go out still spends the cooldown.
    send(&gw, "+79991234567").problem(429, "resend_cooldown");
}

/// Before: a hanging provider answered `502 provider_failed` with no `Retry-After`.
#[test]
fn a_hanging_provider_is_504_with_retry_after_and_spends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let phone = "+79991230001".to_owned();
    let gw = Gateway::start(dir.path(), &outage_config(std::slice::from_ref(&phone), 8));
    location(&gw, Some(&["slow"]));
    let r = send(&gw, &phone);
    r.problem(504, "provider_timeout");
    retry_after(&r);
    assert_eq!(r.json["attempts"][0]["outcome"], "timeout", "{}", r.text);
    // Nothing was sent, so the retry meets the provider again, not a cooldown.
    send(&gw, &phone).problem(504, "provider_timeout");
}

/// A storm of sends at a provider that hangs: at most `max_inflight` wait on it, the
/// rest are answered `503 provider_throttled` with `Retry-After` at once, and the
/// gateway's memory stays bounded.
#[test]
fn a_storm_at_a_hanging_provider_is_capped_and_memory_stays_bounded() {
    const CAP: usize = 4;
    const CLIENTS: usize = 16;
    const EACH: usize = 10;
    let dir = tempfile::tempdir().unwrap();
    let phones: Vec<String> = (0..CLIENTS * EACH)
        .map(|i| format!("+7999{:07}", 1_000_000 + i))
        .collect();
    let gw = Gateway::start(dir.path(), &outage_config(&phones, CAP));
    // Failed sends give their location budget back, so the location's 60 a minute
    // never answers for the hanging provider.
    location(&gw, Some(&["slow"]));
    let rss_before = rss_kib(gw.pid());
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (answers, most_inflight) = std::thread::scope(|s| {
        let watcher = s.spawn(|| {
            let mut most = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let r = gw.get("/v1/adapters");
                let slow = r.json["adapters"]
                    .as_array()
                    .and_then(|a| a.iter().find(|a| a["name"] == "slow"))
                    .map(|a| a["inflight"].as_u64().unwrap_or(0))
                    .unwrap_or(0);
                most = most.max(slow);
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            most
        });
        let clients: Vec<_> = phones
            .chunks(EACH)
            .map(|chunk| {
                let gw = &gw;
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|p| {
                            let r = send(gw, p);
                            (
                                r.status,
                                r.json["code"].clone(),
                                r.header("retry-after").is_some(),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let answers: Vec<_> = clients
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        (answers, watcher.join().unwrap())
    });
    let rss_after = rss_kib(gw.pid());
    let throttled = answers
        .iter()
        .filter(|(s, c, _)| *s == 503 && c == "provider_throttled")
        .count();
    let timed_out = answers
        .iter()
        .filter(|(s, c, _)| *s == 504 && c == "provider_timeout")
        .count();
    assert_eq!(
        throttled + timed_out,
        answers.len(),
        "only 503 provider_throttled and 504 provider_timeout expected: {:?}",
        answers
            .iter()
            .filter(|(s, _, _)| *s != 503 && *s != 504)
            .take(5)
            .collect::<Vec<_>>()
    );
    assert!(
        answers.iter().all(|(_, _, ra)| *ra),
        "every answer carries Retry-After"
    );
    assert!(
        timed_out >= 1 && throttled >= 1,
        "{timed_out} timed out, {throttled} throttled"
    );
    assert!(
        most_inflight <= CAP as u64,
        "{most_inflight} calls waited on the hanging provider; the cap is {CAP}"
    );
    let grown_mib = rss_after.saturating_sub(rss_before) / 1024;
    assert!(
        grown_mib < 64,
        "RSS grew by {grown_mib} MiB during the storm ({rss_before} → {rss_after} KiB)"
    );
    assert!(gw.get("/healthz").status == 200);
}

/// The resident set of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/<pid>/status")
}
