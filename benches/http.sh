#!/usr/bin/env bash
# HTTP benchmark: one server per case on 127.0.0.1, pinned to core 0, loaded
# by wrk (1 thread, 32 connections) pinned to core 1. Rounds are interleaved
# so drift hits every case alike. Bounded: ROUNDS x cases x SECONDS, then it
# stops by itself. Prints median req/s and the ratio to the no-session baseline.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
PORT=${PORT:-3190}
# CASES="baseline enc-read private-jar" runs a subset (keep baseline: the ratios use it).
read -r -a CASES <<< "${CASES:-baseline identity-layer floor seal-read seal-read-outer floor-write seal-write enc-read rev-read signed-jar private-jar tower-sessions store-memory store-redis store-redis-cluster store-postgres store-sqlite}"

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk (Debian package)"
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
command -v taskset >/dev/null || { echo "taskset (util-linux) is required"; exit 1; }
# The store-redis case needs a server on 127.0.0.1:6379 (as .ci/run starts).
if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "installing redis-server (Debian package)"
    (apt-get update -qq && apt-get install -y -qq --no-install-recommends redis-server) >/dev/null
  fi
  redis-server --bind 127.0.0.1 --port 6379 --save "" --appendonly no --daemonize yes >/dev/null
  for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

# The store-postgres case needs the database `.ci/run` sets up (or
# SESSION_SEAL_POSTGRES_URL); store-sqlite needs nothing.
# The store-redis-cluster case needs the cluster .ci/run starts on
# 127.0.0.1:7001-7003 (or SESSION_SEAL_REDIS_CLUSTER_URLS).
if ! redis-cli -h 127.0.0.1 -p 7001 cluster info 2>/dev/null | grep -q cluster_state:ok; then
  echo "no Redis Cluster on 127.0.0.1:7001 (run .ci/run first); store-redis-cluster will fail" >&2
fi

cargo build -q --release -p benches --bin bench-server
server=target/release/bench-server
declare -A results cpu user
HZ=$(getconf CLK_TCK)
# utime + stime of process $1, in clock ticks (/proc/<pid>/stat fields 14, 15;
# the name field is parenthesised and may hold spaces, so cut after it).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
# utime alone: the server's user-space work (the layer's and the handler's),
# without the kernel's network stack, which is most of the noise.
user_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12}'; }

for round in $(seq 1 "$ROUNDS"); do
  for case in "${CASES[@]}"; do
    taskset -c 0 "$server" "$case" "$PORT" &
    pid=$!
    trap 'kill $pid 2>/dev/null || true' EXIT
    for _ in $(seq 1 50); do
      curl -s -o /dev/null "http://127.0.0.1:$PORT/login" && break
      sleep 0.1
    done
    cookie=$(curl -s -D - -o /dev/null "http://127.0.0.1:$PORT/login" \
      | tr -d '\r' | awk 'tolower($1)=="set-cookie:" {split($2, a, ";"); print a[1]; exit}')
    # Every case except the baseline must really hold a session.
    if [ "$case" != baseline ]; then
      code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "http://127.0.0.1:$PORT/")
      [ "$code" = 200 ] || { echo "$case: session not read (HTTP $code)"; exit 1; }
    fi
    before=$(cpu_ticks "$pid")
    user_before=$(user_ticks "$pid")
    out=$(timeout $((SECONDS_PER_RUN + 20)) taskset -c 1 wrk -t1 -c32 -d"${SECONDS_PER_RUN}s" \
      -H "Cookie: ${cookie:-sid=none}" "http://127.0.0.1:$PORT/")
    after=$(cpu_ticks "$pid")
    user_after=$(user_ticks "$pid")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    # The server's own CPU time per request (user + system, excluding time
    # the machine gave to others): steadier than req/s on a shared machine.
    cpu_us=$(awk -v t=$((after - before)) -v n="$requests" -v hz="$HZ" \
      'BEGIN {printf "%.2f", (n > 0 ? t * 1e6 / hz / n : 0)}')
    user_us=$(awk -v t=$((user_after - user_before)) -v n="$requests" -v hz="$HZ" \
      'BEGIN {printf "%.2f", (n > 0 ? t * 1e6 / hz / n : 0)}')
    results[$case]="${results[$case]:-} $rps"
    cpu[$case]="${cpu[$case]:-} $cpu_us"
    user[$case]="${user[$case]:-} $user_us"
    printf 'round %s  %-20s %10s req/s  %6s µs CPU/request (%s µs user)\n' "$round" "$case" "$rps" "$cpu_us" "$user_us"
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
base=$(echo "${results[baseline]}" | median)
base_cpu=$(echo "${cpu[baseline]}" | median)
base_user=$(echo "${user[baseline]}" | median)
echo
echo "| case | req/s (median of $ROUNDS) | × baseline | server CPU µs/request (median) | added | user-space µs/request (median) | added |"
echo "|---|---|---|---|---|---|---|"
for case in "${CASES[@]}"; do
  m=$(echo "${results[$case]}" | median)
  c=$(echo "${cpu[$case]}" | median)
  u=$(echo "${user[$case]}" | median)
  awk -v n="$case" -v m="$m" -v b="$base" -v c="$c" -v bc="$base_cpu" -v u="$u" -v bu="$base_user" \
    'BEGIN {printf "| %s | %.0f | %.2f | %.2f | %+.2f | %.2f | %+.2f |\n", n, m, m / b, c, c - bc, u, u - bu}'
done
# The layer's goal: the server CPU a read (and a write) adds, next to the floor's.
added() { awk -v c="$(echo "${cpu[$1]:-}" | median)" -v b="$base_cpu" 'BEGIN {print c - b}'; }
added_user() { awk -v c="$(echo "${user[$1]:-}" | median)" -v b="$base_user" 'BEGIN {print c - b}'; }
for pair in "seal-read floor" "seal-read-outer floor" "seal-write floor-write"; do
  read -r ours floor <<< "$pair"
  if [ -n "${cpu[$ours]:-}" ] && [ -n "${cpu[$floor]:-}" ]; then
    awk -v o="$(added "$ours")" -v f="$(added "$floor")" -v n="$ours" -v m="$floor" \
      'BEGIN {printf "%s adds %.2f µs of server CPU per request, %s %.2f µs: %.2fx\n", n, o, m, f, o / f}'
    awk -v o="$(added_user "$ours")" -v f="$(added_user "$floor")" -v n="$ours" -v m="$floor" \
      'BEGIN {printf "%s adds %.2f µs of user-space CPU per request, %s %.2f µs: %.2fx\n", n, o, m, f, o / f}'
  fi
done
