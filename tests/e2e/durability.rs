//! A `201` means durable: every message the gateway answered, and the quota events it
//! counted for it, are there after `kill -9` (SQLite's WAL with `synchronous = NORMAL`
//! survives the death of the process; group commit answers only after the commit).

use e2e::{Gateway, config};
use serde_json::json;

const SHARED_IP: &str = "203.0.113.100";

#[test]
fn answered_messages_and_their_quota_events_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &config(""));
    let r = gw.put(
        "/v1/locations/42",
        &json!({
            "company_name": "Beauty Lab",
            "location_name": "Beauty Lab on Tverskaya",
            "country": "RU",
            "phone_confirmation": { "enabled": true, "template": "code_with_title" }
        }),
    );
    assert!(r.status == 201 || r.status == 200, "{}", r.text);
    // Four clients at once, so that answers come out of shared group commits. Two of
    // them share a client address and use up its hourly budget (20 by default).
    let sent: Vec<(String, String)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|w| {
                let gw = &gw;
                s.spawn(move || {
                    (0..10)
                        .map(|i| {
                            let phone = format!("+7999100{w}{i:03}");
                            let ip = if w < 2 {
                                SHARED_IP.to_owned()
                            } else {
                                format!("203.0.113.{w}")
                            };
                            let r = gw.post(
                                "/v1/messages",
                                &json!({ "location_id": "42", "phone": phone, "code": "4821",
                                         "purpose": "login", "client_ip": ip }),
                            );
                            assert_eq!(r.status, 201, "{}", r.text);
                            (r.json["id"].as_str().unwrap().to_owned(), phone)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let gw = gw.kill_and_restart();
    for (id, _) in &sent {
        let r = gw.get(&format!("/v1/messages/{id}"));
        assert_eq!(r.status, 200, "message {id} lost: {}", r.text);
    }
    // The phones' cooldowns were counted durably with the messages.
    for (_, phone) in sent.iter().step_by(7) {
        gw.post(
            "/v1/messages",
            &json!({ "location_id": "42", "phone": phone, "code": "4821", "purpose": "login" }),
        )
        .problem(429, "resend_cooldown");
    }
    // So was the shared client address's hourly budget.
    gw.post(
        "/v1/messages",
        &json!({ "location_id": "42", "phone": "+79992000000", "code": "4821",
                 "purpose": "login", "client_ip": SHARED_IP }),
    )
    .problem(429, "ip_limit");
}
