#!/usr/bin/env bash
# HTTP load benchmark of the API (issue 6): GET /v1/phone-numbers (a tenant with 20 numbers)
# and GET /v1/phone-numbers/available (through the sandbox's in-process Twilio fake), at 1,
# 16 and 64 connections, on PostgreSQL and on SQLite, with wrk; GET /healthz as the HTTP
# stack's own ceiling; and, as the floor, pgbench running the list endpoint's own SELECT at
# the same concurrency on the same PostgreSQL server. Prints a Markdown table.
#
#   scripts/bench-api.sh                     # ~5 minutes after the release build
#   BENCH_SECONDS=5 scripts/bench-api.sh     # shorter runs
#
# Needs: cargo, PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres; override with
# BENCH_PG_URL, a server URL without the database), psql and pgbench (found under
# /usr/lib/postgresql/*/bin when not on PATH), wrk (installed with apt-get when missing and
# running as root), curl, taskset.
#
# Placement (2 cores): the service is pinned to BENCH_SERVICE_CPUS (default 0), wrk and
# pgbench to BENCH_LOAD_CPUS (default 1). PostgreSQL is a shared server and is not pinned:
# its backends run wherever the scheduler puts them. Set BENCH_SERVICE_CPUS= and
# BENCH_LOAD_CPUS= (empty) to pin nothing.
#
# Touches only the database numbers_bench (dropped and re-created, dropped again at the
# end) and a temporary folder; stops every process it started.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_RUN="${BENCH_SECONDS:-10}"
WARMUP_SECONDS="${BENCH_WARMUP_SECONDS:-3}"
CONNECTIONS="${BENCH_CONNECTIONS:-1 16 64}"
NUMBERS="${BENCH_NUMBERS:-20}"
SERVICE_CPUS="${BENCH_SERVICE_CPUS-0}"
LOAD_CPUS="${BENCH_LOAD_CPUS-1}"
# One pgbench thread, like wrk's one thread: on one pinned core, more threads (-j N) only add
# context switches and lower the floor (about 17 000 vs 12 000 tx/s at 16 clients here).
PGBENCH_THREADS="${BENCH_PGBENCH_THREADS:-1}"
PG_SERVER_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
BENCH_DB=numbers_bench
PG_URL="$PG_SERVER_URL/$BENCH_DB"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'bench-api: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------
# Tools.
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is missing ($2)"; }
need cargo "install Rust"
need psql "apt-get install -y postgresql-client"
if ! command -v wrk >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    say "installing wrk"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2
fi
need wrk "apt-get install -y wrk"
need curl "apt-get install -y curl"
PGBENCH="$(command -v pgbench || true)"
if [ -z "$PGBENCH" ]; then
    PGBENCH="$(ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | sort -V | tail -n 1 || true)"
fi
[ -n "$PGBENCH" ] || die "pgbench is missing (it comes with the PostgreSQL server package, e.g. postgresql-15)"
if [ -n "$SERVICE_CPUS$LOAD_CPUS" ]; then need taskset "apt-get install -y util-linux"; fi

pin() { # pin CPUS COMMAND...: runs COMMAND on CPUS, or unpinned when CPUS is empty
    local cpus="$1"
    shift
    if [ -n "$cpus" ]; then taskset -c "$cpus" "$@"; else "$@"; fi
}

psql_admin() { psql "$PG_SERVER_URL/postgres" -v ON_ERROR_STOP=1 -qAt "$@"; }

# ---------------------------------------------------------------------------------------
# Clean-up: whatever happens, stop the service and drop what was created.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-api.XXXXXX")"
SERVER_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}
cleanup() {
    local status=$?
    stop_server
    if [ "${BENCH_KEEP:-0}" != 1 ]; then
        psql_admin -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" >/dev/null 2>&1 || true
        rm -rf "$WORK"
    else
        say "kept $WORK and the database $BENCH_DB"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------
say "building api and the seeding example (release)"
cargo build --release -p numbers-api --bin api -p numbers-http --example bench_seed >&2
API="$TARGET_DIR/release/api"
SEED="$TARGET_DIR/release/examples/bench_seed"
[ -x "$API" ] && [ -x "$SEED" ] || die "built binaries not found under $TARGET_DIR/release"

# A fresh secret per run; sandbox mode needs no Twilio credentials, so make sure none leak in.
JWT_SECRET="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
export JWT_SECRET
unset TWILIO_ACCOUNT_SID TWILIO_AUTH_TOKEN TWILIO_API_KEY_SID TWILIO_API_KEY_SECRET \
    TWILIO_API_BASE_URL TWILIO_PRICING_BASE_URL APP_ENV
export RUST_LOG="${BENCH_RUST_LOG:-info}" LOG_FORMAT=pretty

# wrk reports through this script: requests, duration (us), p50 and p99 latency (us), errors.
cat >"$WORK/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
LUA

# The SELECT the list endpoint sends (PhoneNumbers::list_for_tenant with the default
# filter: only the columns the answer shows), as diesel writes it; copied from PostgreSQL's
# log with log_statement=all. Parameters: $1 the tenant id, $2 'released'.
cat >"$WORK/list.sql" <<'SQL'
SELECT "phone_numbers"."id", "phone_numbers"."channel_id", "phone_numbers"."phone_number", "phone_numbers"."iso_country", "phone_numbers"."number_type", "phone_numbers"."friendly_name", "phone_numbers"."voice_capable", "phone_numbers"."sms_capable", "phone_numbers"."mms_capable", "phone_numbers"."fax_capable", "phone_numbers"."monthly_price_usd", "phone_numbers"."status", "phone_numbers"."failure_code", "phone_numbers"."created_at", "phone_numbers"."purchased_at", "phone_numbers"."released_at", "phone_numbers"."release_reason" FROM "phone_numbers" WHERE (("phone_numbers"."tenant_id" = :tenant) AND ("phone_numbers"."status" != :released)) ORDER BY "phone_numbers"."created_at", "phone_numbers"."id"
SQL

RESULTS="$WORK/results.tsv" # backend, what, connections, rps, p50 ms, p99 ms, errors, CPU µs/request
: >"$RESULTS"

# Other people's work on the machine: the most compiler and test processes seen running
# (sampled before each measured cell). The load average counts the benchmark's own processes
# (64 PostgreSQL backends at 64 clients), so it says little while the benchmark runs.
OTHERS_MAX=0
sample_others() {
    local n
    n="$(ps -eo comm= | grep -cxE 'rustc|cargo|cc1|cc1plus|ld|rust-lld|clippy-driver' || true)"
    [ "$n" -gt "$OTHERS_MAX" ] && OTHERS_MAX="$n"
    return 0
}

us_to_ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

# load NAME BACKEND CONNECTIONS URL [TOKEN]: one measured wrk run, appended to RESULTS.
load() {
    local name="$1" backend="$2" conns="$3" url="$4" token="${5:-}"
    local header=()
    [ -n "$token" ] && header=(-H "Authorization: Bearer $token")
    local out
    sample_others
    local cpu_before cpu_after
    cpu_before="$(cpu_ticks "$SERVER_PID")"
    out="$(pin "$LOAD_CPUS" wrk -t 1 -c "$conns" -d "${SECONDS_PER_RUN}s" --timeout 10s \
        "${header[@]}" -s "$WORK/report.lua" "$url")"
    cpu_after="$(cpu_ticks "$SERVER_PID")"
    local line
    line="$(grep '^WRK ' <<<"$out")" || die "wrk printed no summary: $out"
    read -r _ requests duration p50 p99 errors <<<"$line"
    local rps cpu
    rps="$(awk -v n="$requests" -v d="$duration" 'BEGIN { printf "%.0f", n / (d / 1e6) }')"
    # The service's CPU time (user + system, all its threads) per request, in microseconds.
    cpu="$(awk -v t="$((cpu_after - cpu_before))" -v hz="$CLOCK_TICKS" -v n="$requests" \
        'BEGIN { printf "%.0f", (n > 0 ? t / hz * 1e6 / n : 0) }')"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$backend" "$name" "$conns" "$rps" \
        "$(us_to_ms "$p50")" "$(us_to_ms "$p99")" "$errors" "$cpu" >>"$RESULTS"
    say "$backend $name c=$conns: $rps req/s, p50 $(us_to_ms "$p50") ms, p99 $(us_to_ms "$p99") ms, errors $errors, service CPU $cpu µs/request"
}

# cpu_ticks PID: user + system CPU time of the process so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
CLOCK_TICKS="$(getconf CLK_TCK)"

warm() { # warm URL [TOKEN]: fill the pools and caches, not measured
    local url="$1" token="${2:-}"
    local header=()
    [ -n "$token" ] && header=(-H "Authorization: Bearer $token")
    pin "$LOAD_CPUS" wrk -t 1 -c 64 -d "${WARMUP_SECONDS}s" "${header[@]}" "$url" >/dev/null
}

# floor KIND CONNECTIONS TENANT: pgbench with the script $WORK/KIND.sql, appended to RESULTS
# as floor/KIND.
floor() {
    local kind="$1" conns="$2" tenant="$3"
    local logdir="$WORK/pgbench-$kind-$conns"
    mkdir -p "$logdir"
    local out
    sample_others
    out="$(cd "$logdir" && pin "$LOAD_CPUS" "$PGBENCH" -n -M prepared -f "$WORK/$kind.sql" \
        -D tenant="$tenant" -D released=released -c "$conns" -j "$PGBENCH_THREADS" \
        -T "$SECONDS_PER_RUN" -l --sampling-rate=0.1 --log-prefix=floor "$PG_URL" 2>&1)" ||
        die "pgbench failed: $out"
    local tps failed
    tps="$(awk '/^tps = / { printf "%.0f", $3; exit }' <<<"$out")"
    failed="$(awk '/^number of failed transactions:/ { print $5; exit }' <<<"$out")"
    [ -n "$tps" ] || die "pgbench printed no tps: $out"
    # Column 3 of pgbench's (sampled) transaction log is the latency in microseconds.
    local pcts p50 p99
    pcts="$(cat "$logdir"/floor.* | awk '{ print $3 }' | sort -n | awk '
        { v[NR] = $1 }
        END { i50 = int(NR * 0.50); if (i50 < 1) i50 = 1; i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
              printf "%.2f %.2f", v[i50] / 1000, v[i99] / 1000 }')"
    read -r p50 p99 <<<"$pcts"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' postgres "floor/$kind" "$conns" "$tps" "$p50" "$p99" \
        "${failed:-0}" "" >>"$RESULTS"
    say "postgres floor ($kind) c=$conns: $tps tx/s, p50 $p50 ms, p99 $p99 ms"
}

# ---------------------------------------------------------------------------------------
# serve BACKEND DATABASE_URL: migrate, seed, start the service; sets BASE, TOKEN, TENANT.
serve() {
    local backend="$1" url="$2"
    say "$backend: migrating and seeding $NUMBERS numbers"
    DATABASE_URL="$url" "$API" migrate 2>>"$WORK/$backend-migrate.log" ||
        die "api migrate failed: $(cat "$WORK/$backend-migrate.log")"
    TENANT="$(DATABASE_URL="$url" "$SEED" "$NUMBERS" 2>>"$WORK/$backend-seed.log")" ||
        die "seeding failed: $(cat "$WORK/$backend-seed.log")"
    TOKEN="$("$API" token --tenant "$TENANT" --role admin 2>>"$WORK/$backend-token.log")" ||
        die "api token failed: $(cat "$WORK/$backend-token.log")"

    local log="$WORK/$backend-serve.log"
    # taskset execs the service, so $! is the service's own pid.
    local pinning=()
    [ -n "$SERVICE_CPUS" ] && pinning=(taskset -c "$SERVICE_CPUS")
    DATABASE_URL="$url" BIND_ADDR=127.0.0.1:0 "${pinning[@]}" "$API" serve \
        >"$WORK/$backend-serve.out" 2>"$log" &
    SERVER_PID=$!
    local port=""
    for _ in $(seq 1 100); do
        port="$(sed -n 's#.*listening on http://127\.0\.0\.1:\([0-9]*\).*#\1#p' "$log" | head -n 1)"
        [ -n "$port" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || die "api serve exited: $(cat "$log")"
        sleep 0.1
    done
    [ -n "$port" ] || die "api serve did not say where it listens: $(cat "$log")"
    BASE="http://127.0.0.1:$port"
    grep -q 'SANDBOX MODE' "$log" || die "the service is not in sandbox mode"

    # Check the answers before loading them.
    local listed offered
    listed="$(curl -fsS "$BASE/v1/phone-numbers" -H "Authorization: Bearer $TOKEN" |
        grep -o '"phone_number":' | wc -l)"
    [ "$listed" -eq "$NUMBERS" ] || die "$backend: the list returned $listed numbers, not $NUMBERS"
    offered="$(curl -fsS "$BASE$AVAILABLE" -H "Authorization: Bearer $TOKEN" |
        grep -o '"phone_number":' | wc -l)"
    [ "$offered" -eq 5 ] || die "$backend: available returned $offered numbers, not 5"
    say "$backend: serving on $BASE (pid $SERVER_PID), tenant $TENANT"
}

AVAILABLE='/v1/phone-numbers/available?country=US&type=local&limit=5'
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
STARTED_AT="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

# PostgreSQL.
say "postgres: re-creating the database $BENCH_DB"
psql_admin -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" >/dev/null
psql_admin -c "CREATE DATABASE $BENCH_DB" >/dev/null
serve postgres "$PG_URL"
warm "$BASE/healthz"
for c in $CONNECTIONS; do load healthz postgres "$c" "$BASE/healthz"; done
warm "$BASE/v1/phone-numbers" "$TOKEN"
for c in $CONNECTIONS; do load list postgres "$c" "$BASE/v1/phone-numbers" "$TOKEN"; done
warm "$BASE$AVAILABLE" "$TOKEN"
for c in $CONNECTIONS; do load available postgres "$c" "$BASE$AVAILABLE" "$TOKEN"; done
stop_server
# The floor runs with the service stopped, so it has the machine the endpoint had.
for c in $CONNECTIONS; do floor list "$c" "$TENANT"; done

# SQLite.
SQLITE_PATH="$WORK/bench.sqlite3"
serve sqlite "$SQLITE_PATH"
warm "$BASE/v1/phone-numbers" "$TOKEN"
for c in $CONNECTIONS; do load list sqlite "$c" "$BASE/v1/phone-numbers" "$TOKEN"; done
warm "$BASE$AVAILABLE" "$TOKEN"
for c in $CONNECTIONS; do load available sqlite "$c" "$BASE$AVAILABLE" "$TOKEN"; done
stop_server

LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------------------------------
# The table. Ratio: the endpoint's rate over the floor's at the same concurrency.
{
    echo
    echo "Run $STARTED_AT, ${SECONDS_PER_RUN} s per cell, $NUMBERS numbers;" \
        "service on CPU(s) '${SERVICE_CPUS:-any}', wrk and pgbench on '${LOAD_CPUS:-any}'," \
        "PostgreSQL unpinned; pgbench -j $PGBENCH_THREADS; load average before: $LOAD_START," \
        "after: $LOAD_END; at most $OTHERS_MAX compiler processes (others' builds) present at a" \
        "cell's start."
    echo
    echo "| backend | endpoint | connections | requests/s | p50 (ms) | p99 (ms) | errors | service CPU (µs/request) | floor req/s | ratio to floor |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' '
        $2 == "floor/list" { floor[$3] = $4 }
        { n++; backend[n] = $1; what[n] = $2; conns[n] = $3; rps[n] = $4; p50[n] = $5
          p99[n] = $6; errors[n] = $7; cpu[n] = ($8 == "" ? "—" : $8) }
        END {
            label["healthz"] = "`GET /healthz` (no database)"
            label["list"] = "`GET /v1/phone-numbers`"
            label["available"] = "`GET /v1/phone-numbers/available`"
            label["floor/list"] = "floor: pgbench, the list SELECT"
            for (i = 1; i <= n; i++) {
                fl = "—"; ratio = "—"
                if (backend[i] == "postgres" && what[i] == "list" && (conns[i] in floor)) {
                    fl = floor[conns[i]]; ratio = sprintf("**%.2f**", rps[i] / fl)
                }
                printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", backend[i],
                    label[what[i]], conns[i], rps[i], p50[i], p99[i], errors[i], cpu[i], fl, ratio
            }
        }' "$RESULTS"
}
