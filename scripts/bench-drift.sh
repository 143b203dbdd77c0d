#!/usr/bin/env bash
# The drift-sync benchmark (docs/benchmarks.md): NUMBERS numbers over TENANTS tenants with a
# few percent of every kind of drift, in a PostgreSQL database and in the Twilio fake running
# as its own process. Prints the floor (paging the fake's listing with twilio-client alone,
# plus one bulk UPDATE of the rows the run changes, in a transaction rolled back) and one
# drift-sync run: wall time and peak RSS of each.
#
#   scripts/bench-drift.sh [NUMBERS] [TENANTS]        (default 100000 10000)
#
# Needs: a PostgreSQL server (BENCH_PG, default postgres://postgres@127.0.0.1:5432/test; a
# database drift_bench is dropped and created on it), psql, curl, jq, GNU time.
# DRIFT_ARGS adds flags to the drift-sync run; DRIFT_PREFIX runs it under another command
# (e.g. DRIFT_PREFIX='perf record -o drift.perf').
set -euo pipefail
N=${1:-100000}
T=${2:-10000}
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432/test}
BENCH_DB=${PG%/*}/drift_bench
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$(mktemp -d)
trap 'kill "${FAKE_PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

cargo build --release -q -p drift-sync -p twilio-fake --bin drift-sync --bin twilio-fake
cargo build --release -q -p twilio-client --example list_owned
BIN=$TARGET/release

# The fake, as its own process.
"$BIN/twilio-fake" --seed 1 >"$WORK/fake.out" 2>&1 &
FAKE_PID=$!
for _ in $(seq 50); do grep -q "control API" "$WORK/fake.out" 2>/dev/null && break; sleep 0.1; done
val() { sed -n "s/^$1=//p" "$WORK/fake.out"; }
export TWILIO_ACCOUNT_SID=$(val TWILIO_ACCOUNT_SID) TWILIO_AUTH_TOKEN=$(val TWILIO_AUTH_TOKEN)
export TWILIO_API_BASE_URL=$(val TWILIO_API_BASE_URL) TWILIO_PRICING_BASE_URL=$(val TWILIO_PRICING_BASE_URL)
CONTROL=$(sed -n 's/^control API: //p' "$WORK/fake.out")
VOICE=https://numbers.example/webhooks/twilio/voice

# A fresh database, migrated by a first (empty) run.
psql -q "$PG" -c "DROP DATABASE IF EXISTS drift_bench" -c "CREATE DATABASE drift_bench"
export DATABASE_URL=$BENCH_DB LOG_FORMAT=json RUST_LOG=${RUST_LOG:-error}
"$BIN/drift-sync" >/dev/null

# The fake's numbers, and the rows that go with them.
curl -sf -X POST "$CONTROL/numbers/seed" -H 'content-type: application/json' \
  -d "{\"count\": $N, \"voice_url\": \"$VOICE\"}" >/dev/null
curl -sf "$CONTROL/numbers?limit=$N" | jq -r '.[] | [.sid, .phone_number, .iso_country] | @csv' >"$WORK/owned.csv"
psql -q "$BENCH_DB" <<SQL
CREATE TABLE bench_owned (k SERIAL, sid TEXT, phone_number TEXT, iso_country TEXT);
\copy bench_owned (sid, phone_number, iso_country) FROM '$WORK/owned.csv' WITH (FORMAT csv)
INSERT INTO pricing_tiers VALUES (gen_random_uuid(), 'bench', 100000, now());
CREATE TABLE bench_tenants AS SELECT g AS idx, gen_random_uuid() AS id FROM generate_series(0, $T - 1) g;
INSERT INTO tenants SELECT id, 'tenant ' || idx, now() FROM bench_tenants;
-- 0.5 % of the tenants canceled yesterday: their numbers are bulk-released.
INSERT INTO subscriptions
  SELECT gen_random_uuid(), t.id, (SELECT id FROM pricing_tiers LIMIT 1),
         CASE WHEN t.idx % 200 = 0 THEN 'canceled' ELSE 'active' END, now() + interval '30 days',
         CASE WHEN t.idx % 200 = 0 THEN now() - interval '1 day' END, now()
  FROM bench_tenants t;
-- By k mod 100: 1 orphan (no row); 2, 3 active but gone from Twilio (drift); 4 pending and
-- gone (never completed); 5 pending and on Twilio (adopted); 7 active with another voice URL
-- (webhook drift); k mod 200 = 6 releasing and on Twilio (delete retried), = 106 releasing and
-- gone (marked released); the rest active and in step.
INSERT INTO phone_numbers (id, tenant_id, phone_number, twilio_sid, account_sid, iso_country,
    number_type, voice_capable, sms_capable, mms_capable, fax_capable, status, voice_url,
    status_callback_url, created_at, updated_at, purchased_at, release_reason)
  SELECT gen_random_uuid(), t.id, o.phone_number,
         CASE WHEN o.k % 100 = 5 THEN NULL ELSE o.sid END,
         '$TWILIO_ACCOUNT_SID', o.iso_country, 'local', true, true, true, false,
         CASE WHEN o.k % 100 IN (4, 5) THEN 'pending'
              WHEN o.k % 200 IN (6, 106) THEN 'releasing' ELSE 'active' END,
         CASE WHEN o.k % 100 = 7 THEN 'https://numbers.example/webhooks/twilio/voice?channel_id=x'
              ELSE '$VOICE' END,
         NULL, now() - interval '1 hour', now() - interval '1 hour', now() - interval '1 hour',
         CASE WHEN o.k % 200 IN (6, 106) THEN 'user' END
  FROM bench_owned o JOIN bench_tenants t ON t.idx = o.k % $T
  WHERE o.k % 100 <> 1;
CREATE TABLE bench_changed AS
  SELECT p.id FROM phone_numbers p JOIN bench_owned o ON o.phone_number = p.phone_number
  WHERE o.k % 100 IN (2, 3, 4, 5) OR o.k % 200 IN (6, 106)
     OR p.tenant_id IN (SELECT id FROM bench_tenants WHERE idx % 200 = 0);
ANALYZE;
SQL
# Gone from Twilio: delete them on the fake.
psql -qAt "$BENCH_DB" -c "SELECT sid FROM bench_owned WHERE k % 100 IN (2, 3, 4) OR k % 200 = 106" \
  | xargs -P 16 -I{} curl -sf -o /dev/null -X DELETE -u "$TWILIO_ACCOUNT_SID:$TWILIO_AUTH_TOKEN" \
      "$TWILIO_API_BASE_URL/2010-04-01/Accounts/$TWILIO_ACCOUNT_SID/IncomingPhoneNumbers/{}.json"
echo "rows: $(psql -qAt "$BENCH_DB" -c 'SELECT count(*) FROM phone_numbers'), on Twilio: $(curl -sf "$CONTROL/numbers/count" | jq .count), rows the run changes: $(psql -qAt "$BENCH_DB" -c 'SELECT count(*) FROM bench_changed')"

# The floor, measured now: the listing with the client alone, then one bulk update.
/usr/bin/time -f "floor listing: wall %e s, peak RSS %M KB" "$TARGET/release/examples/list_owned"
psql -q "$BENCH_DB" <<'SQL'
\timing on
BEGIN;
UPDATE phone_numbers SET status = 'released', released_at = now(), release_reason = 'drift', updated_at = now()
  WHERE id IN (SELECT id FROM bench_changed);
ROLLBACK;
SQL

# One drift-sync run.
/usr/bin/time -f "drift-sync: wall %e s, peak RSS %M KB, exit %x" \
  ${DRIFT_PREFIX:-} "$BIN/drift-sync" --max-drift-count 100000000 ${DRIFT_ARGS:-} || true
