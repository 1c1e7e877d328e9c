//! One gateway instance (its whole `AppState`) on a shared real `redis-server`, with
//! in-process mock adapters: what the tests of several replicas build once per
//! replica. Included with `mod` next to `support/redis.rs`.

use super::redis::Redis;
use adapter_mock_core::MockAdapter;
use gateway::adapters::{AdapterInstance, Adapters, HostContext, InProcess};
use gateway::clock::ManualClock;
use gateway::config::Config;
use gateway::state::AppState;
use gateway::store::RedisStore;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// An instance on `redis` with its data in `dir`, the API key `k`, and `toml` for the
/// rest of its configuration (routing, `[[adapters]]`, limits, the secret). `mocks`
/// names the in-process mock instances to create and their settings; `data/` of
/// `dir` is their data directory (outboxes).
pub async fn replica(
    redis: &Redis,
    clock: &ManualClock,
    dir: &std::path::Path,
    toml: &str,
    mocks: &[(&str, Value)],
) -> AppState {
    let file = dir.join("gateway.toml");
    let key_hash = gateway::auth::hash_key("k");
    std::fs::write(
        &file,
        format!(
            "[[auth.api_keys]]\nname = \"t\"\nhash = \"{key_hash}\"\n\
             [store]\nbackend = \"redis\"\n[store.redis]\nurl = \"redis://127.0.0.1:{}\"\n{toml}",
            redis.1
        ),
    )
    .unwrap();
    let mut cfg = Config::load(Some(&file), Some(Default::default())).unwrap();
    cfg.store.data_dir = dir.join("data");
    let store = RedisStore::connect(&cfg.store.redis).await.unwrap();
    let ctx = HostContext {
        data_dir: cfg.store.data_dir.clone(),
        public_url: None,
        reports: None,
    };
    let instances = mocks
        .iter()
        .map(|(name, settings)| -> Arc<dyn AdapterInstance> {
            Arc::new(
                InProcess::<MockAdapter>::create(
                    name,
                    settings.clone(),
                    &ctx,
                    Duration::from_secs(5),
                )
                .unwrap(),
            )
        })
        .collect();
    gateway::server::state_with(
        cfg,
        Arc::new(clock.clone()),
        Arc::new(store),
        Adapters::from_instances(instances),
    )
    .await
    .unwrap()
}
