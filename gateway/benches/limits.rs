//! The cost the limits add to one send: `admit_send` (five or six quota checks in one
//! SQLite transaction) on distinct phones, a send refused by the cooldown, and the
//! in-memory geo and throughput checks, and the keyed hash of one quota key. Run with
//! `cargo bench -p gateway --bench limits`.

use criterion::{Criterion, criterion_group, criterion_main};
use gateway::limits::{Limits, LimitsConfig, PrefixLimit, SendSubject};
use gateway::secret::{QuotaKind, ServerSecret};
use gateway::store::SqliteStore;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

/// 2026-01-01T00:00:00Z in milliseconds.
const T0: i64 = 1_767_225_600_000;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path(), Duration::from_secs(5)).expect("store");
    let cfg = LimitsConfig {
        // A risky prefix the benched phones match, so every check is on the path.
        prefixes: vec![PrefixLimit {
            prefix: "+7".into(),
            per_hour: u32::MAX,
        }],
        ..Default::default()
    };
    // A bucket too large to empty during the run: this measures the check, not waiting.
    let adapters = [("sms-main".to_owned(), 1_000_000, u32::MAX)];
    let limits = Limits::new(&cfg, &adapters).expect("limits");
    let secret = ServerSecret::new(b"limits bench secret".to_vec());
    let keys = secret.store_keys();

    c.bench_function("store_keys/one_quota_key", |b| {
        b.iter(|| keys.quota(QuotaKind::Phone, black_box("+79991234567")))
    });

    let mut n: u64 = 0;
    c.bench_function("admit_send/accepted_distinct_phones", |b| {
        b.iter(|| {
            n += 1;
            // Distinct phone, IP and location each time: every send is admitted.
            let phone = format!("+7{:010}", n);
            let location = (n % 1000).to_string();
            let subject = SendSubject {
                phone_e164: &phone,
                region: Some("RU"),
                client_ip: Some(IpAddr::V4(Ipv4Addr::from(n as u32))),
                location_id: &location,
            };
            let now = T0 + n as i64;
            let verdict = rt
                .block_on(limits.admit_send(&store, keys, &subject, now))
                .expect("store works");
            assert!(verdict.is_ok(), "distinct subjects are admitted");
        })
    });

    let subject = SendSubject {
        phone_e164: "+79990000000",
        region: Some("RU"),
        client_ip: None,
        location_id: "denied",
    };
    rt.block_on(limits.admit_send(&store, keys, &subject, T0))
        .expect("store works")
        .expect("first send admitted");
    c.bench_function("admit_send/refused_by_cooldown", |b| {
        b.iter(|| {
            let verdict = rt
                .block_on(limits.admit_send(&store, keys, black_box(&subject), T0 + 1))
                .expect("store works");
            assert!(verdict.is_err(), "within the cooldown");
        })
    });

    c.bench_function("check_geo_and_acquire_throughput", |b| {
        b.iter(|| {
            limits.check_geo(black_box(Some("RU"))).expect("allowed");
            rt.block_on(limits.acquire_throughput("sms-main", "ru-mts"))
                .expect("ample throughput");
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
