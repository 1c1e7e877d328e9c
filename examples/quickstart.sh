#!/usr/bin/env bash
# The whole verification flow against a running gateway, step by step.
#
# Start the gateway first with the README's command, then run: bash examples/quickstart.sh
# Needs curl. GATEWAY_URL, API_KEY, OUTBOX and PHONE may be set to try another setup.
set -euo pipefail

GATEWAY_URL=${GATEWAY_URL:-http://127.0.0.1:8080}
API_KEY=${API_KEY:-dev-secret}
OUTBOX=${OUTBOX:-./data/mock-outbox.jsonl}
PHONE=${PHONE:-+79991234567}
LOCATION=${LOCATION:-quickstart}

step() { printf '\n== %s\n' "$*"; }
call() { # method path [json]
  local out
  out=$(curl -sS -X "$1" "$GATEWAY_URL$2" -H "Authorization: Bearer $API_KEY" \
    -H 'Content-Type: application/json' ${3:+-d "$3"} -w '\n%{http_code}')
  STATUS=${out##*$'\n'}
  BODY=${out%$'\n'*}
  printf '%s %s -> %s\n%s\n' "$1" "$2" "$STATUS" "$BODY"
}
field() { # name: the first top-level-ish "name":"value" (or number/bool) in BODY
  printf '%s' "$BODY" | grep -o "\"$1\":\"\{0,1\}[^\",}]*" | head -n 1 | sed 's/.*:"\{0,1\}//'
}
expect() { [ "$STATUS" = "$1" ] || { echo "expected HTTP $1, got $STATUS" >&2; exit 1; }; }

step "1. Is the gateway up?"
call GET /healthz; expect 200

step "2. Create the location (company name used as %SALON_TITLE%)"
call PUT "/v1/locations/$LOCATION" '{"company_name":"Beauty Lab","location_name":"Beauty Lab on Tverskaya","country":"RU","phone_confirmation":{"enabled":true,"template":"code_with_title"}}'
[ "$STATUS" = 200 ] || expect 201

step "3. Start a verification: the gateway makes a code and sends it"
call POST /v1/verifications "{\"location_id\":\"$LOCATION\",\"phone\":\"$PHONE\",\"purpose\":\"login\",\"client_ip\":\"203.0.113.7\"}"
[ "$STATUS" = 200 ] || expect 201
VERIFICATION=$(field id)

step "4. Read the code the phone received (the mock adapter's outbox: $OUTBOX)"
LINE=$(grep "\"to\":\"$PHONE\"" "$OUTBOX" | tail -n 1)
echo "$LINE"
CODE=$(printf '%s' "$LINE" | sed -n 's/.*"code":"\([0-9]*\)".*/\1/p')
[ -n "$CODE" ] || { echo "no code for $PHONE in $OUTBOX" >&2; exit 1; }
echo "code: $CODE"

step "5. Check the code the client typed"
call POST "/v1/verifications/$VERIFICATION/check" "{\"code\":\"$CODE\"}"; expect 200
TOKEN=$(field token)
[ -n "$TOKEN" ] || { echo "no token in the answer" >&2; exit 1; }

step "6. The account service introspects (and consumes) the token"
call POST /v1/tokens/introspect "{\"token\":\"$TOKEN\",\"consume\":true}"; expect 200
[ "$(field active)" = true ] || { echo "token not active" >&2; exit 1; }

step "Done: the phone is confirmed. See $GATEWAY_URL/metrics for what was counted."
