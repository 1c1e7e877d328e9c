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
    /// Which interleaved round (0: the scenario runs once, after the rounds).
    pub round: u32,
    /// ops/s divided by the same round's baseline requests/s, if compared.
    pub ratio: Option<f64>,
    /// ops/s divided by the same round's Kannel requests/s, if compared.
    pub vs_kannel: Option<f64>,
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
        "| round | scenario | server | conc. | ops/s | p50 ms | p99 ms | errors | CPU s | CPU µs/op | peak RSS MiB | vs baseline | vs Kannel |\n\
         |---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let per_op = if r.ops > 0 {
            r.cpu_secs * 1e6 / r.ops as f64
        } else {
            0.0
        };
        let pct = |x: Option<f64>| {
            x.map(|x| format!("{:.0}%", x * 100.0))
                .unwrap_or_else(|| "—".into())
        };
        let round = if r.round == 0 {
            "—".to_owned()
        } else {
            r.round.to_string()
        };
        let _ = writeln!(
            out,
            "| {round} | {} | {} | {} | {:.0} {}/s | {:.2} | {:.2} | {} | {:.1} | {:.0} | {:.1} | {} | {} |",
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
            pct(r.ratio),
            pct(r.vs_kannel)
        );
    }
    out
}

/// One line per round with `POST /v1/messages`' ratios to Kannel and to the baseline,
/// and the CPU per message of the three.
pub fn ratios(rows: &[Row]) -> String {
    let mut out = String::new();
    for r in rows.iter().filter(|r| r.round > 0 && r.server == "gateway") {
        let per_op = |who: &str| {
            rows.iter()
                .find(|o| o.round == r.round && o.server == who && o.ops > 0)
                .map(|o| format!("{:.0}", o.cpu_secs * 1e6 / o.ops as f64))
                .unwrap_or_else(|| "—".into())
        };
        let x = |v: Option<f64>| v.map(|v| format!("{v:.2}×")).unwrap_or_else(|| "—".into());
        let _ = writeln!(
            out,
            "Round {}: gateway/Kannel {}, gateway/baseline {}; CPU µs per message: gateway {}, Kannel {}, baseline {}.",
            r.round,
            x(r.vs_kannel),
            x(r.ratio),
            per_op("gateway"),
            per_op("Kannel"),
            per_op("baseline")
        );
    }
    out
}
