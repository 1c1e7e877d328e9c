//! Store operations on the embedded SQLite backend, through the group-commit writer:
//! each operation alone (one commit each: the latency a lone request sees) and 64 in
//! flight at once (what a loaded gateway sees: they share commits). The values have the
//! sizes the send path writes: a message record of about 700 bytes with its provider
//! reference, and the quotas of one send (a phone's three windows on one key, a client
//! IP and a location). Run with `cargo bench -p gateway --bench store`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gateway::secret::{QuotaKind, ServerSecret, StoreKeys};
use gateway::store::{Ns, PutItem, QuotaCheck, SqliteStore, Store, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// 2026-01-01T00:00:00Z in milliseconds.
const T0: i64 = 1_767_225_600_000;

/// Operations in flight for the grouped cases.
const IN_FLIGHT: u64 = 64;

fn message(n: u64) -> Vec<PutItem> {
    let id = format!("msg_01kaz{n:021}");
    let value = format!(
        r#"{{"id":"{id}","status":"sent","adapter":"mock","channel":"sms","operator":"ru-mts","provider_message_id":"mock-{n}","text":"Your code: ****. Bench Salon","encoding":"gsm7","segments":1,"units":27,"rules_applied":[],"location_id":"bench-{l}","phone":"+7999***{p:04}","purpose":"login","verification_id":null,"attempts":[{{"adapter":"mock","channel":"sms","outcome":"accepted","detail":null}}],"history":[{{"status":"sent","at":"2026-01-01T00:00:00Z","adapter":"mock","detail":null}}],"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}}"#,
        l = n % 1000,
        p = n % 10_000
    );
    let expires = Some(T0 + 3_600_000);
    vec![
        PutItem {
            ns: Ns::Message,
            key: id.clone(),
            value,
            expires_at: expires,
        },
        PutItem {
            ns: Ns::ProviderRef,
            key: format!("mock:mock-{n}"),
            value: id,
            expires_at: expires,
        },
    ]
}

fn quotas(n: u64) -> Vec<QuotaCheck> {
    // The keys the gateway writes: keyed hashes, as computed on the request's thread
    // (three HMACs, about 1 µs of each measured operation).
    static KEYS: std::sync::LazyLock<StoreKeys> = std::sync::LazyLock::new(|| {
        ServerSecret::new(b"store bench secret".to_vec())
            .store_keys()
            .clone()
    });
    let q = |key: String, window_ms: i64, limit: u32| QuotaCheck {
        key,
        window_ms,
        limit,
    };
    let phone = KEYS.quota(QuotaKind::Phone, &format!("+79{n:09}"));
    vec![
        q(phone.clone(), 60_000, 1),
        q(phone.clone(), 3_600_000, 5),
        q(phone, 86_400_000, 10),
        q(
            KEYS.quota(QuotaKind::Ip, &format!("2001:db8:{n:x}::/64")),
            3_600_000,
            20,
        ),
        q(
            KEYS.quota(QuotaKind::Location, &format!("bench-{}", n % 1000)),
            60_000,
            1000,
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(dir.path(), Duration::from_secs(5)).expect("store"));
    let n = Arc::new(AtomicU64::new(0));
    let next = {
        let n = n.clone();
        move || n.fetch_add(1, Ordering::Relaxed)
    };
    rt.block_on(store.put(Ns::Location, "bench-0", "{}".repeat(300), None, T0))
        .expect("put");

    let mut g = c.benchmark_group("store/alone");
    g.bench_function("get_hit", |b| {
        b.iter(|| {
            rt.block_on(store.get(Ns::Location, "bench-0", T0))
                .expect("get")
                .expect("hit")
        })
    });
    g.bench_function("put_all_message", |b| {
        b.iter(|| {
            rt.block_on(store.put_all(message(next()), T0))
                .expect("put_all")
        })
    });
    g.bench_function("quota_acquire_send", |b| {
        b.iter(|| {
            let verdict = rt
                .block_on(store.quota_acquire(&quotas(next()), T0))
                .expect("quota");
            assert!(verdict.is_ok(), "distinct subjects are admitted");
        })
    });
    g.bench_function("update_read_modify_write", |b| {
        b.iter(|| {
            let bump = |cur: Option<&str>| {
                let next = format!("{}x", cur.unwrap_or("")).chars().take(64).collect();
                (Write::Put(next, None), ())
            };
            rt.block_on(store.update(Ns::Meta, "counter", T0, bump))
                .expect("update")
        })
    });
    g.finish();

    let mut g = c.benchmark_group("store/64_in_flight");
    g.throughput(Throughput::Elements(IN_FLIGHT));
    g.bench_function("put_all_message", |b| {
        b.iter(|| {
            rt.block_on(async {
                let tasks: Vec<_> = (0..IN_FLIGHT)
                    .map(|_| {
                        let (s, items) = (store.clone(), message(next()));
                        tokio::spawn(async move { s.put_all(items, T0).await })
                    })
                    .collect();
                for t in tasks {
                    t.await.expect("task").expect("put_all");
                }
            })
        })
    });
    g.bench_function("quota_acquire_send", |b| {
        b.iter(|| {
            rt.block_on(async {
                let tasks: Vec<_> = (0..IN_FLIGHT)
                    .map(|_| {
                        let (s, checks) = (store.clone(), quotas(next()));
                        tokio::spawn(async move { s.quota_acquire(&checks, T0).await })
                    })
                    .collect();
                for t in tasks {
                    assert!(t.await.expect("task").expect("quota").is_ok());
                }
            })
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
