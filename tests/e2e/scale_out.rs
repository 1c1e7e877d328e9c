//! Two real gateway processes sharing one real Redis (`store.backend = "redis"`): what
//! one instance does, the other sees; limits, idempotency and verification slots hold
//! across instances; losing Redis is 503 only, and service resumes by itself.

use e2e::redis::RedisServer;
use e2e::{Gateway, Reply, codes_for, config, outbox};
use serde_json::json;
use std::path::Path;

const PHONE: &str = "+79991234567";
const SECRET: &str = "e2e-shared-verification-secret";

/// One gateway on `redis` with `limits` TOML, in its own subdirectory of `dir`.
fn instance(dir: &Path, name: &str, redis: &RedisServer, limits: &str) -> Gateway {
    let sub = dir.join(name);
    std::fs::create_dir_all(&sub).unwrap();
    let toml = config(&format!(
        "[limits]\n{limits}\n\n{}\n[verification]\nsecret = \"{SECRET}\"\n",
        redis.store_toml()
    ));
    Gateway::start(&sub, &toml)
}

/// Two gateways, A and B, on one Redis.
fn pair(dir: &Path, redis: &RedisServer, limits: &str) -> (Gateway, Gateway) {
    (
        instance(dir, "a", redis, limits),
        instance(dir, "b", redis, limits),
    )
}

fn location(gw: &Gateway, id: &str, enabled: bool) {
    let body = json!({
        "company_name": "Beauty Lab",
        "location_name": "Beauty Lab on Tverskaya",
        "country": "RU",
        "phone_confirmation": { "enabled": enabled, "template": "code_with_title" },
        "online_booking": { "require_phone_confirmation": true }
    });
    let r = gw.put(&format!("/v1/locations/{id}"), &body);
    assert!(r.status == 201 || r.status == 200, "{}", r.text);
}

fn send(gw: &Gateway, phone: &str) -> Reply {
    gw.post(
        "/v1/messages",
        &json!({ "location_id": "42", "phone": phone, "code": "4821", "purpose": "login" }),
    )
}

fn start(gw: &Gateway) -> Reply {
    gw.post(
        "/v1/verifications",
        &json!({ "location_id": "42", "phone": PHONE, "purpose": "login" }),
    )
}

/// Every message both instances' mock adapters delivered.
fn sent(a: &Gateway, b: &Gateway) -> usize {
    outbox(a).len() + outbox(b).len()
}

#[test]
fn a_verification_started_on_a_is_checked_on_b() {
    let dir = tempfile::tempdir().unwrap();
    let redis = RedisServer::start();
    let (a, b) = pair(dir.path(), &redis, "resend_cooldown = \"1ms\"");
    // Created through A, read by B (never cached there yet).
    location(&a, "42", true);
    let v = start(&a);
    assert_eq!(v.status, 201, "{}", v.text);
    let id = v.json["id"].as_str().unwrap();
    let code = codes_for(&a, PHONE).pop().unwrap();
    assert_eq!(
        b.get(&format!("/v1/verifications/{id}")).json["status"],
        "pending"
    );
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let miss = b.post(
        &format!("/v1/verifications/{id}/check"),
        &json!({ "code": wrong }),
    );
    assert_eq!(miss.json["attempts_left"], 4, "{}", miss.text);
    let ok = b.post(
        &format!("/v1/verifications/{id}/check"),
        &json!({ "code": code }),
    );
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.json["status"], "approved");
    // Approved on B: A finds nothing pending, and the token B issued is one A trusts
    // and can consume exactly once across both.
    a.post(
        &format!("/v1/verifications/{id}/check"),
        &json!({ "code": code }),
    )
    .problem(404, "verification_not_found");
    let token = ok.json["token"].as_str().unwrap();
    let consumed = a.post(
        "/v1/tokens/introspect",
        &json!({ "token": token, "consume": true }),
    );
    assert_eq!(consumed.json["active"], true, "{}", consumed.text);
    b.post(
        "/v1/tokens/introspect",
        &json!({ "token": token, "consume": true }),
    )
    .problem(409, "token_consumed");
}

#[test]
fn the_resend_cooldown_holds_across_instances() {
    let dir = tempfile::tempdir().unwrap();
    let redis = RedisServer::start();
    let (a, b) = pair(dir.path(), &redis, "resend_cooldown = \"1h\"");
    location(&a, "42", true);
    assert_eq!(send(&a, PHONE).status, 201);
    let denied = send(&b, PHONE);
    denied.problem(429, "resend_cooldown");
    assert!(
        denied.json["retry_after"].as_u64().unwrap() > 3500,
        "{}",
        denied.text
    );
    send(&a, PHONE).problem(429, "resend_cooldown");
    assert_eq!(sent(&a, &b), 1);
}

#[test]
fn the_hourly_phone_quota_holds_across_instances() {
    let dir = tempfile::tempdir().unwrap();
    let redis = RedisServer::start();
    let (a, b) = pair(
        dir.path(),
        &redis,
        "resend_cooldown = \"1ms\"\nphone_per_hour = 3\nphone_per_day = 10",
    );
    location(&a, "42", true);
    let mut statuses = Vec::new();
    for i in 0..6 {
        // A send takes well over the 1 ms cooldown; the pause only makes sure of it.
        std::thread::sleep(std::time::Duration::from_millis(5));
        let gw = if i % 2 == 0 { &a } else { &b };
        let r = send(gw, PHONE);
        if r.status == 429 {
            r.problem(429, "phone_hourly_limit");
        }
        statuses.push(r.status);
    }
    assert_eq!(statuses, [201, 201, 201, 429, 429, 429]);
    assert_eq!(sent(&a, &b), 3);
}

#[test]
fn one_idempotency_key_sends_once_across_instances() {
    let dir = tempfile::tempdir().unwrap();
    let redis = RedisServer::start();
    let (a, b) = pair(dir.path(), &redis, "resend_cooldown = \"1ms\"");
    location(&a, "42", true);
    let body = json!({ "location_id": "42", "phone": PHONE, "code": "4821", "purpose": "login" });
    let key = [("idempotency-key", "order-77")];
    let first = a.call_with(
        "POST",
        "/v1/messages",
        Some(&body),
        Some(e2e::DEV_KEY),
        &key,
    );
    assert_eq!(first.status, 201, "{}", first.text);
    let again = b.call_with(
        "POST",
        "/v1/messages",
        Some(&body),
        Some(e2e::DEV_KEY),
        &key,
    );
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.json, first.json);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(sent(&a, &b), 1);
}

#[test]
fn concurrent_starts_on_both_instances_make_one_verification_and_one_send() {
    let dir = tempfile::tempdir().unwrap();
    let redis = RedisServer::start();
    let (a, b) = pair(dir.path(), &redis, "resend_cooldown = \"1h\"");
    location(&a, "42", true);
    let replies: Vec<Reply> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let gw = if i % 2 == 0 { &a } else { &b };
                s.spawn(move || {
                    // 408: the server got no request on that connection in time (a
                    // starved debug build on a loaded machine); nothing was processed,
                    // so the request is simply sent again.
                    let mut r = start(gw);
                    for _ in 0..3 {
                        if r.status != 408 {
                            break;
                        }
                        r = start(gw);
                    }
                    r
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let created: Vec<&Reply> = replies.iter().filter(|r| r.status == 201).collect();
    assert_eq!(
        created.len(),
        1,
        "{:?}",
        replies.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    for r in &replies {
        match r.status {
            201 => {}
            // Another start's first send under way, or its cooldown still running.
            409 => drop(r.problem(409, "verification_in_progress")),
            429 => drop(r.problem(429, "resend_cooldown")),
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert_eq!(sent(&a, &b), 1);
}

#[test]
fn a_location_changed_on_one_instance_is_seen_by_the_other_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let redis = RedisServer::start();
    let (a, b) = pair(dir.path(), &redis, "resend_cooldown = \"1ms\"");
    location(&a, "42", true);
    assert_eq!(
        send(&b, "+79990000001").status,
        201,
        "B has the location cached now"
    );
    location(&a, "42", false);
    // B caches locations for at most one second on a shared store.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    send(&b, "+79990000002").problem(409, "notification_disabled");
}

#[test]
fn a_gateway_killed_with_sigkill_loses_no_acknowledged_verification() {
    let dir = tempfile::tempdir().unwrap();
    let redis = RedisServer::start();
    let (mut a, b) = pair(dir.path(), &redis, "resend_cooldown = \"1ms\"");
    location(&a, "42", true);
    let v = start(&a);
    assert_eq!(v.status, 201, "{}", v.text);
    let code = codes_for(&a, PHONE).pop().unwrap();
    a.kill();
    let id = v.json["id"].as_str().unwrap();
    let ok = b.post(
        &format!("/v1/verifications/{id}/check"),
        &json!({ "code": code }),
    );
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.json["status"], "approved");
}

#[test]
fn redis_lost_under_load_gives_only_503_and_service_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let mut redis = RedisServer::start();
    let (a, b) = pair(
        dir.path(),
        &redis,
        "resend_cooldown = \"1ms\"\nlocation_per_minute = 100000",
    );
    location(&a, "42", true);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let statuses = std::sync::Mutex::new(Vec::<(u16, String)>::new());
    /// Stops the senders however the scope ends: a failed assertion in the scope body
    /// would otherwise leave them sending forever and the scope waiting for them.
    struct StopOnDrop<'a>(&'a std::sync::atomic::AtomicBool);
    impl Drop for StopOnDrop<'_> {
        fn drop(&mut self) {
            self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }
    std::thread::scope(|s| {
        let _stop_guard = StopOnDrop(&stop);
        for (w, gw) in [&a, &b, &a, &b].into_iter().enumerate() {
            let (stop, statuses) = (&stop, &statuses);
            s.spawn(move || {
                let mut n = 0;
                // Bounded in count too: 20,000 sends per sender at most.
                while !stop.load(std::sync::atomic::Ordering::SeqCst) && n < 20_000 {
                    n += 1;
                    let r = send(gw, &format!("+7999{w}{n:06}"));
                    if r.status == 503 {
                        let p = r.problem(503, "store_unavailable");
                        assert!(p["retry_after"].as_u64().is_some());
                        assert!(r.header("retry-after").is_some(), "{}", r.text);
                    }
                    statuses.lock().unwrap().push((r.status, r.text));
                }
            });
        }
        let count = |status: u16| {
            statuses
                .lock()
                .unwrap()
                .iter()
                .filter(|(s, _)| *s == status)
                .count()
        };
        let wait_for = |what: &str, done: &dyn Fn() -> bool| {
            for _ in 0..600 {
                if done() {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            panic!("timed out waiting for {what}");
        };
        wait_for("sends before the outage", &|| count(201) >= 20);
        redis.kill();
        wait_for("503s while Redis is down", &|| count(503) >= 10);
        a.get("/readyz").problem(503, "not_ready");
        redis.restart();
        let before = count(201);
        wait_for("sends after Redis is back", &|| count(201) >= before + 20);
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    let all = statuses.into_inner().unwrap();
    let other: Vec<&(u16, String)> = all
        .iter()
        .filter(|(s, _)| ![201, 503].contains(s))
        .collect();
    assert!(
        other.is_empty(),
        "answers other than 201 and 503: {other:?}"
    );
    assert_eq!(a.get("/readyz").status, 200);
    assert_eq!(b.get("/readyz").status, 200);
    assert!(!a.log().contains("panicked") && !b.log().contains("panicked"));
}

/// Runs `gateway <args> --config <toml>` and returns (success, stdout + stderr).
fn gateway_cmd(dir: &Path, args: &[&str], toml: &str) -> (bool, String) {
    let path = dir.join(format!("{}.toml", args[0]));
    std::fs::write(&path, toml).unwrap();
    let out = std::process::Command::new(e2e::artefact("gateway"))
        .args(args)
        .arg("--config")
        .arg(&path)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn check_config_pings_redis_and_start_up_refuses_what_cannot_work() {
    let dir = tempfile::tempdir().unwrap();
    let redis = RedisServer::start();
    let shared = format!(
        "{}\n[verification]\nsecret = \"{SECRET}\"\n",
        redis.store_toml()
    );
    let (ok, text) = gateway_cmd(dir.path(), &["check-config"], &config(&shared));
    assert!(ok, "{text}");
    assert!(text.contains("PING answered"), "{text}");
    assert!(
        !text.contains(&redis.url()),
        "the URL may hold a password: {text}"
    );

    // Nothing listens there: both commands fail naming the key, never the URL.
    let dead = format!("redis://:pw-in-url@127.0.0.1:{}", e2e::free_port());
    let unreachable = config(&format!(
        "[store]\nbackend = \"redis\"\n[store.redis]\nurl = \"{dead}\"\nconnect_timeout = \"300ms\"\n[verification]\nsecret = \"{SECRET}\"\n"
    ));
    let data = dir.path().join("data");
    let serve = [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().unwrap(),
    ];
    for args in [&["check-config"][..], &serve[..]] {
        let (ok, text) = gateway_cmd(dir.path(), args, &unreachable);
        assert!(!ok, "{args:?}: {text}");
        assert!(text.contains("store.redis.url"), "{args:?}: {text}");
        assert!(!text.contains("pw-in-url"), "{args:?}: {text}");
    }

    // A shared store without a configured secret: refused, saying why.
    let (ok, text) = gateway_cmd(dir.path(), &serve, &config(&redis.store_toml()));
    assert!(!ok, "{text}");
    assert!(text.contains("verification.secret"), "{text}");
}

#[test]
fn counters_an_old_instance_writes_during_a_rolling_upgrade_are_moved_and_count() {
    let dir = tempfile::tempdir().unwrap();
    let redis = RedisServer::start();
    let toml = config(&format!(
        "[limits]\nresend_cooldown = \"1h\"\n\n{}\n[verification]\nsecret = \"{SECRET}\"\n",
        redis
            .store_toml()
            .replace("[store]\n", "[store]\nprune_interval = \"100ms\"\n")
    ));
    let a = Gateway::start(dir.path(), &toml);
    location(&a, "42", true);
    // An instance of the earlier version, still running, counts a send under the clear
    // key after this one started (its start-up move has already run).
    let legacy = format!("e2e:quota:limits:phone:{PHONE}");
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .to_string();
    redis.cli(&["ZADD", &legacy, &now_ms, &format!("{now_ms}:old")]);
    redis.cli(&["PEXPIRE", &legacy, "86400000"]);
    // A prune tick moves it (polled, with a generous bound: no timing is asserted).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while redis.cli(&["EXISTS", &legacy]).trim() != "0" {
        assert!(
            std::time::Instant::now() < deadline,
            "the clear key was never moved"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let keys = redis.cli(&["KEYS", "e2e:quota:*"]);
    assert!(keys.contains("e2e:quota:q:phone:"), "{keys}");
    assert!(!keys.contains(PHONE), "{keys}");
    // The send the old instance counted holds this phone's cooldown here too.
    send(&a, PHONE).problem(429, "resend_cooldown");
    assert!(outbox(&a).is_empty());
}
