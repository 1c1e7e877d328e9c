//! `[store] backend` and `[store.redis]`: which backend holds state and how the gateway
//! reaches a shared Redis (standalone or Cluster).

use gateway_sdk::Secret;
use serde::Deserialize;
use std::time::Duration;

/// Which backend holds state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreBackend {
    /// One embedded SQLite file in `store.data_dir` (one gateway instance).
    #[default]
    Sqlite,
    /// A Redis shared by every gateway instance (`[store.redis]`).
    Redis,
}

/// `[store.redis]`: the shared backend's connection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedisConfig {
    /// A standalone server (or a managed service's endpoint):
    /// `redis://[user:password@]host:port/db`, or `rediss://` for TLS. A secret, since
    /// it may carry the password: write `{ env = "REDIS_URL" }` to read it from the
    /// environment.
    pub url: Option<Secret>,
    /// Redis Cluster seed nodes (`redis://host:port`, each may be `{ env = "VAR" }`);
    /// set this instead of `url` for a Cluster.
    pub cluster_nodes: Vec<Secret>,
    /// Prefix of every key, so several deployments can share one Redis. In Cluster mode
    /// it is also the hash tag (`{gw:}…`) that keeps every key of one deployment in one
    /// slot (see `store/redis.rs`).
    pub key_prefix: String,
    /// Multiplexed connections per gateway process (commands are pipelined on each).
    pub connections: usize,
    /// How long connecting (and reconnecting) may take.
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
    /// How long one store operation may wait for Redis before it fails with
    /// `503 store_unavailable`.
    #[serde(with = "humantime_serde")]
    pub command_timeout: Duration,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            url: None,
            cluster_nodes: Vec::new(),
            key_prefix: "gw:".into(),
            connections: 2,
            connect_timeout: Duration::from_secs(2),
            command_timeout: Duration::from_secs(1),
        }
    }
}

impl RedisConfig {
    /// Checks what serde cannot; the error names the key (`store.redis.url`).
    pub fn validate(&self) -> Result<(), (String, String)> {
        let bad = |k: &str, m: &str| Err((format!("store.redis.{k}"), m.to_owned()));
        match (&self.url, self.cluster_nodes.is_empty()) {
            (None, true) => {
                return bad(
                    "url",
                    "backend = \"redis\" needs `store.redis.url` (standalone) or `store.redis.cluster_nodes` (Cluster)",
                );
            }
            (Some(_), false) => {
                return bad(
                    "cluster_nodes",
                    "set either `url` or `cluster_nodes`, not both",
                );
            }
            _ => {}
        }
        if let Some(url) = &self.url {
            check_url(url.expose()).or_else(|m| bad("url", &m))?;
        }
        for (i, node) in self.cluster_nodes.iter().enumerate() {
            check_url(node.expose()).or_else(|m| bad(&format!("cluster_nodes[{i}]"), &m))?;
        }
        if self.key_prefix.is_empty() || self.key_prefix.contains(['{', '}']) {
            return bad("key_prefix", "must be non-empty and contain no `{` or `}`");
        }
        if self.connections == 0 || self.connections > 64 {
            return bad("connections", "must be 1 to 64");
        }
        if self.connect_timeout.is_zero() || self.command_timeout.is_zero() {
            return bad(
                "command_timeout",
                "connect_timeout and command_timeout must be greater than zero",
            );
        }
        Ok(())
    }
}

/// Parses a Redis URL the way the client will; the message never repeats the URL (it
/// may hold a password).
fn check_url(url: &str) -> Result<(), String> {
    if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
        return Err("must start with redis:// or rediss://".into());
    }
    redis::Client::open(url)
        .map(|_| ())
        .map_err(|e| format!("is not a usable Redis URL ({:?})", e.kind()))
}
