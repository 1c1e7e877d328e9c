//! The Lua scripts behind the multi-step operations. Redis runs a script atomically
//! (nothing else runs meanwhile, and it is replicated and written to the AOF as one
//! unit), so each is all-or-nothing. Values are stored as `<expires_at>|<value>`
//! (`expires_at` in the gateway's Unix milliseconds, empty for never); every script
//! judges liveness against the caller's `now`, so expiry follows the gateway's clock.
//! Native TTLs only bound how long dead data occupies memory.

use std::sync::LazyLock;

/// Shared helpers: liveness of a stored value, and a SET with an optional TTL.
const PRELUDE: &str = r#"
local function live(raw, now)
  if not raw then return false end
  local sep = string.find(raw, '|', 1, true)
  if not sep then return true end
  local exp = string.sub(raw, 1, sep - 1)
  return exp == '' or tonumber(exp) > now
end
local function put(key, value, ttl)
  if ttl == '' then
    redis.call('SET', key, value)
  else
    redis.call('SET', key, value, 'PX', ttl)
  end
end
local function s(x) return string.format('%.0f', x) end
"#;

fn with_prelude(body: &str) -> redis::Script {
    redis::Script::new(&format!("{PRELUDE}{body}"))
}

/// `KEYS[1]` is the claim, `KEYS[2..]` the items; `ARGV[1]` is `now`, then per key its
/// encoded value and TTL (`''`: none). Writes every key only if the claim holds no
/// live value; returns 1 if it did.
pub(super) static CLAIM_WITH: LazyLock<redis::Script> = LazyLock::new(|| {
    with_prelude(
        r#"
local now = tonumber(ARGV[1])
if live(redis.call('GET', KEYS[1]), now) then return 0 end
for i = 1, #KEYS do put(KEYS[i], ARGV[2 * i], ARGV[2 * i + 1]) end
return 1
"#,
    )
});

/// Writes every key: per key its encoded value and TTL, from `ARGV[1]`.
pub(super) static PUT_ALL: LazyLock<redis::Script> = LazyLock::new(|| {
    with_prelude(
        r#"
for i = 1, #KEYS do put(KEYS[i], ARGV[2 * i - 1], ARGV[2 * i]) end
return 1
"#,
    )
});

/// Compare-and-set of `KEYS[1]`: only if it still holds exactly what the caller read
/// (`ARGV[1]` = '1' and the raw value in `ARGV[2]`, or '0' for absent), apply
/// `ARGV[3]` ('put' `ARGV[4]` with TTL `ARGV[5]`, 'del' or 'keep') and delete
/// `KEYS[2..]`, all at once; returns 1 if applied, 0 if the key changed meanwhile.
pub(super) static CAS: LazyLock<redis::Script> = LazyLock::new(|| {
    with_prelude(
        r#"
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if cur ~= ARGV[2] then return 0 end
elseif cur then
  return 0
end
if ARGV[3] == 'put' then
  put(KEYS[1], ARGV[4], ARGV[5])
elseif ARGV[3] == 'del' then
  redis.call('DEL', KEYS[1])
end
for i = 2, #KEYS do redis.call('DEL', KEYS[i]) end
return 1
"#,
    )
});

/// Sliding-log quotas over sorted sets (score = event time). `KEYS` are the distinct
/// counters; `ARGV[1]` = now, `ARGV[2]` = this event's unique member, `ARGV[3]` = the
/// grace added to native TTLs, `ARGV[4]` = number of checks, then per check: key
/// index (1-based), window ms, limit. Events older than a key's longest window are
/// dropped; a check is full when its `limit`-th newest event is inside its window.
/// If any is full, returns `{0, check index (0-based), ms until a slot frees}` (the
/// longest wait, first check on ties) and counts nothing; else adds one event per
/// key, kept for the key's longest window, and returns `{1}`.
pub(super) static QUOTA: LazyLock<redis::Script> = LazyLock::new(|| {
    with_prelude(
        r#"
local now = tonumber(ARGV[1])
local grace = tonumber(ARGV[3])
local n = tonumber(ARGV[4])
local keep = {}
for i = 0, n - 1 do
  local k = tonumber(ARGV[5 + 3 * i])
  local w = tonumber(ARGV[6 + 3 * i])
  if not keep[k] or w > keep[k] then keep[k] = w end
end
for k, w in pairs(keep) do
  redis.call('ZREMRANGEBYSCORE', KEYS[k], '-inf', s(now - w))
end
local denied, wait = -1, 0
for i = 0, n - 1 do
  local k = tonumber(ARGV[5 + 3 * i])
  local w = tonumber(ARGV[6 + 3 * i])
  local limit = tonumber(ARGV[7 + 3 * i])
  local ms = nil
  if limit == 0 then
    ms = w
  else
    local r = redis.call('ZREVRANGEBYSCORE', KEYS[k], '+inf', '(' .. s(now - w),
      'WITHSCORES', 'LIMIT', limit - 1, 1)
    if r[2] then ms = math.max(tonumber(r[2]) + w - now, 1) end
  end
  if ms and (denied < 0 or ms > wait) then
    denied = i
    wait = ms
  end
end
if denied >= 0 then return {0, denied, wait} end
for k, w in pairs(keep) do
  redis.call('ZADD', KEYS[k], s(now), ARGV[2])
  redis.call('PEXPIRE', KEYS[k], s(w + grace))
end
return {1}
"#,
    )
});

/// Undoes one quota event: `ARGV[1]` = the time it was counted at; from each of
/// `KEYS` removes one member with that score (any one: members of one time are
/// interchangeable). Returns how many were removed.
pub(super) static QUOTA_RELEASE: LazyLock<redis::Script> = LazyLock::new(|| {
    with_prelude(
        r#"
local at = s(tonumber(ARGV[1]))
local removed = 0
for _, key in ipairs(KEYS) do
  local m = redis.call('ZRANGEBYSCORE', key, at, at, 'LIMIT', 0, 1)
  if m[1] then removed = removed + redis.call('ZREM', key, m[1]) end
end
return removed
"#,
    )
});

/// GCRA token bucket shared by every instance. `KEYS[1]` holds the theoretical arrival
/// time (TAT) in ms; `ARGV[1]` = now, `ARGV[2]` = ms per permit (may be fractional),
/// `ARGV[3]` = burst, `ARGV[4]` = TTL grace. A permit is granted if the TAT is at most
/// `(burst - 1)` intervals ahead of now; then the TAT moves one interval on. Returns
/// 0 when granted, else the ms until the next permit (at least 1).
pub(super) static RATE: LazyLock<redis::Script> = LazyLock::new(|| {
    with_prelude(
        r#"
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local grace = tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tat < now then tat = now end
local ahead = tat - now - (burst - 1) * interval
if ahead > 0 then return math.max(math.ceil(ahead), 1) end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.3f', new_tat), 'PX', s(new_tat - now + grace))
return 0
"#,
    )
});

/// One `SCAN` step, run as a script so that it reaches the node holding the
/// deployment's keys in Cluster mode (`KEYS[1]` carries the prefix's hash tag):
/// `ARGV[1]` = cursor, `ARGV[2]` = pattern, `ARGV[3]` = count. Returns `{cursor, keys}`.
pub(super) static SCAN: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r#"
return redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', ARGV[3])
"#,
    )
});

/// Moves `KEYS[1]` to `KEYS[2]`, keeping its TTL. `ARGV[1]` = 'zset': a quota counter,
/// merged into one already there (its events count too; `AGGREGATE MAX` so an event
/// in both is one event); 'value': a value, dropped if `KEYS[2]` exists. Returns 1 if
/// `KEYS[1]` existed.
pub(super) static MOVE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local ttl = math.max(redis.call('PTTL', KEYS[1]), redis.call('PTTL', KEYS[2]))
if ARGV[1] == 'zset' then
  redis.call('ZUNIONSTORE', KEYS[2], 2, KEYS[2], KEYS[1], 'AGGREGATE', 'MAX')
elseif redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('SET', KEYS[2], redis.call('GET', KEYS[1]))
else
  ttl = redis.call('PTTL', KEYS[2])
end
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
redis.call('DEL', KEYS[1])
return 1
"#,
    )
});
