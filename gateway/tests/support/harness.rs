//! The in-process app harness the clock-driven tests share (each `gateway/tests/*.rs`
//! is its own crate and includes this with `mod support;`).

use adapter_mock_core::MockAdapter;
use gateway::adapters::{Adapters, HostContext, InProcess};
use gateway::clock::ManualClock;
use gateway::config::Config;
use gateway::store::SqliteStore;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// A gateway app state on a manual clock, SQLite in a temp dir and the mock adapter
/// in process; the API key is `k`.
pub struct Harness {
    pub clock: ManualClock,
    pub dir: tempfile::TempDir,
    pub state: gateway::state::AppState,
}

/// A harness whose config adds `toml` to the base (key, mock route).
#[allow(dead_code)] // not every test binary uses the default instance
pub async fn harness(toml: &str) -> Harness {
    harness_with(toml, &[("mock", json!({}))]).await
}

/// [`harness`] with these in-process mock instances (name, mock settings) instead of
/// the one `mock` (a relative `outbox` is in the data directory); the config's
/// `[[adapters]]` entry is still `mock` only.
pub async fn harness_with(toml: &str, instances: &[(&str, Value)]) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gateway.toml");
    let key_hash = gateway::auth::hash_key("k");
    std::fs::write(
        &file,
        format!("[[auth.api_keys]]\nname = \"t\"\nhash = \"{key_hash}\"\n[routing]\ndefault_channels = [\"mock\"]\n[[adapters]]\nname = \"mock\"\nlibrary = \"in-process\"\n{toml}"),
    )
    .unwrap();
    let mut cfg = Config::load(Some(&file), Some(Default::default())).unwrap();
    cfg.store.data_dir = dir.path().join("data");
    let clock = ManualClock::at_epoch();
    let store = SqliteStore::open(&cfg.store.data_dir, Duration::from_secs(5)).unwrap();
    let ctx = HostContext {
        data_dir: cfg.store.data_dir.clone(),
        public_url: None,
        reports: None,
    };
    let instances: Vec<Arc<dyn gateway::adapters::AdapterInstance>> = instances
        .iter()
        .map(|(name, settings)| {
            let mut settings = settings.clone();
            if let Some(outbox) = settings.get("outbox").and_then(Value::as_str) {
                let path = cfg.store.data_dir.join(outbox);
                settings["outbox"] = json!(path);
            }
            let mock =
                InProcess::<MockAdapter>::create(name, settings, &ctx, Duration::from_secs(5))
                    .unwrap();
            Arc::new(mock) as Arc<dyn gateway::adapters::AdapterInstance>
        })
        .collect();
    let adapters = Adapters::from_instances(instances);
    let state =
        gateway::server::state_with(cfg, Arc::new(clock.clone()), Arc::new(store), adapters)
            .await
            .unwrap();
    Harness { clock, dir, state }
}

/// Calls the app with the harness's API key: the status, the JSON body (`null` if
/// none) and the `Retry-After` header.
#[allow(dead_code)] // not every test binary calls over HTTP
pub async fn call(
    app: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
    >,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (actix_web::http::StatusCode, Value, Option<String>) {
    let mut req = actix_web::test::TestRequest::default()
        .method(method.parse().unwrap())
        .uri(path)
        .insert_header(("authorization", "Bearer k"));
    if let Some(b) = body {
        req = req.set_json(b);
    }
    let resp = actix_web::test::call_service(app, req.to_request()).await;
    let status = resp.status();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = actix_web::test::read_body(resp).await;
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        retry,
    )
}

/// Creates location `42` in Russia (`201`).
#[allow(dead_code)] // not every test binary creates it
pub async fn location_42(
    app: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
    >,
) {
    let body = serde_json::json!({ "location_name": "L", "country": "RU" });
    let (s, v, _) = call(app, "PUT", "/v1/locations/42", Some(body)).await;
    assert_eq!(s, 201, "{v}");
}

impl Harness {
    /// The codes the mock has sent, oldest first.
    #[allow(dead_code)] // not every test binary reads codes
    pub fn codes(&self) -> Vec<String> {
        outbox_codes(&self.dir.path().join("data/mock-outbox.jsonl"))
    }
}

/// The codes in a mock adapter's outbox file, oldest first (none if it does not exist).
#[allow(dead_code)] // not every test binary reads an outbox
pub fn outbox_codes(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["code"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}
