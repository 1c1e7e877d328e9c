//! Connections at scale: 10,000 Twilio-kind connections in a real SQLite store, 1,000 of
//! them live at once through the real `libadapter_twilio.so`, and what the first send
//! through a cold connection costs next to a warm one (mock kind, `libadapter_mock.so`,
//! outbox `/dev/null`, so the send itself is nearly free and the difference is the
//! store read, the unsealing and the library's create).
//!
//! Run: `cargo build --release -p adapter-twilio -p adapter-mock &&
//! cargo bench -p gateway --bench connections`. Prints the numbers `docs/performance.md`
//! records.

#![allow(clippy::unwrap_used)]

use gateway::adapters::{AdapterKinds, HostContext};
use gateway::connections::{Connections, ConnectionsConfig, NewConnection};
use gateway::store::{SqliteStore, Store};
use gateway::vault::Vault;
use gateway_sdk::SendRequest;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("bench binary path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/..")
        .to_path_buf()
}

/// Resident set size of this process, in KiB (Linux `/proc/self/statm`).
fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * 4
}

fn request(i: usize) -> SendRequest {
    SendRequest {
        message_id: format!("msg_{i}"),
        phone: "+79991234567".into(),
        text: "Confirmation code: 1234".into(),
        code: "1234".into(),
        title: None,
        language: "en".into(),
        sender_id: None,
        code_ttl_secs: 60,
        deadline_ms: 5000,
        idempotency_key: format!("k{i}"),
        callback_url: None,
        precheck_ref: None,
        encoding: None,
        segments: None,
    }
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(dir.path(), Duration::from_secs(5)).unwrap());
    let kinds = AdapterKinds::open(&target_dir(), ["adapter_twilio", "adapter_mock"])
        .expect("run `cargo build --release -p adapter-twilio -p adapter-mock` first");
    let vault = Arc::new(Vault::new(&[vec![7; 32]]).unwrap());
    let host = HostContext {
        data_dir: dir.path().to_path_buf(),
        public_url: Some("https://gw.example.com".into()),
        reports: None,
    };
    let cfg = ConnectionsConfig {
        max_live: 2_000,
        ..Default::default()
    };
    let now = || time::OffsetDateTime::now_utc();
    let ms = || gateway::store::millis(time::OffsetDateTime::now_utc());
    // The creating instance keeps what it creates live; a second one over the same store
    // starts cold, like another gateway instance or this one after a restart.
    let creator = Connections::new(
        store.clone(),
        Some(vault.clone()),
        kinds.clone(),
        host.clone(),
        &cfg,
    );

    let started = Instant::now();
    let mut twilio = Vec::new();
    for i in 0..10_000 {
        let input = NewConnection {
            kind: "twilio".into(),
            name: format!("Salon {i} SMS"),
            location_id: Some(format!("{i}")),
            settings: json!({
                "account_sid": format!("AC{:032x}", i),
                "auth_token": format!("token-{i:028}"),
                "from": "+15005550006",
                "base_url": "http://127.0.0.1:9",
            }),
        };
        twilio.push(creator.create(input, now()).await.unwrap().id);
        if creator.live_count() > 100 {
            creator.sweep(now() + time::Duration::days(1));
        }
    }
    let created = started.elapsed();
    let db = std::fs::metadata(dir.path().join("gateway.db"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "10,000 twilio connections created in {:.1} s ({:.2} ms each); gateway.db {} KiB",
        created.as_secs_f64(),
        created.as_secs_f64() * 1000.0 / 10_000.0,
        db / 1024
    );
    let t = Instant::now();
    let all = creator.list_all(ms()).await.unwrap().len();
    println!(
        "list_all: {all} connections in {} ms",
        t.elapsed().as_millis()
    );
    drop(creator);

    let reader = Connections::new(
        store.clone(),
        Some(vault.clone()),
        kinds.clone(),
        host.clone(),
        &cfg,
    );
    let before = rss_kib();
    let t = Instant::now();
    let mut cold = Vec::with_capacity(1000);
    for id in twilio.iter().take(1000) {
        let t1 = Instant::now();
        reader.instance(id, ms()).await.unwrap().unwrap();
        cold.push(t1.elapsed());
    }
    let build_all = t.elapsed();
    let after = rss_kib();
    println!(
        "1,000 live twilio instances: RSS {} MiB -> {} MiB (+{:.1} KiB per instance); built in {} ms; cold resolve p50 {:?} p99 {:?}",
        before / 1024,
        after / 1024,
        (after.saturating_sub(before)) as f64 / 1000.0,
        build_all.as_millis(),
        percentile(&mut cold, 0.5),
        percentile(&mut cold, 0.99)
    );
    let mut warm = Vec::with_capacity(1000);
    for id in twilio.iter().take(1000) {
        let t1 = Instant::now();
        reader.instance(id, ms()).await.unwrap().unwrap();
        warm.push(t1.elapsed());
    }
    println!(
        "warm resolve (within recheck) p50 {:?} p99 {:?}",
        percentile(&mut warm, 0.5),
        percentile(&mut warm, 0.99)
    );

    // First send through a cold connection vs the next sends (mock kind).
    let mut mocks = Vec::new();
    for i in 0..200 {
        let input = NewConnection {
            kind: "mock".into(),
            name: format!("mock {i}"),
            location_id: None,
            settings: json!({ "outbox": "/dev/null", "callback_secret": "s3cret" }),
        };
        let creator = Connections::new(
            store.clone(),
            Some(vault.clone()),
            kinds.clone(),
            host.clone(),
            &cfg,
        );
        mocks.push(creator.create(input, now()).await.unwrap().id);
    }
    let sender = Connections::new(
        store.clone(),
        Some(vault.clone()),
        kinds.clone(),
        host.clone(),
        &cfg,
    );
    let (mut first, mut next) = (Vec::new(), Vec::new());
    for (i, id) in mocks.iter().enumerate() {
        let t1 = Instant::now();
        let inst = sender.instance(id, ms()).await.unwrap().unwrap();
        inst.send(request(i)).await.unwrap();
        first.push(t1.elapsed());
        let t2 = Instant::now();
        let inst = sender.instance(id, ms()).await.unwrap().unwrap();
        inst.send(request(i + 1000)).await.unwrap();
        next.push(t2.elapsed());
    }
    println!(
        "send through a cold connection (resolve + send): p50 {:?} p99 {:?}; warm: p50 {:?} p99 {:?}",
        percentile(&mut first, 0.5),
        percentile(&mut first, 0.99),
        percentile(&mut next, 0.5),
        percentile(&mut next, 0.99)
    );
}
