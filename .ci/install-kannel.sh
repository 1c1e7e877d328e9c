#!/usr/bin/env bash
# Installs Kannel 1.4.5 from Debian for the load benchmark's peer scenario
# (tests/load/run.sh): `kannel` ships bearerbox and smsbox, `kannel-extras` the fake
# SMSC client /usr/lib/kannel/test/fakesmsc (`kannel` alone does not). Idempotent: does
# nothing when all three are there. The package would start Debian's kannel service
# (bearerbox on port 13000 and up); a temporary policy-rc.d keeps dpkg from starting it,
# and the benchmark runs its own boxes on ephemeral ports with its own configuration.
set -euo pipefail

FAKESMSC=/usr/lib/kannel/test/fakesmsc
if command -v bearerbox >/dev/null 2>&1 && command -v smsbox >/dev/null 2>&1 && [ -x "$FAKESMSC" ]; then
    echo "kannel already installed: $(command -v bearerbox), $(command -v smsbox), $FAKESMSC"
    exit 0
fi
# Debian installs the boxes in /usr/sbin, which a non-root PATH may lack.
if [ -x /usr/sbin/bearerbox ] && [ -x /usr/sbin/smsbox ] && [ -x "$FAKESMSC" ]; then
    echo "kannel already installed in /usr/sbin"
    exit 0
fi

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
$SUDO apt-get install -y -qq --no-install-recommends kannel kannel-extras

if [ ! -x /usr/sbin/bearerbox ] || [ ! -x "$FAKESMSC" ]; then
    echo "error: the kannel packages did not provide bearerbox and $FAKESMSC" >&2
    exit 1
fi
echo "kannel installed: /usr/sbin/bearerbox, /usr/sbin/smsbox, $FAKESMSC"
