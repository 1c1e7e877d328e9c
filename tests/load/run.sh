#!/usr/bin/env bash
# The load benchmark in one command (issues 9 and 18): installs wrk and Kannel (the peer,
# .ci/install-kannel.sh) from Debian if missing, builds the gateway, the mock adapter,
# the actix-web baseline and the harness in release mode, then runs every scenario on
# 127.0.0.1 and writes the markdown table to stdout and target/bench/load-report.md.
# Extra arguments go to `loadbench` (defaults `--duration 6s --rounds 2 --connections 32
# --soak 10s`; `--only kannel,messages` runs a subset; see `loadbench --help`).
# Prints how long the whole command took (build included) at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v wrk >/dev/null 2>&1; then
  echo "wrk is missing: installing it from Debian" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq wrk
fi

bash .ci/install-kannel.sh
# Debian puts bearerbox and smsbox in /usr/sbin.
export PATH="$PATH:/usr/sbin"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release -p gateway -p adapter-mock -p bench-baseline -p bench-load
# The build leaves gigabytes for the kernel to write back; not during the first scenario.
sync

"$CARGO_TARGET_DIR/release/loadbench" \
  --bin-dir "$CARGO_TARGET_DIR/release" \
  --lua-dir tests/load/lua \
  --out "$CARGO_TARGET_DIR/bench/load-report.md" \
  "$@"
echo "tests/load/run.sh: done in ${SECONDS} s (build included)" >&2
