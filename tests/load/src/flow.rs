//! The verification-flow driver: wrk cannot carry a value from one response into the
//! next request, so this drives complete flows itself, at a fixed number of
//! concurrent flows for a fixed time: `POST /v1/verifications` (a phone no other flow
//! uses), read the code from the mock's outbox, `POST /v1/verifications/{id}/check`.
//! A flow counts as complete only if the check answers `approved`.

use crate::gwconfig::LOCATIONS;
use crate::outbox::OutboxReader;
use anyhow::{Context, Result};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What the driver measured (latencies in microseconds, of a whole flow).
#[derive(Debug, Clone)]
pub struct FlowSummary {
    /// Flows that ended `approved`.
    pub flows: u64,
    /// Flows that failed anywhere (status, body, missing code, transport).
    pub errors: u64,
    /// How long the driver ran.
    pub elapsed: Duration,
    /// Median flow latency.
    pub p50_us: u64,
    /// 99th percentile flow latency.
    pub p99_us: u64,
}

/// Runs `concurrency` flow loops against `base` for `duration`.
pub async fn run(
    base: &str,
    token: &str,
    outbox: Arc<OutboxReader>,
    concurrency: u32,
    duration: Duration,
) -> Result<FlowSummary> {
    assert!(base.starts_with("http://127.0.0.1:"), "loopback only");
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(concurrency as usize)
        .timeout(Duration::from_secs(5))
        .build()
        .context("HTTP client")?;
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let client = client.clone();
        let base = base.to_owned();
        let token = token.to_owned();
        let outbox = outbox.clone();
        let errors = errors.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut n: u64 = 0;
            while Instant::now() < deadline {
                n += 1;
                // +795… numbers: distinct per worker and flow, never reused in a run.
                let k = u64::from(worker) * 1_000_000 + n;
                let phone = format!("+795{k:08}");
                // A client /48 (so also /64) of the documentation prefix 3fff::/20 that no
                // other flow uses (data only): neither IP quota ever refuses.
                let ip = format!("3fff:{:x}:{:x}::1", (k >> 16) & 0xfff, k & 0xffff);
                let location = format!("bench-{}", k % u64::from(LOCATIONS));
                let t = Instant::now();
                match one_flow(&client, &base, &token, &outbox, [&phone, &ip, &location]).await {
                    Ok(()) => latencies.push(t.elapsed().as_micros() as u64),
                    Err(e) => {
                        if errors.fetch_add(1, Ordering::Relaxed) < 3 {
                            eprintln!("flow error: {e:#}");
                        }
                    }
                }
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.context("flow task")?);
    }
    let elapsed = started.elapsed();
    all.sort_unstable();
    let pct = |p: f64| -> u64 {
        if all.is_empty() {
            return 0;
        }
        let i = ((all.len() as f64 * p).ceil() as usize).clamp(1, all.len()) - 1;
        all[i]
    };
    let errors = errors.load(Ordering::Relaxed);
    Ok(FlowSummary {
        flows: all.len() as u64,
        errors,
        elapsed,
        p50_us: pct(0.50),
        p99_us: pct(0.99),
    })
}

async fn one_flow(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    outbox: &OutboxReader,
    [phone, ip, location]: [&str; 3],
) -> Result<()> {
    let created: Value = post(
        client,
        &format!("{base}/v1/verifications"),
        token,
        &json!({ "location_id": location, "phone": phone, "purpose": "login", "client_ip": ip }),
        201,
    )
    .await?;
    let id = created["id"].as_str().context("verification id")?;
    let message_id = created["message_id"].as_str().context("message id")?;
    let mut code = outbox.take(message_id);
    for _ in 0..100 {
        if code.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
        code = outbox.take(message_id);
    }
    let code = code.context("the code never reached the mock outbox")?;
    let checked = post(
        client,
        &format!("{base}/v1/verifications/{id}/check"),
        token,
        &json!({ "code": code }),
        200,
    )
    .await?;
    anyhow::ensure!(checked["status"] == "approved", "check answered {checked}");
    Ok(())
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: &Value,
    want: u16,
) -> Result<Value> {
    let resp = client
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .context("send")?;
    let status = resp.status().as_u16();
    let text = resp.text().await.context("body")?;
    anyhow::ensure!(status == want, "{url} answered {status}: {text}");
    serde_json::from_str(&text).context("JSON body")
}
