//! A bounded queue of keys that fall due at given times: whoever holds it takes the
//! keys whose time has come, earliest first. Used to revisit pending verifications when
//! they expire, so an expiry nobody asks about again is still counted.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Mutex;

/// Keys by the time (unix ms) they fall due.
#[derive(Debug)]
pub struct DueQueue {
    /// Min-heap on (due time, key).
    due: Mutex<BinaryHeap<Reverse<(i64, String)>>>,
    /// At most this many keys are held; more are refused (memory stays bounded).
    capacity: usize,
}

impl DueQueue {
    /// An empty queue holding at most `capacity` keys.
    pub fn new(capacity: usize) -> Self {
        Self {
            due: Mutex::new(BinaryHeap::new()),
            capacity,
        }
    }

    /// Adds `key`, due at `at`; false (and nothing added) when the queue is full.
    pub fn push(&self, at: i64, key: String) -> bool {
        let mut due = self.due.lock().unwrap_or_else(|p| p.into_inner());
        if due.len() >= self.capacity {
            return false;
        }
        due.push(Reverse((at, key)));
        true
    }

    /// Takes up to `max` keys due at or before `now`, earliest first.
    pub fn take_due(&self, now: i64, max: usize) -> Vec<String> {
        let mut due = self.due.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::new();
        while out.len() < max {
            match due.peek() {
                Some(Reverse((at, _))) if *at <= now => {
                    if let Some(Reverse((_, key))) = due.pop() {
                        out.push(key);
                    }
                }
                _ => break,
            }
        }
        out
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.due.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_out_when_due_earliest_first_and_the_queue_is_bounded() {
        let q = DueQueue::new(3);
        assert!(q.push(30, "c".into()));
        assert!(q.push(10, "a".into()));
        assert!(q.push(20, "b".into()));
        assert!(!q.push(5, "d".into()), "full");
        assert!(q.take_due(9, 10).is_empty());
        assert_eq!(q.take_due(20, 10), ["a", "b"]);
        assert_eq!(q.take_due(100, 0), Vec::<String>::new());
        assert_eq!(q.take_due(100, 10), ["c"]);
        assert!(q.is_empty());
    }
}
