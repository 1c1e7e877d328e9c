//! `loadbench`: the load benchmark of issue 9. Started by `tests/load/run.sh`, which
//! installs wrk if missing and builds everything in release mode first.
//!
//! Every scenario runs against a fresh server process on 127.0.0.1 (ephemeral port,
//! temporary data dir) at a fixed concurrency for a fixed time; the server's CPU time
//! and peak RSS come from `/proc`. Scenarios: the actix-web baseline (one JSON
//! handler), `POST /v1/messages`, complete verification flows, `GET /healthz`, and a
//! soak that pushes messages with short retention and watches RSS. Kannel (the peer
//! operators would otherwise run, with its durable store) takes the same load as
//! `POST /v1/messages`; the baseline, Kannel and `POST /v1/messages` run in
//! `--rounds` interleaved rounds (the order reversed every other round), and each
//! round's gateway figure is divided by the same round's baseline and Kannel figures,
//! so that a busy moment of the shared machine moves all three. The markdown table
//! goes to stdout and to `--out`.

mod flow;
mod gwconfig;
mod outbox;
mod proc;
mod report;
mod scenarios;
mod wrk;

use anyhow::{Context, Result};
use clap::Parser;
use std::path::PathBuf;
use std::time::Duration;

/// Command-line options; the defaults are the documented run (about 90 seconds).
#[derive(Parser, Debug)]
#[command(about = "Load benchmark: gateway vs a minimal actix-web baseline, on loopback")]
pub struct Args {
    /// Directory with `gateway`, `libadapter_mock.so` and `bench-baseline`
    /// (default: this executable's directory).
    #[arg(long)]
    pub bin_dir: Option<PathBuf>,
    /// Directory with the wrk Lua scripts.
    #[arg(long, default_value = "tests/load/lua")]
    pub lua_dir: PathBuf,
    /// Length of each throughput scenario (6 s by default keeps `tests/load/run.sh`
    /// under 6 minutes from a fresh clone; 72,000 requests at 12 k/s are plenty for a
    /// p99; pass `--duration 10s` or more for steadier figures).
    #[arg(long, default_value = "6s", value_parser = humantime::parse_duration)]
    pub duration: Duration,
    /// wrk connections, and concurrent flows of the verification driver.
    #[arg(long, default_value_t = 32)]
    pub connections: u32,
    /// wrk threads.
    #[arg(long, default_value_t = 2)]
    pub threads: u32,
    /// Length of the memory soak (0s skips it).
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub soak: Duration,
    /// wrk connections during the soak.
    #[arg(long, default_value_t = 64)]
    pub soak_connections: u32,
    /// `store.message_retention` during the soak.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    pub retention: Duration,
    /// Interleaved rounds of baseline, Kannel and `POST /v1/messages`.
    #[arg(long, default_value_t = 2)]
    pub rounds: u32,
    /// Run only these scenarios (comma-separated: `kannel`, `messages`,
    /// `verifications`, `healthz`); the baseline always runs, the soak unless `--soak 0s`.
    #[arg(long, value_delimiter = ',', value_parser = ["kannel", "messages", "verifications", "healthz"])]
    pub only: Vec<String>,
    /// Where the markdown report goes.
    #[arg(long, default_value = "target/bench/load-report.md")]
    pub out: PathBuf,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let bin_dir = match &args.bin_dir {
        Some(d) => d.clone(),
        None => std::env::current_exe()?
            .parent()
            .context("executable directory")?
            .to_path_buf(),
    };
    let work = tempfile::tempdir().context("temporary directory")?;
    let ctx = scenarios::Ctx::new(&args, &bin_dir, work.path())?;
    let wanted = |name: &str| args.only.is_empty() || args.only.iter().any(|o| o == name);
    let mut rows = Vec::new();
    let mut notes = String::new();
    let mut base_rates = Vec::new();
    for round in 1..=args.rounds.max(1) {
        let mut order = vec!["baseline", "kannel", "messages"];
        if round % 2 == 0 {
            order.reverse();
        }
        let mut this = Vec::new();
        for name in order {
            let mut row = match name {
                "baseline" => ctx.baseline().await?,
                "kannel" if wanted("kannel") => {
                    let (row, d) = ctx.kannel().await?;
                    notes.push_str(&format!(
                        "Round {round}: Kannel accepted {} messages (smsbox access log), the fake SMSC received {}{}.\n",
                        d.accepted,
                        d.delivered,
                        if d.accepted == d.delivered { "" } else { " — MISMATCH, counted as errors" }
                    ));
                    row
                }
                "messages" if wanted("messages") => ctx.messages().await?,
                _ => continue,
            };
            row.round = round;
            this.push(row);
        }
        let rate = |who: &str| this.iter().find(|r| r.server == who).map(|r| r.rate());
        let (base, kannel) = (rate("baseline"), rate("Kannel"));
        base_rates.extend(base);
        for row in this.iter_mut().filter(|r| r.server != "baseline") {
            row.ratio = base.map(|b| row.rate() / b);
            if row.server == "gateway" {
                row.vs_kannel = kannel.map(|k| row.rate() / k);
            }
        }
        rows.extend(this);
    }
    let base_rate = base_rates.iter().sum::<f64>() / base_rates.len().max(1) as f64;
    for name in ["verifications", "healthz"] {
        if !wanted(name) {
            continue;
        }
        let mut row = match name {
            "verifications" => ctx.verifications().await?,
            _ => ctx.healthz().await?,
        };
        // Compared with the mean of the rounds' baselines.
        row.ratio = Some(row.rate() / base_rate);
        rows.push(row);
    }
    notes.push_str(&report::ratios(&rows));
    let mut text = format!(
        "Load benchmark: {} s per scenario, {} connections (flows), wrk -t{}; every server on 127.0.0.1; {} interleaved rounds of baseline, Kannel and `POST /v1/messages`, then the rest.\n\n{}\n{notes}",
        args.duration.as_secs(),
        args.connections,
        args.threads,
        args.rounds.max(1),
        report::table(&rows)
    );
    if !args.soak.is_zero() {
        text.push('\n');
        text.push_str(&ctx.soak().await?);
    }
    println!("{text}");
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, &text).with_context(|| format!("write {}", args.out.display()))?;
    eprintln!("report written to {}", args.out.display());
    Ok(())
}
