//! The gateway configuration the benchmark runs: the example's shape (mock adapter,
//! info-level logs, SQLite in a temporary data dir), every quota at its default except
//! `location_per_minute` (raised to 1000: the load goes round [`LOCATIONS`] locations,
//! each getting a few hundred sends a minute at full rate), and short message
//! retention for the memory soak. Per-phone and per-IP limits never refuse: every
//! request uses a phone and a client IPv6 /48 no other request uses.

use anyhow::{Context, Result, bail};
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The API key the benchmark sends (`Authorization: Bearer …`).
pub const TOKEN: &str = "bench-secret-key";

/// Locations the load goes round (`bench-0` … `bench-999`).
pub const LOCATIONS: u32 = 1000;

/// Knobs that differ between scenarios.
pub struct BenchConfig<'a> {
    /// Directory holding `libadapter_mock.so`.
    pub adapters_dir: &'a Path,
    /// Mock outbox file (`None`: the default `<data_dir>/mock-outbox.jsonl`).
    pub outbox: Option<&'a str>,
    /// `store.message_retention`.
    pub retention: Duration,
    /// `store.prune_interval`.
    pub prune_interval: Duration,
}

/// The hash of [`TOKEN`] as the real `gateway hash-key` prints it.
pub fn token_hash(gateway: &Path) -> Result<String> {
    let mut child = Command::new(gateway)
        .arg("hash-key")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("run gateway hash-key")?;
    child
        .stdin
        .take()
        .context("stdin")?
        .write_all(TOKEN.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("gateway hash-key failed");
    }
    Ok(String::from_utf8(out.stdout)?.trim().to_owned())
}

/// The TOML text.
pub fn render(cfg: &BenchConfig<'_>, hash: &str) -> String {
    let outbox = cfg
        .outbox
        .map(|o| format!("outbox = \"{o}\"\n"))
        .unwrap_or_default();
    format!(
        r#"adapters_dir = "{dir}"

[store]
message_retention = "{retention}"
prune_interval = "{prune}"

[[auth.api_keys]]
name = "bench"
hash = "{hash}"

[log]
level = "info,actix_server=warn"

[routing]
default_channels = ["mock"]

# The load goes round 1000 locations; at full rate each sees a few hundred sends a minute.
[limits]
location_per_minute = 1000

[[adapters]]
name = "mock"
library = "libadapter_mock.so"

[adapters.settings]
{outbox}"#,
        dir = cfg.adapters_dir.display(),
        retention = humantime::format_duration(cfg.retention),
        prune = humantime::format_duration(cfg.prune_interval),
    )
}
