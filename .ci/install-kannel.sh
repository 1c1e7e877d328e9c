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

bash "$(dirname "$0")/apt-install.sh" kannel kannel-extras

if [ ! -x /usr/sbin/bearerbox ] || [ ! -x "$FAKESMSC" ]; then
    echo "error: the kannel packages did not provide bearerbox and $FAKESMSC" >&2
    exit 1
fi
echo "kannel installed: /usr/sbin/bearerbox, /usr/sbin/smsbox, $FAKESMSC"
