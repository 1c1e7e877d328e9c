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
pub async fn harness(toml: &str) -> Harness {
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
    let mock =
        InProcess::<MockAdapter>::create("mock", json!({}), &ctx, Duration::from_secs(5)).unwrap();
    let adapters = Adapters::from_instances(vec![Arc::new(mock)]);
    let state =
        gateway::server::state_with(cfg, Arc::new(clock.clone()), Arc::new(store), adapters)
            .await
            .unwrap();
    Harness { clock, dir, state }
}

impl Harness {
    /// The codes the mock has sent, oldest first.
    #[allow(dead_code)] // not every test binary reads codes
    pub fn codes(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("data/mock-outbox.jsonl"))
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
}
