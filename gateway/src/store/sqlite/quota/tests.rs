use super::*;

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// What an event log answers: the wait until one more fits, or `None`.
fn log_retry(log: &[i64], now: i64, window: i64, limit: u32) -> Option<i64> {
    let mut inside: Vec<i64> = log.iter().copied().filter(|t| *t > now - window).collect();
    inside.sort_unstable_by(|a, b| b.cmp(a));
    inside
        .get(limit as usize - 1)
        .map(|at| (at + window - now).max(1))
}

/// Runs attempts at random times through `State` for the checks `(window, limit)` of
/// one key; returns the admitted times and, per attempt, (state answer, log answer).
fn simulate(seed: u64, checks: &[(i64, u32)], attempts: usize, gap: u64) -> Vec<i64> {
    let mut rng = Rng(seed);
    let window = checks.iter().map(|c| c.0).max().unwrap();
    let limit = checks.iter().map(|c| c.1).max().unwrap();
    let mut state: Option<State> = None;
    let mut admitted = Vec::new();
    let mut now = 0;
    for _ in 0..attempts {
        now += rng.below(gap) as i64;
        let waits: Vec<Option<i64>> = checks
            .iter()
            .map(|(w, l)| state.as_ref().and_then(|s| s.retry_after(now, *w, *l)))
            .collect();
        for (i, (w, l)) in checks.iter().enumerate() {
            let exact = log_retry(&admitted, now, *w, *l);
            if *l as usize <= EXACT_MAX {
                assert_eq!(waits[i], exact, "limit {l} must be exact at {now}");
            } else if let Some(wait) = exact {
                // Never admits what the log refuses; waits at least as long.
                let got = waits[i].expect("buckets refuse whatever the log refuses");
                assert!(got >= wait, "retry {got} shorter than the log's {wait}");
                assert!(
                    got <= wait + (w + 63) / 64,
                    "retry {got} more than a bucket late"
                );
            }
        }
        if waits.iter().all(Option::is_none) {
            admitted.push(now);
            // Round trip through the stored form every time.
            let next = State::record(state.take(), now, window, limit);
            state = Some(State::decode(&next.encode()).expect("decodes"));
        }
    }
    admitted
}

#[test]
fn small_limits_answer_exactly_as_an_event_log() {
    for seed in 1..20 {
        let admitted = simulate(seed, &[(60, 1), (600, 5), (3_000, 10)], 2_000, 40);
        assert!(admitted.len() > 50, "the simulation admits some");
    }
}

#[test]
fn large_limits_never_admit_more_than_the_limit_in_any_window() {
    for seed in 1..4 {
        let (window, limit) = (10_000, 100);
        let admitted = simulate(seed, &[(50, 1), (window, limit)], 3_000, 120);
        assert!(admitted.len() > 300);
        for (i, t) in admitted.iter().enumerate() {
            let from = i.saturating_sub(limit as usize + 1);
            let in_window = admitted[from..=i]
                .iter()
                .filter(|a| **a > t - window)
                .count();
            assert!(
                in_window <= limit as usize,
                "{in_window} events in the window ending {t}"
            );
        }
    }
}

#[test]
fn a_bucketed_key_refuses_at_most_one_bucket_early() {
    // 100 per 64 s: buckets of 1 s. 100 events at 0..99 ms fill bucket [0, 1000).
    let mut s = None;
    for t in 0..100 {
        s = Some(State::record(s, t, 64_000, 100));
    }
    let s = s.unwrap();
    assert_eq!(s.retry_after(1_000, 64_000, 100), Some(64_000));
    // The log would admit at 64_000 (the event of time 0 has left); the bucket frees
    // when all of it has.
    assert_eq!(s.retry_after(64_999, 64_000, 100), Some(1));
    assert_eq!(s.retry_after(65_000, 64_000, 100), None);
    // The cooldown on the same key is exact whatever the bucket width.
    assert_eq!(s.retry_after(150, 1_000, 1), Some(949));
}

#[test]
fn a_lower_limit_after_a_higher_one_keeps_counting_the_newest() {
    let mut s = None;
    for t in 0..100 {
        s = Some(State::record(s, t * 10, 60_000, 100));
    }
    // Configuration lowered to 5 per minute: the newest five are known exactly.
    let s = State::record(s, 1_000, 60_000, 5);
    assert_eq!(s.retry_after(1_001, 60_000, 5), Some(960 + 60_000 - 1_001));
    assert!(State::decode(&s.encode()).is_some());
}

#[test]
fn decode_refuses_what_it_did_not_write() {
    assert_eq!(State::decode(&[]), None);
    assert_eq!(State::decode(&[2, 0, 0]), None);
    let s = State::record(None, 5, 1_000, 3);
    assert_eq!(State::decode(&s.encode()), Some(s));
}

#[test]
fn expiry_follows_the_newest_event_and_the_longest_window() {
    let s = State::record(None, 5, 1_000, 3);
    let s = State::record(Some(s), 7, 1_000, 3);
    assert_eq!(s.expires_at(1_000), 1_007);
}

#[tokio::test]
async fn events_of_schema_1_become_one_state_per_key() {
    use crate::store::{QuotaCheck, SqliteStore, Store};
    let q = |key: &str, window_ms, limit| QuotaCheck {
        key: key.into(),
        window_ms,
        limit,
    };
    let (minute, day) = (60_000, 86_400_000);
    let dir = tempfile::tempdir().unwrap();
    {
        let c = Connection::open(dir.path().join("gateway.db")).unwrap();
        c.execute_batch(&format!(
            "{}; PRAGMA user_version = 1;",
            super::super::MIGRATIONS[0]
        ))
        .unwrap();
        let insert = |key: &str, at: i64, window: i64| {
            c.execute(
                "INSERT INTO quota_events (key, at, expires_at) VALUES (?1, ?2, ?3)",
                params![key, at, at + window],
            )
            .unwrap();
        };
        insert("phone", 0, day);
        insert("phone", 600_000, day);
        for at in 0..100 {
            insert("location", at, minute);
        }
    }
    let s = SqliteStore::open(dir.path(), std::time::Duration::from_secs(5)).unwrap();
    // Two sends in the day are still counted, exactly.
    let denied = s
        .quota_acquire(&[q("phone", day, 2)], 700_000)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(denied.retry_after_ms, day - 700_000);
    // A hundred location events, more than are kept one by one: still all counted.
    assert!(
        s.quota_acquire(&[q("location", minute, 100)], 1_000)
            .await
            .unwrap()
            .is_err()
    );
    assert_eq!(
        s.quota_acquire(&[q("location", minute, 101)], 1_000)
            .await
            .unwrap(),
        Ok(())
    );
}
