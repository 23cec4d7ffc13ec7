#!/usr/bin/env bash
# Load test of store mode (issue 30): 64 concurrent clients, each with its
# own session, for DURATION seconds of mixed traffic (80 % reads, 15 %
# updates, 5 % renewals; benches/load.lua) against the bench server on
# 127.0.0.1 with a Redis or PostgreSQL store on loopback. Prints throughput,
# latency percentiles, errors (non-2xx and socket errors: must be zero) and
# the store's own work per request (Redis commands from INFO commandstats;
# PostgreSQL transactions from pg_stat_database). Bounded: each backend runs
# once for DURATION seconds, then the script stops.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-60}
CLIENTS=${CLIENTS:-64}
PORT=${PORT:-3290}
BACKENDS=${BACKENDS:-"redis postgres"}
PG_URL=${SESSION_SEAL_POSTGRES_URL:-}

command -v wrk >/dev/null || { echo "wrk is required (benches/http.sh installs it)"; exit 1; }
cargo build -q --release -p benches --bin bench-server
server=target/release/bench-server
work=$(mktemp -d "${TMPDIR:-/tmp}/session-seal-load.XXXXXX")
trap 'rm -rf "$work"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT

store_work() { # the store's own count of work done so far
  case "$1" in
    redis) redis-cli -h 127.0.0.1 -p 6379 info commandstats \
      | awk -F'[=,:]' '/^cmdstat_/ {n += $3} END {print n}' ;;
    postgres) psql "$PG_URL" -Atc \
      "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()" ;;
  esac
}

for backend in $BACKENDS; do
  if [ "$backend" = postgres ] && [ -z "$PG_URL" ]; then
    echo "postgres: set SESSION_SEAL_POSTGRES_URL (as .ci/run does); skipped"; continue
  fi
  "$server" "store-$backend" "$PORT" &
  pid=$!
  for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/login" && break; sleep 0.1; done
  : > "$work/cookies"
  for _ in $(seq 1 "$CLIENTS"); do
    curl -s -D - -o /dev/null "http://127.0.0.1:$PORT/login" | tr -d '\r' \
      | awk 'tolower($1)=="set-cookie:" {split($2, a, ";"); print a[1]; exit}' >> "$work/cookies"
  done
  before=$(store_work "$backend")
  out=$(COOKIES="$work/cookies" timeout $((DURATION + 30)) wrk -t"$CLIENTS" -c"$CLIENTS" \
    -d"${DURATION}s" --latency -s benches/load.lua "http://127.0.0.1:$PORT/")
  after=$(store_work "$backend")
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  socket=$(echo "$out" | awk '/Socket errors/ {print $0}')
  echo "== $backend: $CLIENTS clients, ${DURATION}s"
  echo "$out" | grep -E "Requests/sec|Latency  | 50%| 90%| 99%"
  echo "requests: $requests; non-2xx: ${non2xx:-0}; ${socket:-socket errors: 0}"
  awk -v d=$((after - before)) -v n="$requests" -v b="$backend" \
    'BEGIN {printf "store work per request: %.2f %s\n", d / n, (b == "redis" ? "Redis commands" : "PostgreSQL transactions")}'
done
