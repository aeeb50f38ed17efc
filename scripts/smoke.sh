#!/usr/bin/env bash
# Curl smoke test against a running API: the product brief's curl tests, end to end.
# Usage: scripts/smoke.sh [API_URL]   (default http://127.0.0.1:5000)
set -euo pipefail
API="${1:-${API_URL:-http://127.0.0.1:5000}}"
pass=0
fail=0

check() { # check NAME EXPECTED_STATUS ACTUAL_STATUS
  if [ "$2" = "$3" ]; then pass=$((pass + 1)); echo "ok   $1"; else fail=$((fail + 1)); echo "FAIL $1: expected $2, got $3"; fi
}
status() { curl -s -o /tmp/smoke.$$ -w '%{http_code}' "$@"; }
body() { cat /tmp/smoke.$$; }
trap 'rm -f /tmp/smoke.$$' EXIT

check "health" 200 "$(status "$API/health")"
grep -q '"status":"ok"' /tmp/smoke.$$ || { fail=$((fail + 1)); echo "FAIL health body: $(body)"; }

LEARNER=$(python3 -c 'import uuid; print(uuid.uuid4())')
check "register anonymous learner" 201 "$(status -X POST "$API/api/learners" -H 'Content-Type: application/json' -d "{\"userId\":\"$LEARNER\"}")"
TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' /tmp/smoke.$$)
check "register the same learner again" 409 "$(status -X POST "$API/api/learners" -H 'Content-Type: application/json' -d "{\"userId\":\"$LEARNER\"}")"
check "identity with the learner token" 200 "$(status "$API/api/identity" -H "Authorization: Bearer $TOKEN")"
check "identity without a token" 401 "$(status "$API/api/identity")"
check "identity for someone else's userId" 403 "$(status "$API/api/identity?userId=$(python3 -c 'import uuid; print(uuid.uuid4())')" -H "Authorization: Bearer $TOKEN")"

for extra in "$(dirname "$0")"/smoke.d/*.sh; do
  [ -e "$extra" ] || continue
  # shellcheck source=/dev/null
  source "$extra"
done

echo "smoke: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
