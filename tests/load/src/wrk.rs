//! Runs `wrk` (the established HTTP load generator, from Debian's `wrk` package) at a
//! fixed number of connections for a fixed time, and reads the summary our Lua scripts
//! print as one `BENCH_JSON {…}` line.

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// What a wrk run measured (latencies in microseconds).
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct WrkSummary {
    /// Completed requests.
    pub requests: u64,
    /// The run's length.
    pub duration_us: u64,
    /// Median latency.
    pub p50_us: u64,
    /// 99th percentile latency.
    pub p99_us: u64,
    /// Socket connect errors.
    pub connect: u64,
    /// Read errors.
    pub read: u64,
    /// Write errors.
    pub write: u64,
    /// Responses outside 2xx/3xx.
    pub status: u64,
    /// Requests that timed out.
    pub timeout: u64,
}

impl WrkSummary {
    /// Every kind of error together.
    pub fn errors(&self) -> u64 {
        self.connect + self.read + self.write + self.status + self.timeout
    }

    /// Requests per second.
    pub fn rps(&self) -> f64 {
        self.requests as f64 / (self.duration_us as f64 / 1e6)
    }
}

/// One wrk invocation.
pub struct WrkRun<'a> {
    /// `http://127.0.0.1:<port>/path`.
    pub url: &'a str,
    /// The Lua script.
    pub script: &'a Path,
    /// Arguments after `--` for the script.
    pub script_args: &'a [&'a str],
    /// Open connections.
    pub connections: u32,
    /// wrk threads.
    pub threads: u32,
    /// How long.
    pub duration: Duration,
}

impl WrkRun<'_> {
    /// Runs wrk and parses its summary.
    pub fn run(&self) -> Result<WrkSummary> {
        assert!(
            self.url.starts_with("http://127.0.0.1:"),
            "the benchmark only ever targets loopback"
        );
        let out = Command::new("wrk")
            .arg("-t")
            .arg(self.threads.to_string())
            .arg("-c")
            .arg(self.connections.to_string())
            .arg("-d")
            .arg(format!("{}s", self.duration.as_secs().max(1)))
            .arg("--timeout")
            .arg("5s")
            .arg("-s")
            .arg(self.script)
            .arg(self.url)
            .arg("--")
            .args(self.script_args)
            .output()
            .context("run wrk (install it: apt-get install -y wrk)")?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            bail!(
                "wrk failed: {}\n{stdout}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("BENCH_JSON "))
            .with_context(|| format!("no BENCH_JSON line in wrk output:\n{stdout}"))?;
        serde_json::from_str(line).context("parse wrk summary")
    }
}
