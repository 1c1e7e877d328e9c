//! What the store keeps of a person, on both backends: after sends, a verification
//! and its check, no key or value in the raw store (the SQLite file read with
//! rusqlite, every key of a real `redis-server`) holds the phone's digits or the
//! client IP. And the upgrade: quota counters, a pending slot and a verification an
//! earlier version wrote under clear keys (with a clear phone) keep working after
//! start-up moved them: a send within the old cooldown is refused, the old
//! verification is found by phone, checked, and its token introspects to the phone.

// Test helpers may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

#[path = "support/redis.rs"]
mod redis_server;
#[path = "support/harness.rs"]
#[allow(dead_code)]
mod support;

use actix_web::{test, web};
use adapter_mock_core::MockAdapter;
use gateway::adapters::{AdapterInstance, Adapters, HostContext, InProcess};
use gateway::app::build_app;
use gateway::clock::{Clock as _, ManualClock};
use gateway::config::Config;
use gateway::secret::ServerSecret;
use gateway::state::AppState;
use gateway::store::{Ns, QuotaCheck, RedisStore, SqliteStore, Store};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use support::call;

const SECRET: &str = "store-privacy-test-secret";
const PHONE: &str = "+79991234567";
const DIGITS: &str = "9991234567";
const OTHER: &str = "+79997654321";
const IP: &str = "203.0.113.7";

/// The config: the mock adapter in process, `store` (TOML under `[store]`).
fn config(dir: &std::path::Path, store: &str) -> Config {
    let file = dir.join("gateway.toml");
    let key_hash = gateway::auth::hash_key("k");
    std::fs::write(
        &file,
        format!(
            "[[auth.api_keys]]\nname = \"t\"\nhash = \"{key_hash}\"\n[routing]\ndefault_channels = [\"mock\"]\n\
             [[adapters]]\nname = \"mock\"\nlibrary = \"in-process\"\n{store}\n\
             [verification]\nsecret = \"{SECRET}\"\n"
        ),
    )
    .unwrap();
    let mut cfg = Config::load(Some(&file), Some(Default::default())).unwrap();
    cfg.store.data_dir = dir.join("data");
    cfg
}

/// A gateway state on `store` (start-up moves clear-keyed rows).
async fn instance(cfg: Config, store: Arc<dyn Store>, clock: &ManualClock) -> AppState {
    let ctx = HostContext {
        data_dir: cfg.store.data_dir.clone(),
        public_url: None,
        reports: None,
    };
    let mock: Arc<dyn AdapterInstance> = Arc::new(
        InProcess::<MockAdapter>::create("mock", json!({}), &ctx, Duration::from_secs(5)).unwrap(),
    );
    gateway::server::state_with(
        cfg,
        Arc::new(clock.clone()),
        store,
        Adapters::from_instances(vec![mock]),
    )
    .await
    .unwrap()
}

/// Sends, a verification, its check and introspection; checks what the API shows.
async fn traffic(state: &AppState, dir: &std::path::Path) {
    let app = test::init_service(build_app(web::Data::new(state.clone()))).await;
    support::location_42(&app).await;
    let start = json!({ "location_id": "42", "phone": PHONE, "purpose": "login", "client_ip": IP });
    let (s, v, _) = call(&app, "POST", "/v1/verifications", Some(start)).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        v["phone"], "+7999***4567",
        "the API still shows the masked phone"
    );
    let id = v["id"].as_str().unwrap().to_owned();
    let (s, v, _) = call(&app, "GET", &format!("/v1/verifications/{id}"), None).await;
    assert_eq!((s.as_u16(), &v["phone"]), (200, &json!("+7999***4567")));
    let code = support::outbox_codes(&dir.join("data/mock-outbox.jsonl"))
        .last()
        .unwrap()
        .clone();
    let check = json!({ "location_id": "42", "phone": PHONE, "purpose": "login", "code": code });
    let (s, v, _) = call(&app, "POST", "/v1/verifications/check", Some(check)).await;
    assert_eq!(s, 200, "{v}");
    let token = v["token"].as_str().unwrap().to_owned();
    let (s, v, _) = call(
        &app,
        "POST",
        "/v1/tokens/introspect",
        Some(json!({ "token": token })),
    )
    .await;
    assert_eq!((s.as_u16(), &v["phone"]), (200, &json!(PHONE)), "{v}");
    let msg = json!({ "location_id": "42", "phone": OTHER, "purpose": "login", "code": "1234", "client_ip": IP });
    // With an Idempotency-Key: its record (the first answer) is stored too.
    let req = test::TestRequest::post()
        .uri("/v1/messages")
        .insert_header(("authorization", "Bearer k"))
        .insert_header(("idempotency-key", "privacy-1"))
        .set_json(msg)
        .to_request();
    let resp = test::call_service(&app, req).await;
    assert!(resp.status().is_success(), "{}", resp.status());
}

/// Fails if any text of the raw store names the phones or the client IP.
fn assert_clean(what: &str, texts: &[String]) {
    assert!(
        texts.len() > 5,
        "{what}: the store holds the traffic: {texts:?}"
    );
    for t in texts {
        for secret in [DIGITS, "9997654321", IP] {
            assert!(!t.contains(secret), "{what} holds `{secret}` in clear: {t}");
        }
    }
}

/// Every key and value of the SQLite file, read with rusqlite.
fn sqlite_texts(dir: &std::path::Path) -> Vec<String> {
    let db = rusqlite::Connection::open(dir.join("data/gateway.db")).unwrap();
    let mut out = Vec::new();
    let mut kv = db.prepare("SELECT ns, key, value FROM kv").unwrap();
    let rows = kv
        .query_map([], |r| {
            Ok(format!(
                "{}|{}|{}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?
            ))
        })
        .unwrap();
    out.extend(rows.map(Result::unwrap));
    let mut quotas = db.prepare("SELECT key, state FROM quotas").unwrap();
    let rows = quotas
        .query_map([], |r| {
            Ok(format!(
                "{}|{}",
                r.get::<_, String>(0)?,
                String::from_utf8_lossy(&r.get::<_, Vec<u8>>(1)?)
            ))
        })
        .unwrap();
    out.extend(rows.map(Result::unwrap));
    out
}

/// Every key and value (strings, sorted-set members) of a `redis-server`.
async fn redis_texts(port: u16) -> Vec<String> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut c)
        .await
        .unwrap();
    let mut out = Vec::new();
    for key in keys {
        let kind: String = redis::cmd("TYPE")
            .arg(&key)
            .query_async(&mut c)
            .await
            .unwrap();
        let value: Vec<String> = match kind.as_str() {
            "string" => vec![
                redis::cmd("GET")
                    .arg(&key)
                    .query_async(&mut c)
                    .await
                    .unwrap(),
            ],
            "zset" => redis::cmd("ZRANGE")
                .arg(&key)
                .arg(0)
                .arg(-1)
                .query_async(&mut c)
                .await
                .unwrap(),
            other => vec![format!("(a {other})")],
        };
        out.push(format!("{key}|{}", value.join(",")));
    }
    out
}

#[actix_rt::test]
async fn the_sqlite_file_holds_no_phone_and_no_client_ip() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "");
    let store = SqliteStore::open(&cfg.store.data_dir, Duration::from_secs(5)).unwrap();
    let state = instance(cfg, Arc::new(store), &ManualClock::at_epoch()).await;
    traffic(&state, dir.path()).await;
    let texts = sqlite_texts(dir.path());
    assert!(texts.iter().any(|t| t.starts_with("q:phone:")), "{texts:?}");
    assert_clean("the SQLite file", &texts);
}

#[actix_rt::test]
async fn redis_holds_no_phone_and_no_client_ip() {
    let server = redis_server::redis();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        &format!(
            "[store]\nbackend = \"redis\"\n[store.redis]\nurl = \"redis://127.0.0.1:{}\"",
            server.1
        ),
    );
    let store = RedisStore::connect(&cfg.store.redis).await.unwrap();
    let state = instance(cfg, Arc::new(store), &ManualClock::at_epoch()).await;
    traffic(&state, dir.path()).await;
    let texts = redis_texts(server.1).await;
    assert!(
        texts.iter().any(|t| t.contains("quota:q:phone:")),
        "{texts:?}"
    );
    assert_clean("redis", &texts);
}

/// What an earlier version left in `store` at `now`: a send to [`PHONE`] counted under
/// its clear key (the checks it made: cooldown, hour, day), and a pending
/// verification of [`OTHER`] holding its phone in clear under a clear slot key.
/// Returns that verification's code.
async fn before_the_upgrade(store: &dyn Store, now: i64) -> String {
    let check = |window_ms: i64, limit: u32| QuotaCheck {
        key: format!("limits:phone:{PHONE}"),
        window_ms,
        limit,
    };
    let counted = store
        .quota_acquire(
            &[check(60_000, 1), check(3_600_000, 5), check(86_400_000, 10)],
            now,
        )
        .await
        .unwrap();
    assert!(counted.is_ok());
    let secret = ServerSecret::new(SECRET.as_bytes().to_vec());
    let salt = [7u8; 32];
    let code = secret.derive_code(&salt, 6);
    let expires_at = now + 600_000;
    let record = json!({
        "id": "ver_old", "location_id": "42", "phone": OTHER, "purpose": "login",
        "status": "pending", "salt": hex::encode(salt), "code_length": 6,
        "code_hash": secret.code_hash("ver_old", &code), "attempts_left": 5, "sends": 1,
        "created_at": now, "expires_at": expires_at, "last_sent_at": now,
        "adapter": "mock", "channel": "sms", "message_id": "msg_old"
    });
    let keep = Some(expires_at + 3_600_000);
    store
        .put(Ns::Verification, "ver_old", record.to_string(), keep, now)
        .await
        .unwrap();
    store
        .put(
            Ns::PendingVerification,
            &format!("42:{OTHER}:login"),
            "ver_old".into(),
            keep,
            now,
        )
        .await
        .unwrap();
    code
}

/// After start-up moved the old rows: the old cooldown holds, the old verification
/// is found by phone and approved, and nothing is left under a clear key.
async fn after_the_upgrade(state: &AppState, code: &str) {
    let app = test::init_service(build_app(web::Data::new(state.clone()))).await;
    support::location_42(&app).await;
    let msg = json!({ "location_id": "42", "phone": PHONE, "purpose": "login", "code": "1234" });
    let (s, p, retry) = call(&app, "POST", "/v1/messages", Some(msg)).await;
    assert_eq!(
        (s.as_u16(), &p["code"]),
        (429, &json!("resend_cooldown")),
        "{p}"
    );
    assert!(retry.is_some());
    let (s, v, _) = call(&app, "GET", "/v1/verifications/ver_old", None).await;
    assert_eq!(
        (s.as_u16(), &v["phone"]),
        (200, &json!("+7999***4321")),
        "{v}"
    );
    let check = json!({ "location_id": "42", "phone": OTHER, "purpose": "login", "code": code });
    let (s, v, _) = call(&app, "POST", "/v1/verifications/check", Some(check)).await;
    assert_eq!((s.as_u16(), &v["status"]), (200, &json!("approved")), "{v}");
    let token = v["token"].as_str().unwrap().to_owned();
    let (s, v, _) = call(
        &app,
        "POST",
        "/v1/tokens/introspect",
        Some(json!({ "token": token })),
    )
    .await;
    assert_eq!((s.as_u16(), &v["phone"]), (200, &json!(OTHER)), "{v}");
}

#[actix_rt::test]
async fn sqlite_rows_of_an_earlier_version_keep_counting_after_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "");
    let clock = ManualClock::at_epoch();
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(&cfg.store.data_dir, Duration::from_secs(5)).unwrap());
    let code =
        before_the_upgrade(store.as_ref(), gateway::store::millis(clock.now()) - 10_000).await;
    let state = instance(cfg, store, &clock).await;
    let keys = sqlite_texts(dir.path());
    assert!(!keys.iter().any(|t| t.contains("limits:")), "{keys:?}");
    after_the_upgrade(&state, &code).await;
}

#[actix_rt::test]
async fn redis_keys_of_an_earlier_version_keep_counting_after_the_upgrade() {
    let server = redis_server::redis();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        &format!(
            "[store]\nbackend = \"redis\"\n[store.redis]\nurl = \"redis://127.0.0.1:{}\"",
            server.1
        ),
    );
    let clock = ManualClock::at_epoch();
    let store: Arc<dyn Store> = Arc::new(RedisStore::connect(&cfg.store.redis).await.unwrap());
    let code =
        before_the_upgrade(store.as_ref(), gateway::store::millis(clock.now()) - 10_000).await;
    // Two instances starting at once move each key once.
    let (state, _other) = tokio::join!(
        instance(cfg.clone(), store.clone(), &clock),
        instance(cfg.clone(), store.clone(), &clock)
    );
    let keys = redis_texts(server.1).await;
    assert!(!keys.iter().any(|t| t.contains("limits:")), "{keys:?}");
    after_the_upgrade(&state, &code).await;
}
