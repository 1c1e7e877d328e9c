//! The shared harness of the end-to-end tests: starts the real `gateway` binary on an
//! ephemeral loopback port with a temporary data directory and the real adapter
//! libraries, and talks to it over HTTP.
//!
//! Binaries and libraries are found next to this test executable (`target/<profile>`);
//! the README's test command builds them first (`cargo build --workspace`).

pub mod redis;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The development API key of the example configuration.
pub const DEV_KEY: &str = "dev-secret";

/// `target/<profile>`: where cargo put this test binary's siblings.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    // target/<profile>/deps/e2e-<hash>
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>")
        .to_path_buf()
}

/// A built artefact in `target/<profile>`, or a panic saying how to build it.
pub fn artefact(name: &str) -> PathBuf {
    let path = target_dir().join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace` before the tests (the README's test command does)",
        path.display()
    );
    path
}

/// The configuration every test starts from: the dev key and the mock adapter
/// instance `mock`, with `extra` TOML appended.
pub fn config(extra: &str) -> String {
    format!(
        r#"adapters_dir = "{dir}"

[[auth.api_keys]]
name = "dev"
hash = "{hash}"

[log]
level = "info,actix_server=warn"

[routing]
default_channels = ["mock"]

[[adapters]]
name = "mock"
library = "libadapter_mock.so"

{extra}
"#,
        dir = target_dir().display(),
        hash = dev_key_hash(),
    )
}

/// The hash of [`DEV_KEY`], computed by the real `gateway hash-key`.
pub fn dev_key_hash() -> String {
    use std::io::Write;
    let mut child = Command::new(artefact("gateway"))
        .arg("hash-key")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run gateway hash-key");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(DEV_KEY.as_bytes())
        .expect("write key");
    let out = child.wait_with_output().expect("hash-key output");
    assert!(out.status.success(), "hash-key failed");
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}

/// A loopback port that was free a moment ago: bound on `127.0.0.1:0`, read, released.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// A running gateway process.
pub struct Gateway {
    /// The process; `None` once stopped.
    child: Option<Child>,
    /// The bound address.
    pub addr: SocketAddr,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The data directory (kept across restarts).
    pub data_dir: PathBuf,
    /// The configuration file.
    pub config_path: PathBuf,
    /// Where the process's stderr (its log) goes.
    pub log_path: PathBuf,
    /// The `--listen` address (`127.0.0.1:0` unless started on a chosen port).
    listen: String,
    /// Environment variables set on the process (never on the test process).
    env: Vec<(String, String)>,
    /// Soft open-file limit the process starts under (`None`: the test process's).
    open_files: Option<u64>,
    /// HTTP client.
    http: reqwest::blocking::Client,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Headers, names lowercased.
    pub headers: reqwest::header::HeaderMap,
    /// The body as JSON (`Value::Null` when empty or not JSON).
    pub json: Value,
    /// The body as text.
    pub text: String,
}

impl Reply {
    /// A header value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts this is a problem+json with `status` and `code`, and returns it.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "body: {}",
            self.text
        );
        assert_eq!(self.json["code"], code, "body: {}", self.text);
        assert_eq!(self.json["status"], status);
        assert!(
            self.json["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "problem without detail: {}",
            self.text
        );
        &self.json
    }
}

impl Gateway {
    /// Starts a gateway with `config_toml` in a fresh temporary data directory.
    pub fn start(dir: &Path, config_toml: &str) -> Gateway {
        let data_dir = dir.join("data");
        let config_path = dir.join("gateway.toml");
        std::fs::write(&config_path, config_toml).expect("write config");
        Self::spawn(
            data_dir,
            config_path,
            dir.join("gateway.log"),
            "127.0.0.1:0".into(),
            Vec::new(),
            None,
        )
        .unwrap_or_else(|log| panic!("gateway did not start; its log:\n{log}"))
    }

    /// Like [`Gateway::start`], but a start that fails is `Err(its log)`.
    pub fn try_start(dir: &Path, config_toml: &str) -> Result<Gateway, String> {
        let config_path = dir.join("gateway.toml");
        std::fs::write(&config_path, config_toml).expect("write config");
        Self::spawn(
            dir.join("data"),
            config_path,
            dir.join("gateway.log"),
            "127.0.0.1:0".into(),
            Vec::new(),
            None,
        )
    }

    /// Like [`Gateway::start`], with the process started under a soft open-file limit of
    /// `soft` (as `ulimit -Sn` or systemd's `LimitNOFILE=soft:hard` would), the hard
    /// limit unchanged.
    pub fn start_with_open_file_limit(dir: &Path, config_toml: &str, soft: u64) -> Gateway {
        let config_path = dir.join("gateway.toml");
        std::fs::write(&config_path, config_toml).expect("write config");
        Self::spawn(
            dir.join("data"),
            config_path,
            dir.join("gateway.log"),
            "127.0.0.1:0".into(),
            Vec::new(),
            Some(soft),
        )
        .unwrap_or_else(|log| panic!("gateway did not start; its log:\n{log}"))
    }

    /// Starts a gateway on a loopback port picked beforehand, so its configuration can
    /// name its own address (`[server] public_url`, which providers sign callbacks
    /// over): `config_for(port)` gives the TOML. `env` is set on the gateway process
    /// only. If another process takes the port between picking and binding, starts
    /// again on a new one.
    pub fn start_on_own_port(
        dir: &Path,
        env: &[(&str, &str)],
        config_for: impl Fn(u16) -> String,
    ) -> Gateway {
        Self::start_sharing(dir, &dir.join("data"), env, config_for)
    }

    /// [`Gateway::start_on_own_port`] on the data directory `data_dir`, which another
    /// running gateway may share (a second instance on one store).
    pub fn start_sharing(
        dir: &Path,
        data_dir: &Path,
        env: &[(&str, &str)],
        config_for: impl Fn(u16) -> String,
    ) -> Gateway {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let mut last_log = String::new();
        for _ in 0..5 {
            let port = free_port();
            let config_path = dir.join("gateway.toml");
            std::fs::write(&config_path, config_for(port)).expect("write config");
            match Self::spawn(
                data_dir.to_path_buf(),
                config_path,
                dir.join("gateway.log"),
                format!("127.0.0.1:{port}"),
                env.clone(),
                None,
            ) {
                Ok(gw) => return gw,
                Err(log) if log.contains("cannot listen") => last_log = log,
                Err(log) => panic!("gateway did not start; its log:\n{log}"),
            }
        }
        panic!("gateway found no free port in 5 tries; its log:\n{last_log}");
    }

    /// Starts the process; `Err(log written by this start)` if it exits or stays silent
    /// before listening.
    fn spawn(
        data_dir: PathBuf,
        config_path: PathBuf,
        log_path: PathBuf,
        listen: String,
        env: Vec<(String, String)>,
        open_files: Option<u64>,
    ) -> Result<Gateway, String> {
        let log_start = std::fs::metadata(&log_path).map_or(0, |m| m.len() as usize);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .expect("log file");
        let mut command = match open_files {
            Some(n) => {
                let mut c = Command::new("sh");
                c.arg("-c")
                    .arg(format!("ulimit -Sn {n} && exec \"$0\" \"$@\""))
                    .arg(artefact("gateway"));
                c
            }
            None => Command::new(artefact("gateway")),
        };
        let mut child = command
            .arg("serve")
            .arg("--config")
            .arg(&config_path)
            .arg("--listen")
            .arg(&listen)
            .arg("--data-dir")
            .arg(&data_dir)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start gateway");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("gateway listening on ") {
                    let _ = tx.send(addr.trim().to_owned());
                }
            }
        });
        let addr: SocketAddr = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(a) => a.parse().expect("address"),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                let log = std::fs::read(&log_path).unwrap_or_default();
                let new = log.get(log_start..).unwrap_or_default();
                return Err(String::from_utf8_lossy(new).into_owned());
            }
        };
        // Idle pooled connections are dropped well before the server's keep-alive (5 s)
        // closes them, so a request never races the server's close on a loaded machine.
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .pool_idle_timeout(Duration::from_secs(2))
            .no_proxy()
            .build()
            .expect("client");
        Ok(Gateway {
            child: Some(child),
            addr,
            base: format!("http://{addr}"),
            data_dir,
            config_path,
            log_path,
            listen,
            env,
            open_files,
            http,
        })
    }

    /// Stops with SIGTERM (graceful) and starts again on the same config and data.
    pub fn restart(mut self) -> Gateway {
        let status = self.terminate();
        assert!(status.success(), "gateway exited with {status} on SIGTERM");
        Self::spawn(
            self.data_dir.clone(),
            self.config_path.clone(),
            self.log_path.clone(),
            self.listen.clone(),
            self.env.clone(),
            self.open_files,
        )
        .unwrap_or_else(|log| panic!("gateway did not restart; its log:\n{log}"))
    }

    /// Kills the process with SIGKILL (no shutdown, no flush: a crash) and reaps it.
    pub fn kill_hard(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("gateway running");
        child.kill().expect("SIGKILL the gateway");
        child.wait().expect("wait for gateway")
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("gateway running").id()
    }

    /// Starts the stopped (killed or exited) process again on the same config and data.
    pub fn start_again(mut self) -> Gateway {
        assert!(self.child.is_none(), "stop the gateway first");
        Self::spawn(
            self.data_dir.clone(),
            self.config_path.clone(),
            self.log_path.clone(),
            std::mem::take(&mut self.listen),
            std::mem::take(&mut self.env),
            None,
        )
        .unwrap_or_else(|log| panic!("gateway did not start again; its log:\n{log}"))
    }

    /// Kills the process with SIGKILL (no shutdown of any kind, as a crash or `kill -9`
    /// would) and starts again on the same config and data.
    pub fn kill_and_restart(mut self) -> Gateway {
        let mut child = self.child.take().expect("gateway running");
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        Self::spawn(
            self.data_dir.clone(),
            self.config_path.clone(),
            self.log_path.clone(),
            self.listen.clone(),
            self.env.clone(),
            None,
        )
        .unwrap_or_else(|log| panic!("gateway did not restart; its log:\n{log}"))
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub fn terminate(&mut self) -> ExitStatus {
        self.signal_term();
        self.wait()
    }

    /// Sends SIGTERM without waiting.
    pub fn signal_term(&self) {
        let child = self.child.as_ref().expect("gateway running");
        let ok = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()
            .expect("kill");
        assert!(ok.success());
    }

    /// Waits for the process to exit.
    pub fn wait(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("gateway running");
        child.wait().expect("wait for gateway")
    }

    /// Kills the process with SIGKILL (no shutdown, no last write) and waits for it.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("gateway running");
        let _ = child.kill();
        let _ = child.wait();
    }

    /// The process's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Sends a request; `key` is the API key (`None`: no Authorization header).
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>, key: Option<&str>) -> Reply {
        self.call_with(method, path, body, key, &[])
    }

    /// Sends a request with extra headers.
    pub fn call_with(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        Self::read(req.send().expect("request"))
    }

    /// Sends raw bytes with a content type, authenticated with the dev key.
    pub fn raw(&self, method: &str, path: &str, content_type: &str, body: Vec<u8>) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let resp = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(DEV_KEY)
            .header("content-type", content_type)
            .body(body)
            .send()
            .expect("request");
        Self::read(resp)
    }

    /// Sends `body` with `headers` to an absolute `url` (e.g. a callback URL the gateway
    /// handed a provider), without an API key, as a provider would.
    pub fn send_to(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: String,
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method, url).body(body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        Self::read(req.send().expect("request"))
    }

    fn read(resp: reqwest::blocking::Response) -> Reply {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            json,
            text,
        }
    }

    /// GET with the dev key.
    pub fn get(&self, path: &str) -> Reply {
        self.call("GET", path, None, Some(DEV_KEY))
    }

    /// PUT JSON with the dev key.
    pub fn put(&self, path: &str, body: &Value) -> Reply {
        self.call("PUT", path, Some(body), Some(DEV_KEY))
    }

    /// POST JSON with the dev key.
    pub fn post(&self, path: &str, body: &Value) -> Reply {
        self.call("POST", path, Some(body), Some(DEV_KEY))
    }

    /// DELETE with the dev key.
    pub fn delete(&self, path: &str) -> Reply {
        self.call("DELETE", path, None, Some(DEV_KEY))
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The lines of the mock adapter's outbox (what phones "received").
pub fn outbox(gw: &Gateway) -> Vec<Value> {
    let path = gw.data_dir.join("mock-outbox.jsonl");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("outbox lines are JSON"))
        .collect()
}

/// The codes the mock delivered to `phone`, oldest first.
pub fn codes_for(gw: &Gateway, phone: &str) -> Vec<String> {
    outbox(gw)
        .into_iter()
        .filter(|m| m["to"] == phone)
        .filter_map(|m| m["code"].as_str().map(str::to_owned))
        .collect()
}
