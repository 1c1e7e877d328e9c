//! Store tests: the conformance battery (`tests/conformance.rs`) runs unchanged on
//! SQLite, on a standalone Redis and on a 3-master Redis Cluster (real `redis-server`
//! processes on ephemeral ports, killed after), so both backends behave the same;
//! then what only SQLite promises (its file, its prune counts).

mod conformance;

use super::*;
use std::sync::Arc;

/// Keeps a test's backend (temp dir, server processes) alive.
type Guard = Box<dyn std::any::Any + Send>;

/// Calls `$m!` with every case of the battery, so each backend runs the same list.
macro_rules! all_cases {
    ($m:ident) => {
        $m!(
            put_get_delete_with_expiry,
            put_if_absent_respects_live_values_only,
            concurrent_put_if_absent_has_one_winner,
            update_is_atomic_under_concurrency,
            quota_sliding_window_and_retry_after,
            quota_denial_counts_nothing_anywhere,
            checks_sharing_a_key_count_one_event_kept_for_the_longest_window,
            put_if_absent_with_stores_the_claim_and_the_rest_or_nothing,
            update_owned_writes_its_key_and_removes_the_others_in_one_step,
            prune_removes_expired_rows_only,
            put_all_writes_every_item_with_its_expiry,
            of_several_exhausted_quotas_the_longest_wait_is_reported,
            concurrent_quota_acquires_grant_exactly_the_limit,
            concurrent_update_owned_decides_once,
            expiry_follows_the_callers_clock_everywhere,
            quota_release_gives_back_one_event_and_never_more,
            rekey_moves_quotas_and_values_once_merging_counters
        );
    };
}

/// One `#[tokio::test]` per case, each on a fresh store from the module's `make()`.
macro_rules! one_test_per_case {
    ($($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let (_guard, store) = make().await;
                super::conformance::$case(store).await;
            }
        )*
    };
}

mod sqlite {
    use super::*;

    async fn make() -> (Guard, Arc<dyn Store>) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path(), std::time::Duration::from_secs(5)).unwrap();
        (Box::new(dir), Arc::new(store))
    }

    all_cases!(one_test_per_case);
}

mod redis_standalone {
    use super::*;
    use crate::store::redis::testing;

    async fn make() -> (Guard, Arc<dyn Store>) {
        let server = testing::Server::standalone();
        let store = testing::standalone_store(&server).await;
        (Box::new(server), Arc::new(store))
    }

    all_cases!(one_test_per_case);
}

mod redis_outage {
    use super::*;
    use crate::store::redis::testing;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lost_server_is_busy_then_the_store_recovers_by_itself() {
        let server = testing::Server::standalone();
        let port = server.port;
        let store = testing::standalone_store(&server).await;
        store
            .put(Ns::Location, "l", "v".into(), None, 0)
            .await
            .unwrap();
        drop(server);
        // Every kind of operation fails as Busy (503 store_unavailable), none panics.
        let err = store.get(Ns::Location, "l", 0).await.unwrap_err();
        assert!(err.is_busy(), "{err}");
        let err = store
            .quota_acquire(
                &[QuotaCheck {
                    key: "k".into(),
                    window_ms: 1000,
                    limit: 1,
                }],
                0,
            )
            .await
            .unwrap_err();
        assert!(err.is_busy(), "{err}");
        assert!(store.ping().await.unwrap_err().is_busy());
        // Back on the same port (empty: this one keeps no data): the same store
        // object reconnects without help.
        let _again = testing::Server::standalone_on(port);
        let mut answered = false;
        for _ in 0..100 {
            if store.ping().await.is_ok() {
                answered = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(answered, "the store did not reconnect");
        assert!(
            store
                .put_if_absent(Ns::Location, "l", "w".into(), None, 0)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn connecting_to_nothing_fails_naming_the_key_not_the_url() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let cfg = RedisConfig {
            url: Some(gateway_sdk::Secret::new(format!(
                "redis://:hunter2pass@127.0.0.1:{port}"
            ))),
            ..RedisConfig::default()
        };
        let err = RedisStore::connect(&cfg).await.unwrap_err().to_string();
        assert!(err.contains("store.redis.url"), "{err}");
        assert!(!err.contains("hunter2pass"), "{err}");
    }
}

mod shared_rate {
    use super::*;
    use crate::store::redis::testing;

    /// Two stores on one prefix stand for two gateway instances.
    async fn two_instances(cfg: RedisConfig) -> (RedisStore, RedisStore) {
        (
            RedisStore::connect(&cfg).await.unwrap(),
            RedisStore::connect(&cfg).await.unwrap(),
        )
    }

    async fn battery(a: RedisStore, b: RedisStore) {
        // 10 per second, burst 3, shared: three permits at once whichever instance
        // asks, then one every 100 ms.
        assert_eq!(
            a.rate_acquire("adapter:sms", 10, 3, 0).await.unwrap(),
            Ok(())
        );
        assert_eq!(
            b.rate_acquire("adapter:sms", 10, 3, 0).await.unwrap(),
            Ok(())
        );
        assert_eq!(
            a.rate_acquire("adapter:sms", 10, 3, 0).await.unwrap(),
            Ok(())
        );
        assert_eq!(
            b.rate_acquire("adapter:sms", 10, 3, 0).await.unwrap(),
            Err(100)
        );
        assert_eq!(
            a.rate_acquire("adapter:sms", 10, 3, 40).await.unwrap(),
            Err(60)
        );
        assert_eq!(
            b.rate_acquire("adapter:sms", 10, 3, 100).await.unwrap(),
            Ok(())
        );
        assert_eq!(
            a.rate_acquire("adapter:sms", 10, 3, 100).await.unwrap(),
            Err(100)
        );
        // Another bucket is independent; a quiet second refills to the burst only.
        assert_eq!(
            a.rate_acquire("operator:x", 1, 1, 100).await.unwrap(),
            Ok(())
        );
        for _ in 0..3 {
            assert_eq!(
                a.rate_acquire("adapter:sms", 10, 3, 5_000).await.unwrap(),
                Ok(())
            );
        }
        assert!(
            b.rate_acquire("adapter:sms", 10, 3, 5_000)
                .await
                .unwrap()
                .is_err()
        );
        // Concurrent takers at one instant: exactly the burst is granted.
        let mut tasks = Vec::new();
        for i in 0..20 {
            let s = if i % 2 == 0 { a.clone() } else { b.clone() };
            tasks.push(tokio::spawn(async move {
                s.rate_acquire("adapter:burst", 5, 4, 0)
                    .await
                    .unwrap()
                    .is_ok()
            }));
        }
        let mut granted = 0;
        for t in tasks {
            granted += usize::from(t.await.unwrap());
        }
        assert_eq!(granted, 4);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_shared_bucket_holds_across_instances_on_standalone_redis() {
        let server = testing::Server::standalone();
        let cfg = RedisConfig {
            url: Some(gateway_sdk::Secret::new(server.url())),
            key_prefix: testing::unique_prefix(),
            ..RedisConfig::default()
        };
        let (a, b) = two_instances(cfg).await;
        battery(a, b).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_shared_bucket_holds_across_instances_on_a_cluster() {
        let cluster = tokio::task::spawn_blocking(testing::Cluster::start)
            .await
            .unwrap();
        let cfg = RedisConfig {
            cluster_nodes: cluster
                .urls()
                .into_iter()
                .map(gateway_sdk::Secret::new)
                .collect(),
            key_prefix: testing::unique_prefix(),
            ..RedisConfig::default()
        };
        let (a, b) = two_instances(cfg).await;
        battery(a, b).await;
        drop(cluster);
    }

    #[tokio::test]
    async fn sqlite_keeps_no_shared_buckets_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(dir.path(), std::time::Duration::from_secs(5)).unwrap();
        let err = s.rate_acquire("adapter:x", 1, 1, 0).await.unwrap_err();
        assert!(err.to_string().contains("throughput_scope"), "{err}");
    }
}

mod redis_cluster {
    use super::*;
    use crate::store::redis::testing;

    /// Runs every case in turn on one Cluster (starting one takes a few seconds), each
    /// on a fresh store with a key prefix of its own.
    macro_rules! in_sequence {
        ($($case:ident),* $(,)?) => {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn the_whole_battery_passes_on_a_three_master_cluster() {
                let cluster = tokio::task::spawn_blocking(testing::Cluster::start)
                    .await
                    .unwrap();
                $(
                    let store: Arc<dyn Store> = Arc::new(testing::cluster_store(&cluster).await);
                    eprintln!("cluster: {}", stringify!($case));
                    super::conformance::$case(store).await;
                )*
                drop(cluster);
            }
        };
    }

    all_cases!(in_sequence);
}

mod sqlite_only {
    use super::*;

    fn open() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path(), std::time::Duration::from_secs(5)).unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn prune_counts_the_rows_it_removed() {
        let (_d, s) = open();
        s.put(Ns::Message, "old", "x".into(), Some(10), 0)
            .await
            .unwrap();
        s.put(Ns::Message, "new", "y".into(), Some(1000), 0)
            .await
            .unwrap();
        s.quota_acquire(&[conformance_q("k", 5, 10)], 0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.prune(100).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn quota_rows_are_pruned_a_share_per_call_resuming_where_the_last_stopped() {
        let (_d, s) = open();
        let add = |from: usize, at: Millis| {
            let s = s.clone();
            async move {
                for c in 0..5 {
                    let checks: Vec<_> = (0..1000)
                        .map(|i| conformance_q(&format!("k{:05}", from + c * 1000 + i), 10, 5))
                        .collect();
                    s.quota_acquire(&checks, at).await.unwrap().unwrap();
                }
            }
        };
        add(0, 0).await;
        // The first walk after start is whole: it learns the table's size.
        assert_eq!(s.prune(100).await.unwrap(), 5000);
        add(10_000, 200).await;
        // 5,000 rows and a few milliseconds since the last call: one chunk per call,
        // each resuming after the last key looked at, until the table ends.
        assert_eq!(s.prune(300).await.unwrap(), 2000);
        assert_eq!(s.prune(301).await.unwrap(), 2000);
        assert_eq!(s.prune(302).await.unwrap(), 1000);
        assert_eq!(s.prune(303).await.unwrap(), 0);
    }

    fn conformance_q(key: &str, window_ms: i64, limit: u32) -> QuotaCheck {
        QuotaCheck {
            key: key.into(),
            window_ms,
            limit,
        }
    }
    #[tokio::test]
    async fn data_survives_reopen_and_migrations_are_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = SqliteStore::open(dir.path(), std::time::Duration::from_secs(1)).unwrap();
            s.put(Ns::Location, "42", "v".into(), None, 0)
                .await
                .unwrap();
        }
        let s = SqliteStore::open(dir.path(), std::time::Duration::from_secs(1)).unwrap();
        assert_eq!(
            s.get(Ns::Location, "42", 0).await.unwrap().as_deref(),
            Some("v")
        );
        s.ping().await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_quota_acquires_grant_exactly_the_limit_and_commit_them() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(dir.path(), std::time::Duration::from_secs(5)).unwrap();
        let mut tasks = Vec::new();
        for _ in 0..64 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.quota_acquire(&[conformance_q("shared", 60_000, 10)], 1_000)
                    .await
                    .unwrap()
                    .is_ok()
            }));
        }
        let mut granted = 0;
        for t in tasks {
            if t.await.unwrap() {
                granted += 1;
            }
        }
        assert_eq!(granted, 10);
        // What was granted is durable: a fresh store on the same file sees it all used.
        drop(s);
        let s = SqliteStore::open(dir.path(), std::time::Duration::from_secs(5)).unwrap();
        let again = s
            .quota_acquire(&[conformance_q("shared", 60_000, 10)], 1_001)
            .await
            .unwrap();
        assert_eq!(again.unwrap_err().retry_after_ms, 59_999);
    }
}
