//! Token-bucket shaping on governor's fake clock: no sleeps, time moves by hand (or by
//! exactly the wait a send would have slept).

use super::*;
use governor::clock::{Clock, FakeRelativeClock};

fn elapsed(clock: &FakeRelativeClock) -> Duration {
    clock.now().into()
}

fn shaped(
    wait: Duration,
    operators: Vec<OperatorThroughput>,
    adapters: &[(&str, u32, u32)],
) -> (Limits, FakeRelativeClock) {
    let clock = FakeRelativeClock::default();
    let cfg = LimitsConfig {
        throughput_wait: wait,
        operators,
        ..Default::default()
    };
    let adapters: Vec<(String, u32, u32)> = adapters
        .iter()
        .map(|(n, r, b)| (n.to_string(), *r, *b))
        .collect();
    let l = Limits::with_clock(&cfg, &adapters, clock.clone()).expect("valid");
    (l, clock)
}

#[tokio::test]
async fn adapter_bucket_shapes_a_burst() {
    let (l, clock) = shaped(Duration::ZERO, vec![], &[("sms-main", 10, 10)]);
    for i in 0..10 {
        l.acquire_throughput("sms-main", "ru-mts")
            .await
            .unwrap_or_else(|e| panic!("permit {i}: {e}"));
    }
    let t = l
        .acquire_throughput("sms-main", "ru-mts")
        .await
        .expect_err("11th is over the burst");
    assert_eq!(t.kind, LimitKind::AdapterThroughput);
    assert!(
        t.retry_after > Duration::from_millis(99) && t.retry_after <= Duration::from_millis(100),
        "one permit per 100 ms: {:?}",
        t.retry_after
    );
    clock.advance(Duration::from_millis(100));
    l.acquire_throughput("sms-main", "ru-mts")
        .await
        .expect("one permit after 100 ms");
    l.acquire_throughput("sms-main", "ru-mts")
        .await
        .expect_err("and only one");
    assert_eq!(
        elapsed(&clock),
        Duration::from_millis(100),
        "refusals never wait with throughput_wait = 0"
    );
}

#[tokio::test]
async fn waits_up_to_throughput_wait() {
    let (l, clock) = shaped(Duration::from_millis(250), vec![], &[("sms-main", 10, 10)]);
    for _ in 0..10 {
        l.acquire_throughput("sms-main", "op").await.expect("burst");
    }
    assert_eq!(elapsed(&clock), Duration::ZERO);
    l.acquire_throughput("sms-main", "op")
        .await
        .expect("waits for the next permit");
    assert_eq!(
        elapsed(&clock),
        Duration::from_millis(100),
        "waited exactly one interval"
    );

    let (l, clock) = shaped(Duration::from_millis(50), vec![], &[("sms-main", 10, 10)]);
    for _ in 0..10 {
        l.acquire_throughput("sms-main", "op").await.expect("burst");
    }
    let t = l
        .acquire_throughput("sms-main", "op")
        .await
        .expect_err("100 ms > 50 ms allowed");
    assert!(t.retry_after > Duration::from_millis(50));
    assert_eq!(elapsed(&clock), Duration::ZERO, "gave up without waiting");
}

#[tokio::test]
async fn operator_bucket_is_independent_of_adapters() {
    let op = OperatorThroughput {
        id: "ru-mts".into(),
        per_second: 2,
        burst: 2,
    };
    let (l, clock) = shaped(
        Duration::ZERO,
        vec![op],
        &[("a1", 100, 100), ("a2", 100, 100), ("a3", 1, 1)],
    );
    l.acquire_throughput("a1", "ru-mts")
        .await
        .expect("1st to MTS");
    l.acquire_throughput("a2", "ru-mts")
        .await
        .expect("2nd to MTS, other adapter");
    let t = l
        .acquire_throughput("a2", "ru-mts")
        .await
        .expect_err("MTS bucket empty across adapters");
    assert_eq!(t.kind, LimitKind::OperatorThroughput);
    assert!(
        t.retry_after > Duration::from_millis(499) && t.retry_after <= Duration::from_millis(500)
    );
    l.acquire_throughput("a1", "ru-beeline")
        .await
        .expect("unconfigured operator is not shaped");

    l.acquire_throughput("a3", "ru-beeline")
        .await
        .expect("a3's only permit");
    let t = l
        .acquire_throughput("a3", "ru-beeline")
        .await
        .expect_err("a3 empty");
    assert_eq!(t.kind, LimitKind::AdapterThroughput);
    clock.advance(Duration::from_millis(500));
    l.acquire_throughput("a1", "ru-mts")
        .await
        .expect("MTS refilled one permit");
    for _ in 0..50 {
        l.acquire_throughput("not-shaped", "ru-beeline")
            .await
            .expect("unknown adapter is not shaped");
    }
}
