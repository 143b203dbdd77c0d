#!/usr/bin/env bash
# Verified voice webhooks per second beside GET /v1/phone-numbers, in the same run, at 1 and
# 16 connections (issue 12). Both do one indexed read: the list reads the tenant's numbers,
# the webhook verifies X-Twilio-Signature (HMAC-SHA1 over the public URL and ~20 form
# parameters) and then reads the called number with its channel. The goal is a webhook rate
# of at least 0.8x the list's: verification must not be what limits it.
#
#   scripts/bench-webhooks.sh                        # 3 rounds on PostgreSQL
#   BENCH_ROUNDS=5 BENCH_SECONDS=5 scripts/bench-webhooks.sh
#   BENCH_PROFILE=debug scripts/bench-webhooks.sh   # the dev build already there (no release build)
#
# The service runs in sandbox mode (its master account is the in-process fake's, whose auth
# token the script reads from the fake's control API to sign the request once), with
# PUBLIC_BASE_URL set to a host it is never reached at, as behind a proxy. The list and the
# webhook alternate, round after round, so a change in the machine's load hits both.
#
# Needs: cargo, PostgreSQL on 127.0.0.1:5432 (trust auth; override with BENCH_PG_URL), psql,
# wrk, curl, python3, taskset. Touches only the database numbers_bench_webhooks (dropped at
# the end) and a temporary folder; stops every process it started.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_RUN="${BENCH_SECONDS:-8}"
ROUNDS="${BENCH_ROUNDS:-3}"
CONNECTIONS="${BENCH_CONNECTIONS:-1 16}"
NUMBERS="${BENCH_NUMBERS:-20}"
SERVICE_CPUS="${BENCH_SERVICE_CPUS-0}"
LOAD_CPUS="${BENCH_LOAD_CPUS-1}"
PG_SERVER_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
BENCH_DB=numbers_bench_webhooks
PG_URL="$PG_SERVER_URL/$BENCH_DB"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
PUBLIC_BASE_URL="https://numbers.bench.example"

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'bench-webhooks: %s\n' "$*" >&2; exit 1; }
for tool in cargo psql wrk curl python3; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is missing"
done
pin() {
    local cpus="$1"
    shift
    if [ -n "$cpus" ]; then taskset -c "$cpus" "$@"; else "$@"; fi
}
psql_admin() { psql "$PG_SERVER_URL/postgres" -v ON_ERROR_STOP=1 -qAt "$@"; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-webhooks.XXXXXX")"
SERVER_PID=""
cleanup() {
    local status=$?
    if [ -n "$SERVER_PID" ]; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    psql_admin -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PROFILE="${BENCH_PROFILE:-release}"
say "building api and the seeding example ($PROFILE)"
if [ "$PROFILE" = release ]; then
    cargo build --release -p numbers-api --bin api -p numbers-http --example bench_seed >&2
else
    cargo build -p numbers-api --bin api -p numbers-http --example bench_seed >&2
fi
API="$TARGET_DIR/$PROFILE/api"
SEED="$TARGET_DIR/$PROFILE/examples/bench_seed"

JWT_SECRET="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
export JWT_SECRET PUBLIC_BASE_URL
unset TWILIO_ACCOUNT_SID TWILIO_AUTH_TOKEN TWILIO_API_KEY_SID TWILIO_API_KEY_SECRET \
    TWILIO_API_BASE_URL TWILIO_PRICING_BASE_URL APP_ENV
# Info, as in production: each webhook logs `Inbound call received` (to a file here).
export RUST_LOG="${BENCH_RUST_LOG:-info}" LOG_FORMAT=pretty

psql_admin -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" >/dev/null
psql_admin -c "CREATE DATABASE $BENCH_DB" >/dev/null
DATABASE_URL="$PG_URL" "$API" migrate 2>"$WORK/migrate.log" || die "$(cat "$WORK/migrate.log")"
TENANT="$(DATABASE_URL="$PG_URL" "$SEED" "$NUMBERS" 2>"$WORK/seed.log")" || die "$(cat "$WORK/seed.log")"
TOKEN="$("$API" token --tenant "$TENANT" --role admin 2>"$WORK/token.log")" || die "$(cat "$WORK/token.log")"

pinning=()
[ -n "$SERVICE_CPUS" ] && pinning=(taskset -c "$SERVICE_CPUS")
DATABASE_URL="$PG_URL" BIND_ADDR=127.0.0.1:0 "${pinning[@]}" "$API" serve >"$WORK/serve.out" 2>"$WORK/serve.log" &
SERVER_PID=$!
port=""
for _ in $(seq 1 100); do
    port="$(sed -n 's#.*listening on http://127\.0\.0\.1:\([0-9]*\).*#\1#p' "$WORK/serve.log" | head -n 1)"
    [ -n "$port" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "api serve exited: $(cat "$WORK/serve.log")"
    sleep 0.1
done
[ -n "$port" ] || die "api serve did not say where it listens"
BASE="http://127.0.0.1:$port"
FAKE="$(sed -n 's#.*in-process fake at \(http://127\.0\.0\.1:[0-9]*\).*#\1#p' "$WORK/serve.log" | head -n 1)"
[ -n "$FAKE" ] || die "no sandbox fake in the log: $(cat "$WORK/serve.log")"
curl -fsS "$FAKE/_fake/credentials" >"$WORK/credentials.json"

# The voice webhook Twilio sends for a call to the first seeded number, signed once.
python3 - "$WORK" "$PUBLIC_BASE_URL" <<'PY'
import base64, hashlib, hmac, json, sys, urllib.parse
work, public = sys.argv[1], sys.argv[2]
creds = json.load(open(work + "/credentials.json"))
path = "/webhooks/twilio/voice"
params = [("AccountSid", creds["account_sid"]), ("ApiVersion", "2010-04-01"),
          ("CallSid", "CA" + "5" * 32), ("CallStatus", "ringing"), ("Called", "+14155550100"),
          ("CalledCity", "SAN FRANCISCO"), ("CalledCountry", "US"), ("CalledState", "CA"),
          ("CalledZip", "94105"), ("Caller", "+14155550199"), ("CallerCity", "SAN FRANCISCO"),
          ("CallerCountry", "US"), ("CallerState", "CA"), ("CallerZip", "94105"),
          ("Direction", "inbound"), ("From", "+14155550199"), ("FromCity", "SAN FRANCISCO"),
          ("FromCountry", "US"), ("FromState", "CA"), ("FromZip", "94105"),
          ("To", "+14155550100"), ("ToCity", "SAN FRANCISCO"), ("ToCountry", "US"),
          ("ToState", "CA"), ("ToZip", "94105")]
signed = public + path + "".join(k + v for k, v in sorted(set(params)))
signature = base64.b64encode(hmac.new(creds["auth_token"].encode(), signed.encode(), hashlib.sha1).digest()).decode()
body = urllib.parse.urlencode(params)
lua = f"""wrk.method = "POST"
wrk.path = "{path}"
wrk.body = "{body}"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-Twilio-Signature"] = "{signature}"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.status + e.timeout))
end
"""
open(work + "/voice.lua", "w").write(lua)
open(work + "/voice.body", "w").write(body)
open(work + "/voice.signature", "w").write(signature)
PY
cat >"$WORK/list.lua" <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.status + e.timeout))
end
LUA

# Check both answers before loading them.
status="$(curl -s -o "$WORK/voice.out" -w '%{http_code}' "$BASE/webhooks/twilio/voice" \
    -H "X-Twilio-Signature: $(cat "$WORK/voice.signature")" \
    -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "@$WORK/voice.body")"
[ "$status" = 200 ] && grep -q '<Response>' "$WORK/voice.out" ||
    die "the signed webhook was answered $status: $(cat "$WORK/voice.out")"
listed="$(curl -fsS "$BASE/v1/phone-numbers" -H "Authorization: Bearer $TOKEN" | grep -o '"phone_number":' | wc -l)"
[ "$listed" -eq "$NUMBERS" ] || die "the list returned $listed numbers"

RESULTS="$WORK/results.tsv"
: >"$RESULTS"
run() { # run NAME CONNECTIONS SCRIPT [TOKEN]
    local name="$1" conns="$2" script="$3" token="${4:-}" header=() out line
    [ -n "$token" ] && header=(-H "Authorization: Bearer $token")
    out="$(pin "$LOAD_CPUS" wrk -t 1 -c "$conns" -d "${SECONDS_PER_RUN}s" --timeout 10s \
        "${header[@]}" -s "$script" "$BASE/v1/phone-numbers")"
    line="$(grep '^WRK ' <<<"$out")" || die "wrk printed no summary: $out"
    read -r _ requests duration p50 p99 errors <<<"$line"
    [ "$errors" = 0 ] || die "$name c=$conns: $errors errors"
    local rps
    rps="$(awk -v n="$requests" -v d="$duration" 'BEGIN { printf "%.0f", n / (d / 1e6) }')"
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$conns" "$rps" "$p50" "$p99" >>"$RESULTS"
    say "$name c=$conns: $rps req/s (p50 $p50 µs, p99 $p99 µs)"
}
STARTED_AT="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
run warmup 16 "$WORK/voice.lua" >/dev/null 2>&1 || true
for round in $(seq 1 "$ROUNDS"); do
    for c in $CONNECTIONS; do
        run list "$c" "$WORK/list.lua" "$TOKEN"
        run voice "$c" "$WORK/voice.lua"
    done
done
# The webhooks really were verified: the service counted them so.
verified="$(curl -fsS "$BASE/metrics" | sed -n 's#^twilio_webhooks_total{route="/webhooks/twilio/voice",outcome="verified"} \([0-9]*\)#\1#p')"
[ "${verified:-0}" -gt 0 ] || die "no verified webhook was counted"
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"

{
    echo
    echo "Run $STARTED_AT on PostgreSQL, $PROFILE build, $ROUNDS rounds of ${SECONDS_PER_RUN} s per cell (list and" \
        "webhook alternating), service on CPU(s) '${SERVICE_CPUS:-any}', wrk on '${LOAD_CPUS:-any}';" \
        "load average before $LOAD_START, after $LOAD_END; $verified webhooks counted as verified."
    echo
    echo "| connections | \`GET /v1/phone-numbers\` req/s (min–max) | verified voice webhook req/s (min–max) | webhook / list per round (min–max) |"
    echo "|---:|---:|---:|---:|"
    awk -F'\t' '
        $1 == "warmup" { next }
        { key = $1 SUBSEP $2; n[key]++; v[key, n[key]] = $3 }
        function lo(k,   i, m) { m = v[k, 1]; for (i = 2; i <= n[k]; i++) if (v[k, i] < m) m = v[k, i]; return m }
        function hi(k,   i, m) { m = v[k, 1]; for (i = 2; i <= n[k]; i++) if (v[k, i] > m) m = v[k, i]; return m }
        END {
            split(conns, cs, " ")
            for (j = 1; j in cs; j++) {
                c = cs[j]; l = "list" SUBSEP c; w = "voice" SUBSEP c
                rmin = 1e9; rmax = 0
                for (i = 1; i <= n[l]; i++) { r = v[w, i] / v[l, i]; if (r < rmin) rmin = r; if (r > rmax) rmax = r }
                printf "| %s | %s–%s | %s–%s | %.2f–%.2f |\n", c, lo(l), hi(l), lo(w), hi(w), rmin, rmax
            }
        }' conns="$CONNECTIONS" "$RESULTS"
}
