//! [`Store::rekey`](crate::store::Store::rekey) for Redis: `SCAN` for the old keys
//! (a script, so it runs on the node of the deployment's hash tag in Cluster mode),
//! rename each here, then move each with one script, atomically per key. Several
//! instances starting at once move each key once: the second finds it gone.

use super::{RedisStore, scripts};
use crate::store::{Rekey, Rename, StoreError};

/// Keys asked for per `SCAN` step.
const SCAN_COUNT: u32 = 1000;

/// `s` with the glob characters of `MATCH` escaped.
fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// [`crate::store::Store::rekey`].
pub(super) async fn rekey(
    store: &RedisStore,
    what: Rekey<'_>,
    rename: Rename<'_>,
) -> Result<u64, StoreError> {
    // The full key is `<base><short key>`; `rename` sees and returns short keys.
    let (base, start, kind) = match what {
        Rekey::Quotas(prefix) => (store.quota_key(""), prefix, "zset"),
        Rekey::Values(ns) => (store.key(ns, ""), "", "value"),
    };
    let pattern = format!("{}*", glob_escape(&format!("{base}{start}")));
    let mut cursor = "0".to_owned();
    let mut moved = 0;
    loop {
        let mut inv = scripts::SCAN.prepare_invoke();
        inv.key(&base).arg(&cursor).arg(&pattern).arg(SCAN_COUNT);
        let (next, keys): (String, Vec<String>) = store.script(inv).await?;
        for full in keys {
            let Some(new) = full.strip_prefix(&base).and_then(rename) else {
                continue;
            };
            let mut inv = scripts::MOVE.prepare_invoke();
            inv.key(&full).key(format!("{base}{new}")).arg(kind);
            let n: i64 = store.script(inv).await?;
            moved += n as u64;
        }
        if next == "0" {
            return Ok(moved);
        }
        cursor = next;
    }
}
