#!/usr/bin/env bash
# Contract test: schemathesis (all checks; examples, coverage and fuzzing phases; fixed seed) against a live
# gunicorn server with production settings (DEBUG off), over a small demo city in its own database.
# Usage: scripts/contract.sh  (or `make contract`). Exits non-zero on any failure or server error.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${CONTRACT_PORT:-8101}"
SCALE="${CONTRACT_SCALE:-0.02}"
SEED="${CONTRACT_SEED:-20260101}"
MAX_EXAMPLES="${CONTRACT_MAX_EXAMPLES:-10}"
VAR="${CONTRACT_VAR_DIR:-$PWD/var/contract}"
PY=.venv/bin/python
BASE="http://127.0.0.1:$PORT"

# Production settings with throw-away secrets; the demo database lives in its own directory, so the
# developer's demo (var/ylyx.sqlite3) is never touched.
mkdir -p "$VAR" && rm -rf "$VAR"/*.log "$VAR"/schemathesis-*.toml "$VAR"/report-*
export PYTHONPATH="$PWD/src" YLYX_VAR_DIR="$VAR" DJANGO_SETTINGS_MODULE=ylyx.settings.prod
DJANGO_SECRET_KEY="$(head -c 48 /dev/urandom | base64)"
BLIND_INDEX_KEY="$(head -c 32 /dev/urandom | base64)"
FIELD_ENCRYPTION_KEYS="{\"ct1\": \"$(head -c 32 /dev/urandom | base64)\"}"
export DJANGO_SECRET_KEY BLIND_INDEX_KEY FIELD_ENCRYPTION_KEYS FIELD_ENCRYPTION_ACTIVE_KEY=ct1
export ALLOWED_HOSTS=127.0.0.1,localhost

t0=$(date +%s)
$PY manage.py build_demo --scale "$SCALE" --fresh > "$VAR/build.log"
token() { $PY manage.py drf_create_token "$1" | awk '{print $3}'; }
COUNTY_TOKEN="$(token demo_linhe)"   # 旗县区工作人员, 临河区
CITY_TOKEN="$(token demo_minzheng)"  # 市民政局管理员

# Behind the production proxy every request arrives as HTTPS (SECURE_PROXY_SSL_HEADER); say so here too.
PROTO="X-Forwarded-Proto: https"
up() {  # the server answers /healthz
  $PY -c "import sys, urllib.request as u
r = u.Request('$BASE/healthz', headers={'X-Forwarded-Proto': 'https'})
sys.exit(0 if u.urlopen(r, timeout=5).status == 200 else 1)" 2>/dev/null
}
if up; then echo "port $PORT is already in use; set CONTRACT_PORT" >&2; exit 2; fi
.venv/bin/gunicorn ylyx.wsgi:application --bind "127.0.0.1:$PORT" --workers 2 --timeout 60 \
  --access-logfile "$VAR/access.log" --access-logformat '%(m)s %(U)s %(s)s %(M)sms' --error-logfile "$VAR/server.log" 2>>"$VAR/server.log" &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do up && break; sleep 0.5; done
kill -0 "$SERVER" && up || { echo "the server did not start:"; tail -20 "$VAR/server.log"; exit 2; }

run() {  # $1: label, $2: token, $3: username (whose reachable ids seed the path parameters)
  { cat scripts/schemathesis.toml; echo; $PY scripts/contract_ids.py "$3"; } > "$VAR/schemathesis-$1.toml"
  # One worker per run, the two runs side by side: the same load on the server as --workers 2, without
  # threads inside schemathesis (CPython 3.11.7's ast.parse is not thread-safe, gh-106905; Hypothesis calls it).
  .venv/bin/schemathesis --config-file "$VAR/schemathesis-$1.toml" run docs/openapi.yaml --url "$BASE" \
    --header "$PROTO" --header "Authorization: Token $2" \
    --checks all --phases examples,coverage,fuzzing --seed "$SEED" --max-examples "$MAX_EXAMPLES" \
    --workers 1 --request-timeout 30 --no-color --report junit --report-dir "$VAR/report-$1" > "$VAR/$1.log" 2>&1
}
run county "$COUNTY_TOKEN" demo_linhe & COUNTY=$!
if [ "${CONTRACT_CITY:-1}" = 1 ]; then run city "$CITY_TOKEN" demo_minzheng & CITY=$!; fi
status=0
wait "$COUNTY" || status=1
echo "== schemathesis as 旗县区工作人员 (demo_linhe)"; cat "$VAR/county.log"
if [ -n "${CITY:-}" ]; then
  wait "$CITY" || status=1
  echo "== schemathesis as 市民政局管理员 (demo_minzheng)"; cat "$VAR/city.log"
fi

if grep -q "Traceback" "$VAR/server.log"; then
  echo "server log has tracebacks:"; grep -B2 -A20 "Traceback" "$VAR/server.log" | head -80; status=1
fi
echo "contract: $(( $(date +%s) - t0 )) s, exit $status"
exit $status
