//! The benchmark's result table, in markdown: one row per scenario with throughput,
//! latency, errors, the server's CPU time and peak memory, and the ratio to the
//! baseline's requests per second.

use std::fmt::Write as _;

/// One measured scenario.
#[derive(Debug, Clone)]
pub struct Row {
    /// What was driven (`POST /v1/messages`).
    pub scenario: String,
    /// Which server (`gateway`, `baseline`).
    pub server: &'static str,
    /// Connections (wrk) or concurrent flows (driver).
    pub concurrency: u32,
    /// Seconds of load.
    pub secs: f64,
    /// Completed operations (requests, or flows).
    pub ops: u64,
    /// Unit of `ops` (`req`, `flow`).
    pub unit: &'static str,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
    /// Errors of any kind.
    pub errors: u64,
    /// Server CPU seconds (user + system) during the load.
    pub cpu_secs: f64,
    /// Server peak RSS (VmHWM), MiB.
    pub peak_rss_mib: f64,
    /// ops/s divided by the baseline's requests/s, if compared.
    pub ratio: Option<f64>,
}

impl Row {
    /// Operations per second.
    pub fn rate(&self) -> f64 {
        self.ops as f64 / self.secs
    }
}

/// The table, with a heading line.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| scenario | server | conc. | ops/s | p50 ms | p99 ms | errors | CPU s | CPU µs/op | peak RSS MiB | vs baseline |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let per_op = if r.ops > 0 {
            r.cpu_secs * 1e6 / r.ops as f64
        } else {
            0.0
        };
        let ratio = r
            .ratio
            .map(|x| format!("{:.0}%", x * 100.0))
            .unwrap_or_else(|| "—".into());
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0} {}/s | {:.2} | {:.2} | {} | {:.1} | {:.0} | {:.1} | {} |",
            r.scenario,
            r.server,
            r.concurrency,
            r.rate(),
            r.unit,
            r.p50_ms,
            r.p99_ms,
            r.errors,
            r.cpu_secs,
            per_op,
            r.peak_rss_mib,
            ratio
        );
    }
    out
}
