#!/usr/bin/env bash
# Installs Debian packages for the test and benchmark tools: `apt-install.sh PKG...`.
# The one copy of what every `.ci/install-*.sh` needs: sudo when not root, no prompts,
# `apt-get update` first, and a temporary policy-rc.d (exit 101) so dpkg starts none of
# the packaged daemons (prometheus, redis, kannel); the tests run their own servers.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
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

$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "$@"
