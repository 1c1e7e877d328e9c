#!/usr/bin/env bash
# Installs `redis-server` and `redis-cli` (Debian's redis-server and redis-tools), which
# the store conformance suite and the cross-instance end-to-end tests start on
# ephemeral ports in temp dirs. Idempotent: does nothing when both are on PATH. The
# packaged daemon is never started (policy-rc.d) and never relied on: tests run their
# own servers.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
    echo "redis already installed: $(redis-server --version | head -n 1)"
    exit 0
fi

bash "$(dirname "$0")/apt-install.sh" redis-server redis-tools

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    echo "redis-server/redis-cli still not on PATH after installing" >&2
    exit 1
fi
redis-server --version | head -n 1
