//! What the shared-library boundary costs: sends through `libadapter_mock.so` (host →
//! C table → adapter future → completion callback → host) against the same adapter
//! called in-process through the trait (`InProcess`, same deadlines and panic guard).
//! Criterion times one send at a time; then both paths are driven identically with
//! 64 sends in flight and the added cost is reported at p50 and p99, for a mock that
//! answers at once (the library answers inside its inline first poll) and for one that
//! waits 1 ms first (the answer comes back from the library runtime's thread). The mock
//! writes its outbox to `/dev/null`, so the adapter's own work is nearly nothing and the
//! difference is the boundary.
//!
//! Run: `cargo build --release -p adapter-mock && cargo bench -p gateway --bench boundary`.

use adapter_mock_core::MockAdapter;
use criterion::Criterion;
use gateway::adapters::{AdapterInstance, AdapterInstanceConfig, Adapters, HostContext, InProcess};
use gateway_sdk::SendRequest;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

const IN_FLIGHT: usize = 64;

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
        encoding: None,
        segments: None,
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

/// An in-process mock and the same mock loaded from the library, with `settings`.
fn pair(label: &str, settings: serde_json::Value) -> Pair {
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
        reports: None,
    };
    let config = AdapterInstanceConfig {
        name: label.into(),
        library: "adapter_mock".into(),
        settings: settings.clone(),
        timeout: Duration::from_secs(5),
        throughput: None,
        max_inflight: 256,
        fallback_after: None,
    };
    let adapters = Adapters::load(&dir, &[config], &ctx).expect("loads the mock library");
    let library = adapters.get(label).expect("loaded").clone();
    let in_process =
        InProcess::<MockAdapter>::create(label, settings, &ctx, Duration::from_secs(5))
            .expect("creates the mock");
    Pair {
        label: label.to_owned(),
        in_process: Arc::new(in_process),
        library,
    }
}

/// The same adapter behind both paths.
struct Pair {
    label: String,
    in_process: Arc<dyn AdapterInstance>,
    library: Arc<dyn AdapterInstance>,
}

fn single(c: &mut Criterion, rt: &tokio::runtime::Runtime, pair: &Pair) {
    let mut group = c.benchmark_group("send");
    for (label, inst) in [("in_process", &pair.in_process), ("library", &pair.library)] {
        group.bench_function(label, |b| {
            b.iter(|| rt.block_on(inst.send(request(0))).expect("accepted"));
        });
    }
    group.finish();
}

/// Appends the latency of each of `IN_FLIGHT * per_task` sends: `IN_FLIGHT` tasks on
/// the host runtime, each sending `per_task` times back to back.
fn run_in_flight(
    rt: &tokio::runtime::Runtime,
    inst: &Arc<dyn AdapterInstance>,
    per_task: usize,
    out: &mut Vec<Duration>,
) {
    let tasks = rt.block_on(futures::future::join_all((0..IN_FLIGHT).map(|t| {
        let inst = inst.clone();
        rt.spawn(async move {
            let mut latencies = Vec::with_capacity(per_task);
            for i in 0..per_task {
                let start = Instant::now();
                inst.send(request(t * per_task + i))
                    .await
                    .expect("accepted");
                latencies.push(start.elapsed());
            }
            latencies
        })
    })));
    for task in tasks {
        out.extend(task.expect("sender task"));
    }
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
}

/// Both paths driven the same way, in interleaved rounds (alternating which goes first)
/// so drifting load on a shared machine hits both alike; prints p50/p99 of each and the
/// added cost (library minus in-process) at each.
fn compare_in_flight(rt: &tokio::runtime::Runtime, pair: &Pair, per_task: usize, rounds: usize) {
    let total = IN_FLIGHT * per_task * rounds;
    let (mut ip, mut lib) = (Vec::with_capacity(total), Vec::with_capacity(total));
    run_in_flight(rt, &pair.in_process, per_task, &mut Vec::new()); // warm up
    run_in_flight(rt, &pair.library, per_task, &mut Vec::new());
    for round in 0..rounds {
        if round % 2 == 0 {
            run_in_flight(rt, &pair.in_process, per_task, &mut ip);
            run_in_flight(rt, &pair.library, per_task, &mut lib);
        } else {
            run_in_flight(rt, &pair.library, per_task, &mut lib);
            run_in_flight(rt, &pair.in_process, per_task, &mut ip);
        }
    }
    ip.sort();
    lib.sort();
    let [ip50, ip99, lp50, lp99] = [
        percentile(&ip, 0.50),
        percentile(&ip, 0.99),
        percentile(&lib, 0.50),
        percentile(&lib, 0.99),
    ];
    println!(
        "{}: {IN_FLIGHT} in flight, {} sends each: in-process p50 {ip50:?} p99 {ip99:?}; library p50 {lp50:?} p99 {lp99:?}; added p50 {:?} p99 {:?}",
        pair.label,
        lib.len(),
        lp50.saturating_sub(ip50),
        lp99.saturating_sub(ip99),
    );
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(|_| "unknown".into(), |l| l.trim().into())
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // Answers at once: the whole call happens in the library's inline first poll.
    let immediate = pair("immediate", serde_json::json!({ "outbox": "/dev/null" }));
    // Waits 1 ms first: the answer comes from the library runtime's thread.
    let waiting = pair(
        "waiting-1ms",
        serde_json::json!({ "outbox": "/dev/null", "latency": "1ms" }),
    );
    println!("load average before: {}", loadavg());
    let mut c = Criterion::default().configure_from_args();
    single(&mut c, &rt, &immediate);
    // Under `cargo test` benches run once as a smoke test: keep the in-flight runs short.
    let benching = std::env::args().any(|a| a == "--bench");
    // Benching: 64 000 immediate sends per path (~1 s), 12 800 waiting ones (~3 s).
    let (immediate_per_task, waiting_per_task) = if benching { (100, 20) } else { (1, 1) };
    compare_in_flight(&rt, &immediate, immediate_per_task, 10);
    compare_in_flight(&rt, &waiting, waiting_per_task, 10);
    println!("load average after: {}", loadavg());
    c.final_summary();
}
