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

bash "$(dirname "$0")/apt-install.sh" prometheus

if ! command -v promtool >/dev/null 2>&1; then
    echo "error: the prometheus package did not provide promtool on PATH" >&2
    exit 1
fi
echo "promtool installed: $(command -v promtool)"
promtool --version 2>&1 | head -n 1
