//! A real `redis-server` for the cross-instance tests: started on an ephemeral loopback
//! port in its own temp dir (AOF on, `appendfsync everysec`, as docs/scale-out.md
//! recommends), killed when dropped; can be killed and restarted on the same port and
//! data. `redis-server` must be on PATH (`.ci/install-redis.sh`).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// One `redis-server` process.
pub struct RedisServer {
    child: Option<Child>,
    /// Its port on 127.0.0.1.
    pub port: u16,
    dir: tempfile::TempDir,
}

impl RedisServer {
    /// Starts a server on a free port.
    pub fn start() -> RedisServer {
        let mut s = RedisServer {
            child: None,
            port: crate::free_port(),
            dir: tempfile::tempdir().expect("temp dir"),
        };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
            ])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server on PATH (run .ci/install-redis.sh)");
        self.child = Some(child);
        for _ in 0..400 {
            if self.cli(&["PING"]).contains("PONG") {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("redis-server on port {} did not get ready", self.port);
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Its data directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Kills the server (SIGKILL: no last write).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port and data.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Runs `redis-cli` against it and returns what it printed.
    pub fn cli(&self, args: &[&str]) -> String {
        Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }

    /// The `[store]` TOML for a gateway sharing this server (with `backend = "redis"`
    /// the gateway also needs `verification.secret`).
    pub fn store_toml(&self) -> String {
        format!(
            "[store]\nbackend = \"redis\"\n\n[store.redis]\nurl = \"{}\"\nkey_prefix = \"e2e:\"\ncommand_timeout = \"500ms\"\nconnect_timeout = \"500ms\"\n",
            self.url()
        )
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
