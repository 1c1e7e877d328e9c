//! Crashes and overload against the real process: `kill -9` in the middle of a
//! verification load, and hundreds of stalled connections.

use e2e::{DEV_KEY, Gateway, codes_for, config};
use serde_json::json;
use std::io::Write as _;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Limits high enough that only the crash stops the load.
fn load_config() -> String {
    config(
        "[limits]\nresend_cooldown = \"1ms\"\nlocation_per_minute = 1000000\nip_per_hour = 1000000\n",
    )
}

fn create_location(gw: &Gateway) {
    let r = gw.put(
        "/v1/locations/42",
        &json!({ "company_name": "Beauty Lab", "location_name": "Tverskaya", "country": "RU" }),
    );
    assert!(r.status == 201 || r.status == 200, "{}", r.text);
}

/// A distinct valid Russian mobile number per request.
fn phone(n: usize) -> String {
    format!("+7999{:07}", n)
}

#[test]
fn kill_9_under_verification_load_loses_no_acknowledged_verification() {
    let dir = tempfile::tempdir().unwrap();
    let mut gw = Gateway::start(dir.path(), &load_config());
    create_location(&gw);

    // Eight clients start verifications as fast as the gateway answers; every 201 is an
    // acknowledgement the platform would rely on.
    let acknowledged: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..8)
        .map(|worker| {
            let (acknowledged, stop, base) = (acknowledged.clone(), stop.clone(), gw.base.clone());
            std::thread::spawn(move || {
                let http = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .pool_idle_timeout(Duration::from_secs(2))
                    .no_proxy()
                    .build()
                    .unwrap();
                let mut n = worker;
                while !stop.load(Ordering::Relaxed) && n < 8 * 5_000 {
                    let phone = phone(n);
                    n += 8;
                    let sent = http
                        .post(format!("{base}/v1/verifications"))
                        .bearer_auth(DEV_KEY)
                        .json(&json!({ "location_id": "42", "phone": phone, "purpose": "login" }))
                        .send();
                    let Ok(resp) = sent else { break };
                    if resp.status().as_u16() == 201 {
                        let body: serde_json::Value = resp.json().unwrap();
                        let id = body["id"].as_str().unwrap().to_owned();
                        acknowledged.lock().unwrap().push((id, phone));
                    } else if resp.status().is_server_error() {
                        break;
                    }
                }
            })
        })
        .collect();

    // Kill once a good number is acknowledged, while the clients keep sending.
    for _ in 0..600 {
        if acknowledged.lock().unwrap().len() >= 200 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let killed = gw.kill_hard();
    assert!(
        !killed.success(),
        "the gateway was killed, not stopped: {killed}"
    );
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    let acknowledged = std::mem::take(&mut *acknowledged.lock().unwrap());
    assert!(
        acknowledged.len() >= 200,
        "only {} verifications were acknowledged before the kill",
        acknowledged.len()
    );

    // The file is consistent (WAL recovery happens on open, as at the next start).
    let db = rusqlite::Connection::open(gw.data_dir.join("gateway.db")).unwrap();
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    drop(db);

    // Every acknowledged verification is there after the restart, and its code works.
    let gw = gw.start_again();
    let http = reqwest::blocking::Client::builder()
        .pool_idle_timeout(Duration::from_secs(2))
        .no_proxy()
        .build()
        .unwrap();
    for (id, _) in &acknowledged {
        let read = http
            .get(format!("{}/v1/verifications/{id}", gw.base))
            .bearer_auth(DEV_KEY)
            .send()
            .unwrap_or_else(|e| panic!("GET {id}: {e}; gateway log:\n{}", gw.log()));
        assert_eq!(read.status(), 200, "acknowledged {id} was lost");
        let body: serde_json::Value = read.json().unwrap();
        assert_eq!(body["status"], "pending", "{body}");
    }
    for (id, phone) in acknowledged.iter().rev().take(5) {
        let code = codes_for(&gw, phone)
            .pop()
            .expect("the code reached the phone");
        let checked = gw.post(
            &format!("/v1/verifications/{id}/check"),
            &json!({ "code": code }),
        );
        assert_eq!(checked.status, 200, "{}", checked.text);
        assert_eq!(checked.json["status"], "approved", "{}", checked.text);
    }
}

#[test]
fn hundreds_of_stalled_connections_leave_healthz_answering() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    // Connections that never send a byte, that stop in the middle of their headers
    // (slowloris), and that stop in the middle of an authenticated body (slow POST), all
    // held open while /healthz and the API are used.
    let slow_body = format!(
        "POST /v1/verifications HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {DEV_KEY}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"location_id\": \"42\", "
    );
    let mut stalled = Vec::new();
    for i in 0..450 {
        let mut s = TcpStream::connect(gw.addr).unwrap();
        match i % 3 {
            0 => {}
            1 => s
                .write_all(b"POST /v1/verifications HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                .unwrap(),
            _ => s.write_all(slow_body.as_bytes()).unwrap(),
        }
        stalled.push(s);
    }
    for _ in 0..20 {
        let health = gw.call("GET", "/healthz", None, None);
        assert_eq!(health.status, 200, "{}", health.text);
    }
    create_location(&gw);
    assert_eq!(gw.get("/v1/locations/42").status, 200);
    let ready = gw.call("GET", "/readyz", None, None);
    assert_eq!(ready.status, 200, "{}", ready.text);
    drop(stalled);
    assert_eq!(gw.call("GET", "/healthz", None, None).status, 200);
}
