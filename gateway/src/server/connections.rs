//! How many connections the listener may hold, and the open-file limit behind it.
//!
//! Every connection is a file descriptor. A process that runs out of descriptors can
//! accept nothing (not even `/healthz`) and cannot open its store: a few hundred idle or
//! stalled connections were enough at the common soft limit of 256 or 1024. So at start
//! the soft limit is raised to the hard one (what systemd, Docker and shells allow
//! without privileges), and the connection cap is set below what the limit leaves, so
//! the listener waits in the kernel backlog instead of failing `accept` when full.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Descriptors kept back from connections: the store's files, adapter libraries and
/// their outgoing connections, logs.
const RESERVE: u64 = 64;

/// Never more connections than this by default (actix's own per-worker default).
const DEFAULT_CAP: u64 = 25_000;

/// Raises the soft open-file limit to the hard limit and returns the limit in force
/// (`None` when unlimited or unknown).
pub fn raise_open_file_limit() -> Option<u64> {
    let limit = getrlimit(Resource::Nofile);
    if let (Some(soft), Some(hard)) = (limit.current, limit.maximum)
        && soft < hard
    {
        let raised = Rlimit {
            current: Some(hard),
            maximum: Some(hard),
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => tracing::info!(from = soft, to = hard, "raised the open-file limit"),
            Err(e) => tracing::warn!(soft, hard, error = %e, "could not raise the open-file limit"),
        }
    }
    getrlimit(Resource::Nofile).current
}

/// The connection cap over all workers: the configured one, else what the open-file
/// limit leaves after [`RESERVE`] (a quarter of it when the limit is tiny).
pub fn connection_cap(configured: Option<usize>, open_files: Option<u64>) -> usize {
    if let Some(n) = configured {
        return n.max(1);
    }
    let cap = match open_files {
        Some(n) if n > RESERVE * 2 => (n - RESERVE).min(DEFAULT_CAP),
        Some(n) => (n / 4).max(1),
        None => DEFAULT_CAP,
    };
    usize::try_from(cap).unwrap_or(usize::MAX)
}

/// `cap` shared over `workers` (actix counts connections per worker), at least one each.
pub fn per_worker(cap: usize, workers: usize) -> usize {
    (cap / workers.max(1)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_stays_below_the_open_file_limit() {
        assert_eq!(connection_cap(None, Some(256)), 192);
        assert_eq!(connection_cap(None, Some(1024)), 960);
        assert_eq!(connection_cap(None, Some(1 << 20)), 25_000);
        assert_eq!(connection_cap(None, Some(100)), 25);
        assert_eq!(connection_cap(None, None), 25_000);
        assert_eq!(connection_cap(Some(10), Some(256)), 10);
        assert_eq!(per_worker(192, 2), 96);
        assert_eq!(per_worker(1, 4), 1);
    }

    #[test]
    fn raising_keeps_a_usable_limit() {
        let before = getrlimit(Resource::Nofile);
        let now = raise_open_file_limit();
        assert!(now >= before.current, "{now:?} < {:?}", before.current);
    }
}
