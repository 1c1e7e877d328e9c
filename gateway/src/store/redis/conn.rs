//! Connections to Redis: a few multiplexed, self-reconnecting connections to a
//! standalone server (`ConnectionManager`), or one cluster connection (which keeps one
//! multiplexed connection per node and follows slot moves), behind one type. Also the
//! mapping of client errors onto [`StoreError`]: anything that says "not reachable
//! right now" is `Busy` (503, retried by the caller), the rest is `Backend`.

use super::RedisConfig;
use crate::store::StoreError;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, ServerErrorKind, Value};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One connection of either kind.
#[derive(Clone)]
pub(super) enum Conn {
    /// Standalone server.
    Single(ConnectionManager),
    /// Redis Cluster.
    Cluster(ClusterConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Single(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}

/// The connections of one store, handed out round-robin.
#[derive(Clone)]
pub(super) struct Pool {
    conns: Arc<[Conn]>,
    next: Arc<AtomicUsize>,
}

impl Pool {
    /// Connects as configured. Fails (naming the key, never the URL, which may hold a
    /// password) when the URL is unusable or the server does not answer.
    pub(super) async fn connect(cfg: &RedisConfig) -> Result<Self, StoreError> {
        let conns: Vec<Conn> = if let Some(url) = &cfg.url {
            let client = redis::Client::open(url.expose()).map_err(|e| {
                StoreError::Backend(format!("`store.redis.url` is not usable: {}", describe(&e)))
            })?;
            let manager_cfg = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(cfg.connect_timeout))
                .set_response_timeout(Some(cfg.command_timeout))
                // Reconnect attempts happen on later commands too; do not let one
                // command wait through a long backoff while Redis is down.
                .set_number_of_retries(1)
                .set_max_delay(cfg.connect_timeout);
            let mut out = Vec::with_capacity(cfg.connections);
            for _ in 0..cfg.connections {
                let m = ConnectionManager::new_with_config(client.clone(), manager_cfg.clone())
                    .await
                    .map_err(|e| {
                        StoreError::Busy(format!(
                            "cannot reach Redis at `store.redis.url`: {}",
                            describe(&e)
                        ))
                    })?;
                out.push(Conn::Single(m));
            }
            out
        } else {
            let nodes: Vec<&str> = cfg.cluster_nodes.iter().map(|s| s.expose()).collect();
            let client = redis::cluster::ClusterClient::builder(nodes)
                .connection_timeout(cfg.connect_timeout)
                .response_timeout(cfg.command_timeout)
                .retries(2)
                .build()
                .map_err(|e| {
                    StoreError::Backend(format!(
                        "`store.redis.cluster_nodes` is not usable: {}",
                        describe(&e)
                    ))
                })?;
            let c = client.get_async_connection().await.map_err(|e| {
                StoreError::Busy(format!(
                    "cannot reach the Redis Cluster at `store.redis.cluster_nodes`: {}",
                    describe(&e)
                ))
            })?;
            vec![Conn::Cluster(c)]
        };
        Ok(Self {
            conns: conns.into(),
            next: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// A connection to send the next command on.
    pub(super) fn get(&self) -> Conn {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.conns.len();
        self.conns[i].clone()
    }
}

/// A client error as text that never carries the URL.
fn describe(e: &RedisError) -> String {
    // The client's messages name the failing operation and the OS error, not the URL.
    e.to_string()
}

/// Maps a client error: unreachable, timed out, failing over or loading is `Busy`
/// (the caller answers 503 and the client reconnects by itself); anything else (a
/// script error, wrong type, refused credentials) is `Backend`.
pub(super) fn store_error(e: RedisError) -> StoreError {
    let busy = e.is_io_error()
        || e.is_timeout()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || matches!(
            e.kind(),
            ErrorKind::Io
                | ErrorKind::ClusterConnectionNotFound
                | ErrorKind::Server(
                    ServerErrorKind::BusyLoading
                        | ServerErrorKind::TryAgain
                        | ServerErrorKind::ClusterDown
                        | ServerErrorKind::MasterDown
                        | ServerErrorKind::ReadOnly
                )
        )
        // Out of memory (maxmemory with noeviction) and a long-running script are
        // conditions that pass, not defects.
        || e.code().is_some_and(|c| c == "OOM" || c == "BUSY");
    if busy {
        StoreError::Busy(format!("redis: {}", describe(&e)))
    } else {
        StoreError::Backend(format!("redis: {}", describe(&e)))
    }
}
