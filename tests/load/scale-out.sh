#!/usr/bin/env bash
# Two-instance benchmark (issue 16): one redis-server (AOF, appendfsync everysec) and two
# release gateways sharing it, all on 127.0.0.1 ephemeral ports in a temp dir; wrk drives
# both instances at once, first `POST /v1/messages`, then `POST /v1/verifications`
# (every request a fresh phone and client /48, so no quota refuses). Prints requests/s,
# status counts and CPU per operation of each gateway and of Redis (from /proc, over the
# load window only). Usage: tests/load/scale-out.sh [seconds] [connections per instance]
# Needs: redis-server (.ci/install-redis.sh), wrk, and a release build
# (`cargo build --release -p gateway -p adapter-mock`).
set -euo pipefail
cd "$(dirname "$0")/../.."
DUR=${1:-10}
CONN=${2:-32}
BIN="${CARGO_TARGET_DIR:-$PWD/target}/release"
LUA="$PWD/tests/load/lua"
for f in gateway libadapter_mock.so; do
  [ -e "$BIN/$f" ] || { echo "$BIN/$f is missing: cargo build --release -p gateway -p adapter-mock" >&2; exit 1; }
done
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
TOKEN=bench-secret-key

RP=$(port)
mkdir -p "$WORK/redis"
redis-server --port "$RP" --bind 127.0.0.1 --save "" --appendonly yes --appendfsync everysec \
  --dir "$WORK/redis" >/dev/null 2>&1 &
RPID=$!; PIDS+=("$RPID")
for _ in $(seq 100); do redis-cli -p "$RP" PING 2>/dev/null | grep -q PONG && break; sleep 0.05; done

HASH=$(printf %s "$TOKEN" | "$BIN/gateway" hash-key)
start_gw() { # name -> prints "pid base"
  local dir="$WORK/$1"; mkdir -p "$dir"
  cat > "$dir/gateway.toml" <<TOML
adapters_dir = "$BIN"
[[auth.api_keys]]
name = "bench"
hash = "$HASH"
[log]
level = "warn"
[routing]
default_channels = ["mock"]
[[adapters]]
name = "mock"
library = "libadapter_mock.so"
settings = { outbox = "/dev/null" }
[limits]
location_per_minute = 1000000
[store]
backend = "redis"
message_retention = "10m"
[store.redis]
url = "redis://127.0.0.1:$RP"
[verification]
secret = "bench-shared-verification-secret"
TOML
  "$BIN/gateway" serve --config "$dir/gateway.toml" --listen 127.0.0.1:0 --data-dir "$dir/data" \
    >"$dir/out" 2>"$dir/log" &
  local pid=$!
  for _ in $(seq 200); do grep -q "listening on" "$dir/out" && break; sleep 0.05; done
  echo "$pid http://$(sed -n 's/gateway listening on //p' "$dir/out" | head -1)"
}
read -r APID A < <(start_gw a); PIDS+=("$APID")
read -r BPID B < <(start_gw b); PIDS+=("$BPID")
LOCS=100
for i in $(seq 0 $((LOCS - 1))); do
  curl -sf -X PUT -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' "$A/v1/locations/bench-$i" \
    -d '{"company_name":"Beauty Lab","location_name":"Bench","country":"RU","phone_confirmation":{"enabled":true,"template":"code_with_title"},"online_booking":{"require_phone_confirmation":true}}' >/dev/null
done

run() { # label mode offset (phones: wrk thread t of instance A uses +79<t+1+offset>…, B +2)
  local label=$1 mode=$2 off=$3
  local a0 b0 r0; a0=$(ticks "$APID"); b0=$(ticks "$BPID"); r0=$(ticks "$RPID")
  wrk -t2 -c"$CONN" -d"${DUR}s" --latency -s "$LUA/scale-out.lua" "$A" -- "$TOKEN" "$LOCS" "$off" "$mode" >"$WORK/wa" 2>&1 &
  local wa=$!
  wrk -t2 -c"$CONN" -d"${DUR}s" --latency -s "$LUA/scale-out.lua" "$B" -- "$TOKEN" "$LOCS" $((off + 2)) "$mode" >"$WORK/wb" 2>&1 &
  local wb=$!
  wait $wa $wb
  local a1 b1 r1; a1=$(ticks "$APID"); b1=$(ticks "$BPID"); r1=$(ticks "$RPID")
  local na nb; na=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$WORK/wa"); nb=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$WORK/wb")
  local bad; bad=$(cat "$WORK/wa" "$WORK/wb" | sed -n 's/.*Non-2xx or 3xx responses: \([0-9]*\).*/\1/p' | paste -sd+ | sed 's/^$/0/' | bc)
  local p99a; p99a=$(sed -n 's/^ *99% *\(.*\)$/\1/p' "$WORK/wa")
  local n=$((na + nb))
  awk -v l="$label" -v n="$n" -v d="$DUR" -v bad="$bad" -v ga=$((a1 - a0)) -v gb=$((b1 - b0)) -v r=$((r1 - r0)) -v hz="$HZ" -v p99="$p99a" 'BEGIN {
    printf "| %s | %d | %.0f | %d | %s | %.0f | %.0f | %.0f |\n", l, n, n / d, bad, p99,
      (ga + gb) * 1e6 / hz / n, ga * 1e6 / hz / (n / 2), r * 1e6 / hz / n }'
}
echo "two gateways (release) + redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), ${DUR} s per flow, ${CONN} connections per instance, $(nproc) cores"
echo
echo "| Flow (A and B at once) | Requests | Requests/s (sum) | Non-2xx | p99 on A | Gateway CPU µs/op (A+B) | per instance µs/op | Redis CPU µs/op |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
run "POST /v1/messages" messages 0
run "POST /v1/verifications" verifications 4
echo
echo "redis: $(redis-cli -p "$RP" DBSIZE) keys, used_memory $(redis-cli -p "$RP" INFO memory | sed -n 's/^used_memory_human:\(.*\)\r$/\1/p')"
