#!/usr/bin/env bash
# Installs Debian's Chromium, which the `/docs` end-to-end test drives headless to prove
# the API reference renders from files in the binary with no request to another host.
# Idempotent: does nothing when chromium is already on PATH.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
    echo "chromium already installed: $(command -v chromium)"
    exit 0
fi
bash "$(dirname "$0")/apt-install.sh" chromium
command -v chromium >/dev/null 2>&1 || { echo "error: no chromium on PATH after install" >&2; exit 1; }
echo "chromium installed: $(chromium --version 2>/dev/null || true)"
