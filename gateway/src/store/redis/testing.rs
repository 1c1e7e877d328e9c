//! Real `redis-server` processes for tests: a standalone server or a 3-master Cluster on
//! ephemeral ports in a temp dir, killed when dropped. `redis-server` and `redis-cli`
//! must be on PATH (`.ci/install-redis.sh` installs them).

use super::{RedisConfig, RedisStore};
use gateway_sdk::Secret;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A free TCP port on 127.0.0.1 (the OS picks it; released just before use).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("an ephemeral port")
}

/// One `redis-server` process; killed on drop.
pub(crate) struct Server {
    child: Child,
    /// Its port on 127.0.0.1.
    pub(crate) port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn spawn(extra: &[&str]) -> Self {
        Self::spawn_on(free_port(), extra)
    }

    /// A standalone server on a given port (to restart one where clients expect it).
    pub(crate) fn standalone_on(port: u16) -> Self {
        Self::spawn_on(port, &[])
    }

    fn spawn_on(port: u16, extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut cmd = Command::new("redis-server");
        cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .arg("--dir")
            .arg(dir.path())
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = cmd
            .spawn()
            .expect("redis-server on PATH (run .ci/install-redis.sh)");
        let server = Self {
            child,
            port,
            _dir: dir,
        };
        server.wait_until(|out| out.contains("PONG"), &["PING"]);
        server
    }

    /// A standalone server.
    pub(crate) fn standalone() -> Self {
        Self::spawn(&[])
    }

    /// `redis://127.0.0.1:<port>`.
    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Runs `redis-cli` against this server and returns its output.
    pub(crate) fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli on PATH");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn wait_until(&self, ok: impl Fn(&str) -> bool, args: &[&str]) {
        for _ in 0..200 {
            if ok(&self.cli(args)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("redis-server on port {} did not get ready", self.port);
    }
}

/// A Redis Cluster of three masters (no replicas); killed on drop.
pub(crate) struct Cluster {
    /// Its nodes.
    pub(crate) nodes: Vec<Server>,
}

impl Cluster {
    /// Starts three cluster-enabled servers and joins them with `redis-cli --cluster create`.
    pub(crate) fn start() -> Self {
        let nodes: Vec<Server> = (0..3)
            .map(|_| {
                let bus = free_port().to_string();
                Server::spawn(&[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    "5000",
                    "--cluster-port",
                    &bus,
                ])
            })
            .collect();
        let addrs: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let out = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addrs)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .output()
            .expect("redis-cli on PATH");
        assert!(
            out.status.success(),
            "redis-cli --cluster create failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        for n in &nodes {
            n.wait_until(|out| out.contains("cluster_state:ok"), &["CLUSTER", "INFO"]);
        }
        Self { nodes }
    }

    /// `redis://…` of every node.
    pub(crate) fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(Server::url).collect()
    }
}

/// A key prefix no other store of this test process uses.
pub(crate) fn unique_prefix() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("t{}:", N.fetch_add(1, Ordering::Relaxed))
}

/// A store on a standalone server.
pub(crate) async fn standalone_store(server: &Server) -> RedisStore {
    let cfg = RedisConfig {
        url: Some(Secret::new(server.url())),
        key_prefix: unique_prefix(),
        ..RedisConfig::default()
    };
    RedisStore::connect(&cfg).await.expect("connect to redis")
}

/// A store on a Cluster.
pub(crate) async fn cluster_store(cluster: &Cluster) -> RedisStore {
    let cfg = RedisConfig {
        cluster_nodes: cluster.urls().into_iter().map(Secret::new).collect(),
        key_prefix: unique_prefix(),
        ..RedisConfig::default()
    };
    RedisStore::connect(&cfg)
        .await
        .expect("connect to the cluster")
}
