#!/usr/bin/env bash
# Installs the Python tools the suite uses into a virtualenv under target/ (never into
# the system Python): openapi-spec-validator (checks the served /openapi.json is valid
# OpenAPI 3.1) and schemathesis (property-based tests of the real gateway process against
# that document). Idempotent: does nothing when the venv already has the pinned versions.
# Prints the venv's bin directory on its last line; tests find it at target/venv/bin.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${PYTHON_TOOLS_VENV:-target/venv}"
# Pinned: a new schemathesis release may add checks or change its CLI; bump on purpose.
PINS=("openapi-spec-validator==0.9.0" "schemathesis==4.32.5")

want="${PINS[*]}"
stamp="$VENV/.pins"
if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "python tools already installed in $VENV: $want"
    exit 0
fi

if ! python3 -m venv --help >/dev/null 2>&1; then
    # Debian's python3 splits venv support out; the machine's pyenv Python has it.
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends python3-venv
fi

rm -rf "$VENV"
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"
"$VENV/bin/openapi-spec-validator" --help >/dev/null
"$VENV/bin/schemathesis" --version
echo "$want" >"$stamp"
echo "python tools installed in $VENV: $want"
