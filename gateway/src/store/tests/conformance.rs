//! The conformance battery: what every backend must do, written once against
//! `dyn Store` and run by `store/tests.rs` on SQLite, standalone Redis and a Redis
//! Cluster. Times are the caller's `now` (a manual clock), never the wall clock.

use crate::store::*;
use std::sync::Arc;

type S = Arc<dyn Store>;

pub(super) async fn put_get_delete_with_expiry(s: S) {
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

pub(super) async fn put_if_absent_respects_live_values_only(s: S) {
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

pub(super) async fn concurrent_put_if_absent_has_one_winner(s: S) {
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

pub(super) async fn update_is_atomic_under_concurrency(s: S) {
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

pub(super) async fn quota_sliding_window_and_retry_after(s: S) {
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

pub(super) async fn quota_denial_counts_nothing_anywhere(s: S) {
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

pub(super) async fn checks_sharing_a_key_count_one_event_kept_for_the_longest_window(s: S) {
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

pub(super) async fn put_if_absent_with_stores_the_claim_and_the_rest_or_nothing(s: S) {
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

pub(super) async fn update_owned_writes_its_key_and_removes_the_others_in_one_step(s: S) {
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
    let saw_none = s
        .update_owned(Ns::Verification, "ver_missing", 3, |cur| {
            let decision = Decision {
                write: Write::Keep,
                also_delete: Vec::new(),
            };
            (decision, cur.is_none())
        })
        .await
        .unwrap();
    assert!(saw_none);
    assert!(
        s.get(Ns::Verification, "ver_missing", 3)
            .await
            .unwrap()
            .is_none()
    );
}

pub(super) async fn prune_removes_expired_rows_only(s: S) {
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
    s.prune(100).await.unwrap();
    assert!(s.get(Ns::Message, "old", 100).await.unwrap().is_none());
    assert!(s.get(Ns::Message, "new", 100).await.unwrap().is_some());
    assert!(s.get(Ns::Location, "keep", 100).await.unwrap().is_some());
}

pub(super) async fn put_all_writes_every_item_with_its_expiry(s: S) {
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

pub(super) async fn of_several_exhausted_quotas_the_longest_wait_is_reported(s: S) {
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

pub(super) async fn concurrent_quota_acquires_grant_exactly_the_limit(s: S) {
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
    let again = s
        .quota_acquire(&[q("shared", 60_000, 10)], 1_001)
        .await
        .unwrap();
    assert_eq!(again.unwrap_err().retry_after_ms, 59_999);
}

pub(super) async fn concurrent_update_owned_decides_once(s: S) {
    // Twenty concurrent checks of one verification: exactly one sees it pending,
    // approves it and frees the pending slot; the others see it approved.
    s.put(Ns::Verification, "ver_c", "pending".into(), Some(10_000), 0)
        .await
        .unwrap();
    s.put(
        Ns::PendingVerification,
        "loc:+7:c",
        "ver_c".into(),
        Some(10_000),
        0,
    )
    .await
    .unwrap();
    let winners = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (s, winners) = (s.clone(), winners.clone());
        tasks.push(tokio::spawn(async move {
            let won = s
                .update_owned(Ns::Verification, "ver_c", 5, |cur| {
                    let pending = cur == Some("pending");
                    let decision = if pending {
                        Decision {
                            write: Write::Put("approved".into(), Some(10_000)),
                            also_delete: vec![(Ns::PendingVerification, "loc:+7:c".into())],
                        }
                    } else {
                        Decision {
                            write: Write::Keep,
                            also_delete: Vec::new(),
                        }
                    };
                    (decision, pending)
                })
                .await
                .unwrap();
            if won {
                winners.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(winners.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(
        s.get(Ns::Verification, "ver_c", 6)
            .await
            .unwrap()
            .as_deref(),
        Some("approved")
    );
    assert!(
        s.get(Ns::PendingVerification, "loc:+7:c", 6)
            .await
            .unwrap()
            .is_none()
    );
}

pub(super) async fn expiry_follows_the_callers_clock_everywhere(s: S) {
    // A value is dead from its expiry on, for every operation, whatever the
    // database's own clock says.
    s.put(Ns::Idempotency, "e", "old".into(), Some(100), 0)
        .await
        .unwrap();
    let seen = s
        .update(Ns::Idempotency, "e", 100, |cur| {
            (Write::Put("new".into(), Some(300)), cur.map(str::to_owned))
        })
        .await
        .unwrap();
    assert_eq!(seen, None, "update sees an expired value as absent");
    assert_eq!(
        s.get(Ns::Idempotency, "e", 299).await.unwrap().as_deref(),
        Some("new")
    );
    assert!(
        !s.put(Ns::Idempotency, "e", "x".into(), Some(400), 300)
            .await
            .unwrap(),
        "replacing a dead value replaces nothing live"
    );
    assert!(!s.delete(Ns::Idempotency, "e", 400).await.unwrap());
    // Far-future and never-expiring values, and values with separators and
    // non-ASCII text, come back unchanged.
    let odd = "a|b|{\"t\":\"Салон ✂\"}";
    s.put(Ns::Location, "odd", odd.into(), None, 0)
        .await
        .unwrap();
    s.put(Ns::Location, "far", "f".into(), Some(i64::MAX / 2), 0)
        .await
        .unwrap();
    assert_eq!(
        s.get(Ns::Location, "odd", i64::MAX / 4)
            .await
            .unwrap()
            .as_deref(),
        Some(odd)
    );
    assert_eq!(
        s.get(Ns::Location, "far", i64::MAX / 4)
            .await
            .unwrap()
            .as_deref(),
        Some("f")
    );
}

pub(super) async fn quota_release_gives_back_one_event_and_never_more(s: S) {
    let hour = 3_600_000;
    // A phone's cooldown (1 a minute) and hourly budget (3) on one key, as the limits do.
    let phone = || vec![q("ph", 60_000, 1), q("ph", hour, 3)];
    assert_eq!(s.quota_acquire(&phone(), 0).await.unwrap(), Ok(()));
    // Nothing was sent: the refund frees the cooldown at once.
    s.quota_release(&phone(), 0).await.unwrap();
    assert_eq!(s.quota_acquire(&phone(), 1).await.unwrap(), Ok(()));
    // A release for a time nothing was counted at frees nothing.
    s.quota_release(&phone(), 5).await.unwrap();
    assert_eq!(
        s.quota_acquire(&phone(), 2)
            .await
            .unwrap()
            .unwrap_err()
            .index,
        0
    );
    // The refunded send no longer counts in the hour either: 1 + two more fill it.
    assert_eq!(s.quota_acquire(&phone(), 70_000).await.unwrap(), Ok(()));
    assert_eq!(s.quota_acquire(&phone(), 140_000).await.unwrap(), Ok(()));
    assert_eq!(
        s.quota_acquire(&phone(), 210_000)
            .await
            .unwrap()
            .unwrap_err()
            .index,
        1
    );
    // Two events at one time, one released: one still counts.
    let k = || vec![q("twin", 1000, 2)];
    assert_eq!(s.quota_acquire(&k(), 0).await.unwrap(), Ok(()));
    assert_eq!(s.quota_acquire(&k(), 0).await.unwrap(), Ok(()));
    s.quota_release(&k(), 0).await.unwrap();
    assert_eq!(s.quota_acquire(&k(), 1).await.unwrap(), Ok(()));
    assert!(s.quota_acquire(&k(), 2).await.unwrap().is_err());
    // Releasing keys that were never counted is harmless.
    s.quota_release(&[q("never", 1000, 1)], 0).await.unwrap();
}

pub(super) async fn rekey_moves_quotas_and_values_once_merging_counters(s: S) {
    let minute = 60_000;
    // An earlier version's counters under clear keys, and one already under the new key.
    for t in [1_000, 2_000] {
        assert!(
            s.quota_acquire(&[q("old:phone:1", minute, 10)], t)
                .await
                .unwrap()
                .is_ok()
        );
    }
    assert!(
        s.quota_acquire(&[q("new:phone:1", minute, 10)], 3_000)
            .await
            .unwrap()
            .is_ok()
    );
    assert!(
        s.quota_acquire(&[q("old:ip:2", minute, 10)], 1_000)
            .await
            .unwrap()
            .is_ok()
    );
    s.put(
        Ns::PendingVerification,
        "loc:+1:login",
        "ver_a".into(),
        Some(10_000),
        0,
    )
    .await
    .unwrap();
    s.put(
        Ns::PendingVerification,
        "loc:+2:login",
        "ver_b".into(),
        Some(10_000),
        0,
    )
    .await
    .unwrap();
    s.put(
        Ns::PendingVerification,
        "h:2",
        "ver_newer".into(),
        Some(10_000),
        0,
    )
    .await
    .unwrap();
    let quota_rename = |k: &str| k.strip_prefix("old:").map(|rest| format!("new:{rest}"));
    let value_rename = |k: &str| {
        k.strip_prefix("loc:+")
            .and_then(|rest| rest.split(':').next())
            .map(|n| format!("h:{n}"))
    };
    let moved = s.rekey(Rekey::Quotas("old:"), &quota_rename).await.unwrap();
    assert_eq!(moved, 2);
    assert_eq!(
        s.rekey(Rekey::Values(Ns::PendingVerification), &value_rename)
            .await
            .unwrap(),
        2
    );
    // All three events count under the new key: a limit of 3 is full until the first
    // leaves the window, a limit of 4 has room.
    let full = s
        .quota_acquire(&[q("new:phone:1", minute, 3)], 4_000)
        .await
        .unwrap();
    assert_eq!(full.unwrap_err().retry_after_ms, 1_000 + minute - 4_000);
    let full = s
        .quota_acquire(&[q("new:ip:2", minute, 1)], 4_000)
        .await
        .unwrap();
    assert!(full.is_err(), "the moved counter still counts");
    // The old keys are gone: counting under them starts afresh.
    assert!(
        s.quota_acquire(&[q("old:phone:1", minute, 1)], 4_000)
            .await
            .unwrap()
            .is_ok()
    );
    let get = |k: &'static str| {
        let s = s.clone();
        async move { s.get(Ns::PendingVerification, k, 5_000).await.unwrap() }
    };
    assert_eq!(get("h:1").await.as_deref(), Some("ver_a"));
    assert_eq!(
        get("h:2").await.as_deref(),
        Some("ver_newer"),
        "the newer stays"
    );
    assert_eq!(get("loc:+1:login").await, None);
    assert_eq!(get("loc:+2:login").await, None);
    assert_eq!(
        s.get(Ns::PendingVerification, "h:1", 10_000).await.unwrap(),
        None,
        "a moved value keeps its expiry"
    );
    // Again (another instance starting): only the old key counted just now moves.
    assert_eq!(
        s.rekey(Rekey::Quotas("old:"), &quota_rename).await.unwrap(),
        1
    );
    assert_eq!(
        s.rekey(Rekey::Values(Ns::PendingVerification), &value_rename)
            .await
            .unwrap(),
        0
    );
}
