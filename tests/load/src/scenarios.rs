//! The scenarios: each starts a fresh server, measures its CPU time over the load
//! window only (start-up excluded), and returns a report row.

use crate::Args;
use crate::flow;
use crate::gwconfig::{self, BenchConfig, LOCATIONS, TOKEN};
use crate::outbox::OutboxReader;
use crate::proc::{Server, usage};
use crate::report::Row;
use crate::wrk::{WrkRun, WrkSummary};
use anyhow::{Context, Result, ensure};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod kannel;

/// What every scenario shares.
pub struct Ctx {
    bin_dir: PathBuf,
    lua_dir: PathBuf,
    work: PathBuf,
    duration: Duration,
    connections: u32,
    threads: u32,
    soak: Duration,
    soak_connections: u32,
    retention: Duration,
    hash: String,
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

impl Ctx {
    /// Checks the binaries exist and hashes the bench key.
    pub fn new(args: &Args, bin_dir: &Path, work: &Path) -> Result<Ctx> {
        for name in ["gateway", "libadapter_mock.so", "bench-baseline"] {
            ensure!(
                bin_dir.join(name).exists(),
                "{} is missing: build with `cargo build --release -p gateway -p adapter-mock -p bench-baseline` (tests/load/run.sh does)",
                bin_dir.join(name).display()
            );
        }
        Ok(Ctx {
            hash: gwconfig::token_hash(&bin_dir.join("gateway"))?,
            bin_dir: bin_dir.to_path_buf(),
            lua_dir: args.lua_dir.clone(),
            work: work.to_path_buf(),
            duration: args.duration,
            connections: args.connections,
            threads: args.threads,
            soak: args.soak,
            soak_connections: args.soak_connections,
            retention: args.retention,
        })
    }

    /// Deletes the data of the scenarios run so far and flushes what is left to disk,
    /// so that the kernel writing back a previous scenario's database (or the build's
    /// output) does not compete with this one: measured, it moved results by 20 %.
    fn settle(&self) -> Result<()> {
        for entry in std::fs::read_dir(&self.work)? {
            let data = entry?.path().join("data");
            if data.exists() {
                std::fs::remove_dir_all(&data)
                    .with_context(|| format!("remove {}", data.display()))?;
            }
        }
        let status = Command::new("sync").status().context("run sync")?;
        ensure!(status.success(), "sync failed");
        Ok(())
    }

    /// Starts a gateway in `<work>/<name>` and creates the locations `bench-0` … .
    async fn gateway(&self, name: &str, cfg: BenchConfig<'_>) -> Result<(Server, PathBuf)> {
        self.settle()?;
        let dir = self.work.join(name);
        std::fs::create_dir_all(&dir)?;
        let config = dir.join("gateway.toml");
        std::fs::write(&config, gwconfig::render(&cfg, &self.hash))?;
        let data = dir.join("data");
        let mut cmd = Command::new(self.bin_dir.join("gateway"));
        cmd.arg("serve")
            .arg("--config")
            .arg(&config)
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(&data);
        let server = Server::start(cmd, "gateway listening on ", &dir.join("gateway.log"))?;
        let client = reqwest::Client::builder().no_proxy().build()?;
        for i in 0..LOCATIONS {
            let resp = client
                .put(format!("http://{}/v1/locations/bench-{i}", server.addr))
                .bearer_auth(TOKEN)
                .json(&serde_json::json!({ "location_name": format!("Bench Salon {i}"), "country": "RU", "language": "en" }))
                .send()
                .await?;
            ensure!(
                resp.status().is_success(),
                "PUT location: {}",
                resp.status()
            );
        }
        Ok((server, data))
    }

    fn cfg(&self, outbox: Option<&'static str>, retention: Duration) -> BenchConfig<'_> {
        BenchConfig {
            adapters_dir: &self.bin_dir,
            outbox,
            retention,
            prune_interval: Duration::from_secs(1),
        }
    }

    /// Runs wrk against `addr` and turns the result into a row; CPU time and peak
    /// memory are those of the processes `pids` together.
    #[allow(clippy::too_many_arguments)]
    async fn drive(
        &self,
        addr: std::net::SocketAddr,
        pids: &[u32],
        scenario: &str,
        who: &'static str,
        path: &str,
        script: &str,
        script_args: &[&str],
    ) -> Result<(Row, WrkSummary)> {
        let url = format!("http://{addr}{path}");
        let script = self.lua_dir.join(script);
        let cpu = || -> Result<(f64, f64)> {
            pids.iter().try_fold((0.0, 0.0), |(c, m), p| {
                let u = usage(*p)?;
                Ok((c + u.cpu_secs, m + mib(u.hwm_kib)))
            })
        };
        let before = cpu()?;
        let args: Vec<String> = script_args.iter().map(|s| (*s).to_owned()).collect();
        let (connections, threads, duration) = (self.connections, self.threads, self.duration);
        let sum: WrkSummary = tokio::task::spawn_blocking(move || {
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            WrkRun {
                url: &url,
                script: &script,
                script_args: &a,
                connections,
                threads,
                duration,
            }
            .run()
        })
        .await??;
        let after = cpu()?;
        eprintln!("{scenario} ({who}): {sum:?}");
        let row = Row {
            scenario: scenario.to_owned(),
            server: who,
            concurrency: self.connections,
            secs: sum.duration_us as f64 / 1e6,
            ops: sum.requests,
            unit: "req",
            p50_ms: sum.p50_us as f64 / 1e3,
            p99_ms: sum.p99_us as f64 / 1e3,
            errors: sum.errors(),
            cpu_secs: after.0 - before.0,
            peak_rss_mib: after.1,
            round: 0,
            ratio: None,
            vs_kannel: None,
        };
        Ok((row, sum))
    }

    /// The actix-web baseline, driven with the same script as `POST /v1/messages`.
    pub async fn baseline(&self) -> Result<Row> {
        self.settle()?;
        let dir = self.work.join("baseline");
        std::fs::create_dir_all(&dir)?;
        let mut cmd = Command::new(self.bin_dir.join("bench-baseline"));
        cmd.arg("127.0.0.1:0");
        let server = Server::start(cmd, "baseline listening on ", &dir.join("baseline.log"))?;
        let row = self
            .drive(
                server.addr,
                &[server.pid()],
                "POST /json (one JSON handler)",
                "baseline",
                "/json",
                "post.lua",
                &["-", &LOCATIONS.to_string()],
            )
            .await;
        server.stop();
        Ok(row?.0)
    }

    /// `POST /v1/messages`, a new phone per request.
    pub async fn messages(&self) -> Result<Row> {
        let (server, _) = self
            .gateway(
                "messages",
                self.cfg(Some("/dev/null"), Duration::from_secs(3600)),
            )
            .await?;
        let row = self
            .drive(
                server.addr,
                &[server.pid()],
                "POST /v1/messages",
                "gateway",
                "/v1/messages",
                "post.lua",
                &[TOKEN, &LOCATIONS.to_string()],
            )
            .await;
        server.stop();
        Ok(row?.0)
    }

    /// `GET /healthz`.
    pub async fn healthz(&self) -> Result<Row> {
        let (server, _) = self
            .gateway(
                "healthz",
                self.cfg(Some("/dev/null"), Duration::from_secs(3600)),
            )
            .await?;
        let row = self
            .drive(
                server.addr,
                &[server.pid()],
                "GET /healthz",
                "gateway",
                "/healthz",
                "get.lua",
                &[],
            )
            .await;
        server.stop();
        Ok(row?.0)
    }

    /// Complete verification flows (create, read the code, check).
    pub async fn verifications(&self) -> Result<Row> {
        let (server, data) = self
            .gateway("verifications", self.cfg(None, Duration::from_secs(3600)))
            .await?;
        let outbox =
            Arc::new(OutboxReader::open(&data.join("mock-outbox.jsonl")).context("mock outbox")?);
        let base = format!("http://{}", server.addr);
        let before = server.usage()?;
        let sum = flow::run(&base, TOKEN, outbox, self.connections, self.duration).await?;
        let after = server.usage()?;
        server.stop();
        eprintln!("verification flows: {sum:?}");
        Ok(Row {
            scenario: "verification flow (create + outbox + check)".into(),
            server: "gateway",
            concurrency: self.connections,
            secs: sum.elapsed.as_secs_f64(),
            ops: sum.flows,
            unit: "flow",
            p50_ms: sum.p50_us as f64 / 1e3,
            p99_ms: sum.p99_us as f64 / 1e3,
            errors: sum.errors,
            cpu_secs: after.cpu_secs - before.cpu_secs,
            peak_rss_mib: mib(after.hwm_kib),
            round: 0,
            ratio: None,
            vs_kannel: None,
        })
    }

    /// Pushes messages for `soak` with short retention, sampling RSS every second.
    pub async fn soak(&self) -> Result<String> {
        let (server, _) = self
            .gateway("soak", self.cfg(Some("/dev/null"), self.retention))
            .await?;
        let pid = server.pid();
        let url = format!("http://{}/v1/messages", server.addr);
        let script = self.lua_dir.join("post.lua");
        let (connections, threads, duration) = (self.soak_connections, self.threads, self.soak);
        let locations = LOCATIONS.to_string();
        let start_rss = usage(pid)?.rss_kib;
        let started = Instant::now();
        let load = tokio::task::spawn_blocking(move || {
            WrkRun {
                url: &url,
                script: &script,
                script_args: &[TOKEN, &locations],
                connections,
                threads,
                duration,
            }
            .run()
        });
        let mut samples = Vec::new();
        while !load.is_finished() {
            tokio::time::sleep(Duration::from_secs(1)).await;
            samples.push((started.elapsed().as_secs(), usage(pid)?.rss_kib));
        }
        let sum = load.await??;
        // Let retention and the pruner catch up, then read memory once more.
        tokio::time::sleep(self.retention + Duration::from_secs(2)).await;
        let end = usage(pid)?;
        server.stop();
        let sent = sum.requests - sum.errors().min(sum.requests);
        let rate = sum.rps();
        let mut out = String::new();
        writeln!(
            out,
            "Memory soak: `POST /v1/messages` for {} s at {} connections, `store.message_retention` = {}, prune every 1 s.\n",
            self.soak.as_secs(),
            connections,
            humantime::format_duration(self.retention)
        )?;
        writeln!(
            out,
            "| messages sent | errors | rate msg/s | RSS at start MiB | RSS max during MiB | RSS after pruning MiB | peak RSS (VmHWM) MiB |"
        )?;
        writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|")?;
        let max = samples.iter().map(|s| s.1).max().unwrap_or(0);
        writeln!(
            out,
            "| {sent} | {} | {rate:.0} | {:.1} | {:.1} | {:.1} | {:.1} |\n",
            sum.errors(),
            mib(start_rss),
            mib(max),
            mib(end.rss_kib),
            mib(end.hwm_kib)
        )?;
        let marks: Vec<String> = samples
            .iter()
            .filter(|(t, _)| t % 10 == 0)
            .map(|(t, k)| format!("{t}s: {:.1}", mib(*k)))
            .collect();
        writeln!(out, "RSS (MiB) over time: {}\n", marks.join(", "))?;
        if sent < 1_000_000 && rate > 0.0 {
            writeln!(
                out,
                "One million messages at this rate take {:.0} s; this run sent {sent}. With retention, \
                the records alive at once are bounded by rate × retention ({:.0}), so RSS after one million \
                is expected to stay at this run's plateau; run `--soak {:.0}s` to measure it directly.",
                1e6 / rate,
                rate * self.retention.as_secs_f64(),
                (1e6 / rate).ceil() + 5.0
            )?;
        }
        Ok(out)
    }
}
