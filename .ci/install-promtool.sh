#!/usr/bin/env bash
# Installs `promtool` (Prometheus' checker for metrics text, rules and rule unit tests),
# which gateway/tests/observability.rs needs. Idempotent: does nothing when promtool is
# already on PATH. Debian's `prometheus` package ships /usr/bin/promtool (checked with
# `dpkg -c` on prometheus 2.42.0+ds-5+deb12u1, bookworm). Installing it may also try to
# start the prometheus daemon; we stop only that service if it is running, and never
# rely on it.
set -euo pipefail

if command -v promtool >/dev/null 2>&1; then
    echo "promtool already installed: $(command -v promtool)"
    promtool --version 2>&1 | head -n 1
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
# policy-rc.d exit 101 keeps dpkg from starting the prometheus daemon during install.
POLICY=/usr/sbin/policy-rc.d
CREATED_POLICY=0
if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
    $SUDO chmod +x "$POLICY"
    CREATED_POLICY=1
fi
cleanup() {
    if [ "$CREATED_POLICY" -eq 1 ]; then
        $SUDO rm -f "$POLICY"
    fi
}
trap cleanup EXIT

$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends prometheus

if ! command -v promtool >/dev/null 2>&1; then
    echo "error: the prometheus package did not provide promtool on PATH" >&2
    exit 1
fi
echo "promtool installed: $(command -v promtool)"
promtool --version 2>&1 | head -n 1
