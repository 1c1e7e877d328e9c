use super::*;

fn open() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), std::time::Duration::from_secs(5)).unwrap();
    (dir, store)
}

#[tokio::test]
async fn put_get_delete_with_expiry() {
    let (_d, s) = open();
    assert!(
        !s.put(Ns::Location, "42", "a".into(), None, 0)
            .await
            .unwrap()
    );
    assert!(
        s.put(Ns::Location, "42", "b".into(), None, 0)
            .await
            .unwrap()
    );
    assert_eq!(
        s.get(Ns::Location, "42", 0).await.unwrap().as_deref(),
        Some("b")
    );
    // Namespaces are separate.
    assert_eq!(s.get(Ns::Message, "42", 0).await.unwrap(), None);
    s.put(Ns::Message, "m", "x".into(), Some(1000), 0)
        .await
        .unwrap();
    assert!(s.get(Ns::Message, "m", 999).await.unwrap().is_some());
    assert!(
        s.get(Ns::Message, "m", 1000).await.unwrap().is_none(),
        "expired at its expiry time"
    );
    assert!(s.delete(Ns::Location, "42", 0).await.unwrap());
    assert!(!s.delete(Ns::Location, "42", 0).await.unwrap());
}

#[tokio::test]
async fn put_if_absent_respects_live_values_only() {
    let (_d, s) = open();
    assert!(
        s.put_if_absent(Ns::Idempotency, "k", "1".into(), Some(100), 0)
            .await
            .unwrap()
    );
    assert!(
        !s.put_if_absent(Ns::Idempotency, "k", "2".into(), Some(200), 50)
            .await
            .unwrap()
    );
    // Once expired, the key is free again.
    assert!(
        s.put_if_absent(Ns::Idempotency, "k", "3".into(), Some(300), 100)
            .await
            .unwrap()
    );
    assert_eq!(
        s.get(Ns::Idempotency, "k", 150).await.unwrap().as_deref(),
        Some("3")
    );
}

#[tokio::test]
async fn concurrent_put_if_absent_has_one_winner() {
    let (_d, s) = open();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.put_if_absent(Ns::Idempotency, "same", i.to_string(), None, 0)
                .await
                .unwrap()
        }));
    }
    let mut winners = 0;
    for t in tasks {
        if t.await.unwrap() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}

#[tokio::test]
async fn update_is_atomic_under_concurrency() {
    let (_d, s) = open();
    let s: std::sync::Arc<dyn Store> = std::sync::Arc::new(s);
    let mut tasks = Vec::new();
    for _ in 0..25 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.update(Ns::Meta, "counter", 0, |cur| {
                let n: u32 = cur.map(|v| v.parse().unwrap()).unwrap_or(0);
                (Write::Put((n + 1).to_string(), None), n + 1)
            })
            .await
            .unwrap()
        }));
    }
    let mut written = Vec::new();
    for t in tasks {
        written.push(t.await.unwrap());
    }
    assert_eq!(
        s.get(Ns::Meta, "counter", 0).await.unwrap().as_deref(),
        Some("25")
    );
    // Each caller gets the value of the run whose write counted, not of a retried one.
    written.sort_unstable();
    assert_eq!(written, (1..=25).collect::<Vec<u32>>());
    let was = s
        .update(Ns::Meta, "counter", 0, |cur| {
            (Write::Delete, cur.map(str::to_owned))
        })
        .await
        .unwrap();
    assert_eq!(was.as_deref(), Some("25"));
    assert_eq!(s.get(Ns::Meta, "counter", 0).await.unwrap(), None);
}

fn q(key: &str, window_ms: i64, limit: u32) -> QuotaCheck {
    QuotaCheck {
        key: key.into(),
        window_ms,
        limit,
    }
}

#[tokio::test]
async fn quota_sliding_window_and_retry_after() {
    let (_d, s) = open();
    let hour = 3_600_000;
    for t in [0, 10_000, 20_000] {
        assert_eq!(
            s.quota_acquire(&[q("p", hour, 3)], t).await.unwrap(),
            Ok(())
        );
    }
    let denied = s
        .quota_acquire(&[q("p", hour, 3)], 30_000)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        denied,
        QuotaDenied {
            index: 0,
            retry_after_ms: hour - 30_000
        }
    );
    // One millisecond before the first event leaves the window: still full.
    assert!(
        s.quota_acquire(&[q("p", hour, 3)], hour - 1)
            .await
            .unwrap()
            .is_err()
    );
    // When it leaves, exactly one slot frees.
    assert_eq!(
        s.quota_acquire(&[q("p", hour, 3)], hour).await.unwrap(),
        Ok(())
    );
    assert_eq!(
        s.quota_acquire(&[q("p", hour, 3)], hour).await.unwrap(),
        Err(QuotaDenied {
            index: 0,
            retry_after_ms: 10_000
        })
    );
}

#[tokio::test]
async fn quota_denial_counts_nothing_anywhere() {
    let (_d, s) = open();
    // Fill "b" to its limit.
    assert_eq!(
        s.quota_acquire(&[q("b", 1000, 1)], 0).await.unwrap(),
        Ok(())
    );
    // A request touching a, b, c is denied on b; a and c must not be counted.
    let denied = s
        .quota_acquire(&[q("a", 1000, 1), q("b", 1000, 1), q("c", 1000, 1)], 1)
        .await
        .unwrap();
    assert_eq!(denied.unwrap_err().index, 1);
    assert_eq!(
        s.quota_acquire(&[q("a", 1000, 1)], 2).await.unwrap(),
        Ok(())
    );
    assert_eq!(
        s.quota_acquire(&[q("c", 1000, 1)], 2).await.unwrap(),
        Ok(())
    );
}

#[tokio::test]
async fn checks_sharing_a_key_count_one_event_kept_for_the_longest_window() {
    let (_d, s) = open();
    let (minute, hour, day) = (60_000, 3_600_000, 86_400_000);
    // A cooldown (1 per minute), 2 per hour and 3 per day over one stream of events.
    let phone = [q("p", minute, 1), q("p", hour, 2), q("p", day, 3)];
    assert_eq!(s.quota_acquire(&phone, 0).await.unwrap(), Ok(()));
    // One event, not three: the hourly budget still has room after the cooldown.
    assert_eq!(
        s.quota_acquire(&phone, 30_000).await.unwrap(),
        Err(QuotaDenied {
            index: 0,
            retry_after_ms: 30_000
        })
    );
    assert_eq!(s.quota_acquire(&phone, minute).await.unwrap(), Ok(()));
    // Two in the hour: the hourly budget frees when the first leaves it.
    assert_eq!(
        s.quota_acquire(&phone, 2 * minute).await.unwrap(),
        Err(QuotaDenied {
            index: 1,
            retry_after_ms: hour - 2 * minute
        })
    );
    assert_eq!(s.quota_acquire(&phone, hour).await.unwrap(), Ok(()));
    // The event of time 0 is still counted a day long (kept for the longest window,
    // pruning does not remove it early).
    s.prune(2 * hour).await.unwrap();
    assert_eq!(
        s.quota_acquire(&phone, 2 * hour).await.unwrap(),
        Err(QuotaDenied {
            index: 2,
            retry_after_ms: day - 2 * hour
        })
    );
    assert_eq!(s.quota_acquire(&phone, day).await.unwrap(), Ok(()));
}

#[tokio::test]
async fn put_if_absent_with_stores_the_claim_and_the_rest_or_nothing() {
    let (_d, s) = open();
    let item = |ns, key: &str, value: &str| PutItem {
        ns,
        key: key.into(),
        value: value.into(),
        expires_at: Some(1_000),
    };
    let claim = item(Ns::PendingVerification, "loc:+7:login", "ver_a");
    assert!(
        s.put_if_absent_with(claim.clone(), vec![item(Ns::Verification, "ver_a", "A")], 0)
            .await
            .unwrap()
    );
    assert_eq!(
        s.get(Ns::Verification, "ver_a", 1)
            .await
            .unwrap()
            .as_deref(),
        Some("A")
    );
    // The claim is taken: nothing of the second call is written.
    let second = item(Ns::PendingVerification, "loc:+7:login", "ver_b");
    assert!(
        !s.put_if_absent_with(
            second.clone(),
            vec![item(Ns::Verification, "ver_b", "B")],
            2
        )
        .await
        .unwrap()
    );
    assert!(s.get(Ns::Verification, "ver_b", 2).await.unwrap().is_none());
    assert_eq!(
        s.get(Ns::PendingVerification, "loc:+7:login", 2)
            .await
            .unwrap()
            .as_deref(),
        Some("ver_a")
    );
    // Once the claim has expired it can be taken again.
    assert!(
        s.put_if_absent_with(second, vec![item(Ns::Verification, "ver_b", "B")], 1_000)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn update_owned_writes_its_key_and_removes_the_others_in_one_step() {
    let (_d, s) = open();
    s.put(Ns::Verification, "ver_a", "pending".into(), None, 0)
        .await
        .unwrap();
    s.put(
        Ns::PendingVerification,
        "loc:+7:login",
        "ver_a".into(),
        None,
        0,
    )
    .await
    .unwrap();
    let s: std::sync::Arc<dyn Store> = std::sync::Arc::new(s);
    let seen = s
        .update_owned(Ns::Verification, "ver_a", 1, |cur| {
            let decision = Decision {
                write: Write::Put("approved".into(), None),
                also_delete: vec![(Ns::PendingVerification, "loc:+7:login".into())],
            };
            (decision, cur.map(str::to_owned))
        })
        .await
        .unwrap();
    assert_eq!(seen.as_deref(), Some("pending"));
    assert_eq!(
        s.get(Ns::Verification, "ver_a", 2)
            .await
            .unwrap()
            .as_deref(),
        Some("approved")
    );
    assert!(
        s.get(Ns::PendingVerification, "loc:+7:login", 2)
            .await
            .unwrap()
            .is_none()
    );
    // An absent key is seen as None; `Keep` writes nothing.
    let seen_none = s
        .update_owned(Ns::Verification, "ver_missing", 3, |cur| {
            let decision = Decision {
                write: Write::Keep,
                also_delete: Vec::new(),
            };
            (decision, cur.is_none())
        })
        .await
        .unwrap();
    assert!(seen_none);
    assert!(
        s.get(Ns::Verification, "ver_missing", 3)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn prune_removes_expired_rows_only() {
    let (_d, s) = open();
    s.put(Ns::Message, "old", "x".into(), Some(10), 0)
        .await
        .unwrap();
    s.put(Ns::Message, "new", "y".into(), Some(1000), 0)
        .await
        .unwrap();
    s.put(Ns::Location, "keep", "z".into(), None, 0)
        .await
        .unwrap();
    s.quota_acquire(&[q("k", 5, 10)], 0).await.unwrap().unwrap();
    assert_eq!(s.prune(100).await.unwrap(), 2);
    assert!(s.get(Ns::Message, "new", 100).await.unwrap().is_some());
    assert!(s.get(Ns::Location, "keep", 100).await.unwrap().is_some());
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

#[tokio::test]
async fn put_all_writes_every_item_with_its_expiry() {
    let (_d, s) = open();
    s.put(Ns::ProviderRef, "mock:p1", "old".into(), None, 0)
        .await
        .unwrap();
    let item = |ns, key: &str, value: &str, expires_at| PutItem {
        ns,
        key: key.into(),
        value: value.into(),
        expires_at,
    };
    s.put_all(
        vec![
            item(Ns::Message, "msg_1", "{}", Some(1000)),
            item(Ns::ProviderRef, "mock:p1", "msg_1", None),
        ],
        0,
    )
    .await
    .unwrap();
    assert_eq!(
        s.get(Ns::Message, "msg_1", 999).await.unwrap().as_deref(),
        Some("{}")
    );
    assert!(s.get(Ns::Message, "msg_1", 1000).await.unwrap().is_none());
    assert_eq!(
        s.get(Ns::ProviderRef, "mock:p1", 5000)
            .await
            .unwrap()
            .as_deref(),
        Some("msg_1"),
        "an existing value is replaced"
    );
}

#[tokio::test]
async fn of_several_exhausted_quotas_the_longest_wait_is_reported() {
    let (_d, s) = open();
    let minute = q("cooldown", 60_000, 1);
    let hour = q("hour", 3_600_000, 1);
    assert_eq!(
        s.quota_acquire(&[minute.clone(), hour.clone()], 0)
            .await
            .unwrap(),
        Ok(())
    );
    let denied = s
        .quota_acquire(&[minute, hour], 1_000)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        denied,
        QuotaDenied {
            index: 1,
            retry_after_ms: 3_599_000
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_quota_acquires_grant_exactly_the_limit_and_commit_them() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(dir.path(), std::time::Duration::from_secs(5)).unwrap();
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.quota_acquire(&[q("shared", 60_000, 10)], 1_000)
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
        .quota_acquire(&[q("shared", 60_000, 10)], 1_001)
        .await
        .unwrap();
    assert_eq!(again.unwrap_err().retry_after_ms, 59_999);
}
