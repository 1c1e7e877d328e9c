//! What the shared-library boundary costs: one send through `libadapter_mock.so`
//! (host → C table → library runtime → completion callback → host) against the same
//! adapter called in-process through the trait, then latency percentiles with 64 sends
//! in flight. The mock writes its outbox to `/dev/null`, so the adapter's own work is
//! nearly nothing and the difference is the boundary.
//!
//! Run: `cargo build --release -p adapter-mock && cargo bench -p gateway --bench boundary`.

use adapter_mock::MockAdapter;
use criterion::Criterion;
use gateway::adapters::{AdapterInstance, AdapterInstanceConfig, Adapters, HostContext, InProcess};
use gateway_sdk::SendRequest;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

const IN_FLIGHT: usize = 64;

fn settings() -> serde_json::Value {
    serde_json::json!({ "outbox": "/dev/null" })
}

fn request(i: usize) -> SendRequest {
    SendRequest {
        message_id: format!("msg_{i}"),
        phone: "+15550001111".into(),
        text: "Confirmation code: 4821".into(),
        code: "4821".into(),
        title: None,
        language: "en".into(),
        sender_id: None,
        code_ttl_secs: 300,
        deadline_ms: 5_000,
        idempotency_key: format!("idem-{i}"),
        callback_url: None,
        precheck_ref: None,
    }
}

/// `target/<profile>`, from this binary's path (`target/<profile>/deps/boundary-…`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("bench binary path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/..")
        .to_path_buf()
}

fn instances() -> (Arc<dyn AdapterInstance>, Arc<dyn AdapterInstance>) {
    let dir = target_dir();
    let so = dir.join(format!(
        "{}adapter_mock{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    assert!(
        so.exists(),
        "{} is missing: run `cargo build --release -p adapter-mock` first",
        so.display()
    );
    let ctx = HostContext {
        data_dir: std::env::temp_dir(),
        public_url: None,
    };
    let config = AdapterInstanceConfig {
        name: "library".into(),
        library: "adapter_mock".into(),
        settings: settings(),
        timeout: Duration::from_secs(5),
        throughput: None,
    };
    let adapters = Adapters::load(&dir, &[config], &ctx).expect("loads the mock library");
    let library = adapters.get("library").expect("loaded").clone();
    let in_process =
        InProcess::<MockAdapter>::create("in-process", settings(), &ctx, Duration::from_secs(5))
            .expect("creates the mock");
    (Arc::new(in_process), library)
}

fn single(c: &mut Criterion, rt: &tokio::runtime::Runtime, a: &[(&str, Arc<dyn AdapterInstance>)]) {
    let mut group = c.benchmark_group("send");
    for (label, inst) in a {
        group.bench_function(*label, |b| {
            b.iter(|| rt.block_on(inst.send(request(0))).expect("accepted"));
        });
    }
    group.finish();
}

/// Latencies of `total` sends with `IN_FLIGHT` running at once.
fn percentiles(
    rt: &tokio::runtime::Runtime,
    inst: &Arc<dyn AdapterInstance>,
    total: usize,
) -> (Duration, Duration) {
    let mut latencies = rt.block_on(async {
        let per_worker = total / IN_FLIGHT;
        let workers = (0..IN_FLIGHT).map(|w| {
            let inst = inst.clone();
            tokio::spawn(async move {
                let mut out = Vec::with_capacity(per_worker);
                for i in 0..per_worker {
                    let start = Instant::now();
                    inst.send(request(w * per_worker + i))
                        .await
                        .expect("accepted");
                    out.push(start.elapsed());
                }
                out
            })
        });
        let mut all = Vec::with_capacity(total);
        for w in futures::future::join_all(workers).await {
            all.extend(w.expect("worker"));
        }
        all
    });
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    (at(0.50), at(0.99))
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (in_process, library) = instances();
    let mut c = Criterion::default().configure_from_args();
    single(
        &mut c,
        &rt,
        &[
            ("in_process", in_process.clone()),
            ("library", library.clone()),
        ],
    );
    // Under `cargo test` benches run once as a smoke test: keep the percentile run short.
    let benching = std::env::args().any(|a| a == "--bench");
    let total = if benching { 64 * 1_000 } else { 64 * 4 };
    for _ in 0..usize::from(benching) {
        percentiles(&rt, &in_process, total); // warm up both paths
        percentiles(&rt, &library, total);
    }
    let (ip50, ip99) = percentiles(&rt, &in_process, total);
    let (lp50, lp99) = percentiles(&rt, &library, total);
    println!(
        "{IN_FLIGHT} in flight, {total} sends: in-process p50 {ip50:?} p99 {ip99:?}; library p50 {lp50:?} p99 {lp99:?}; added at p99 {:?}",
        lp99.saturating_sub(ip99)
    );
    c.final_summary();
}
