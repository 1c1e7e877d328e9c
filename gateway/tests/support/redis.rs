//! A real `redis-server` for the gateway tests that share a store between instances
//! (each `gateway/tests/*.rs` is its own crate and includes this with `mod`).

use std::process::{Command, Stdio};
use std::time::Duration;

/// A `redis-server` on an ephemeral port in a temp dir (kept while it runs), killed on
/// drop.
pub struct Redis(
    /// The process.
    pub std::process::Child,
    /// Its port.
    pub u16,
    /// Its working directory, kept while it runs.
    #[allow(dead_code)]
    pub tempfile::TempDir,
);

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts one.
pub fn redis() -> Redis {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .arg("--dir")
        .arg(dir.path())
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server on PATH (run .ci/install-redis.sh)");
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Redis(child, port, dir);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("redis-server did not start");
}
