#!/usr/bin/env bash
# Compile time of `registry!` as the number of its session types grows.
#
# Creates a throwaway crate in a temporary directory that depends on the
# facade by path with its default features (as the compile-fail suite uses
# it) and on serde, writes N session types and one `registry!` listing them
# all into its `src/lib.rs`, runs `cargo check` once to warm, then touches
# the file and times `cargo check` (best of RUNS). Prints a table of N and
# seconds; the derive alone is in every figure (N derives per file).
#
# Builds go to their own target directory (target/registry-bench under the
# workspace, kept between runs so the dependencies are built once), so the
# workspace's own artifacts are not invalidated. Bounded: every cargo call
# has a timeout, and the temporary crate is deleted on exit.
#
#   benches/registry_compile_time.sh                 # N = 10 50 100 200
#   NS="10 400" RUNS=5 benches/registry_compile_time.sh
#   SESSION_SEAL_DIR=/path/to/copy benches/registry_compile_time.sh
#   BASELINE=1 benches/registry_compile_time.sh      # and without the registry!
#
# BASELINE=1 adds a column: the same file without its `registry!` (the N
# derives alone), so the registry's own share is the difference.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
root=$(pwd)

read -r -a NS <<< "${NS:-10 50 100 200}"
RUNS=${RUNS:-3}
BASELINE=${BASELINE:-0}
SESSION_SEAL_DIR=$(cd "${SESSION_SEAL_DIR:-$root}" && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target/registry-bench}
# The first check builds the facade's dependencies; later ones take seconds.
WARM_TIMEOUT=${WARM_TIMEOUT:-1800}
CHECK_TIMEOUT=${CHECK_TIMEOUT:-300}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/registry-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
crate=$tmp/registry-bench
mkdir -p "$crate/src"
cat > "$crate/Cargo.toml" <<EOF
[package]
name = "registry-bench"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
session-seal = { path = "$SESSION_SEAL_DIR" }
serde = { version = "1", features = ["derive"] }

[workspace]
EOF
# The workspace's lock file: the same dependency versions, nothing to fetch.
cp "$SESSION_SEAL_DIR/Cargo.lock" "$crate/Cargo.lock"

# `generate N REGISTRY`: N session types with distinct cookie names and
# namespaces, all in one registry when REGISTRY is 1.
generate() {
  local n=$1 registry=$2 i members=()
  {
    echo "//! $n session types."
    echo "#![allow(dead_code, missing_docs)]"
    echo "use serde::{Deserialize, Serialize};"
    echo "use session_seal::SessionPayload;"
    for ((i = 0; i < n; i++)); do
      echo
      echo "#[derive(Serialize, Deserialize, SessionPayload)]"
      echo "#[session(cookie = \"sid_$i\", namespace = \"ns$i\")]"
      echo "pub struct Session$i {"
      echo "    pub user_id: u64,"
      echo "}"
      members+=("Session$i")
    done
    if [[ $registry == 1 ]]; then
      echo
      echo "session_seal::registry! {"
      echo "    pub struct AppSessions { $(IFS=,; echo "${members[*]}" | sed 's/,/, /g') }"
      echo "}"
    fi
  } > "$crate/src/lib.rs"
}

check() {
  timeout "$1" cargo check -q --manifest-path "$crate/Cargo.toml"
}

echo "rustc: $(rustc --version)"
echo "facade: $SESSION_SEAL_DIR"
echo "target: $CARGO_TARGET_DIR"
# `measure N REGISTRY`: the best of RUNS checks after a touch, in seconds.
measure() {
  local best="" run start end
  generate "$1" "$2"
  check "$WARM_TIMEOUT"
  for ((run = 0; run < RUNS; run++)); do
    touch "$crate/src/lib.rs"
    start=$(date +%s.%N)
    check "$CHECK_TIMEOUT"
    end=$(date +%s.%N)
    best=$(awk -v s="$start" -v e="$end" -v b="$best" \
      'BEGIN { t = e - s; if (b == "" || t < b) print t; else print b }')
  done
  printf '%.2f' "$best"
}

declare -A with without
for n in "${NS[@]}"; do
  with[$n]=$(measure "$n" 1)
  if [[ $BASELINE == 1 ]]; then
    without[$n]=$(measure "$n" 0)
  fi
done

echo
if [[ $BASELINE == 1 ]]; then
  echo "| n | cargo check after touch, s (best of $RUNS) | without the registry! (derives only), s |"
  echo "|---|---|---|"
  for n in "${NS[@]}"; do
    echo "| $n | ${with[$n]} | ${without[$n]} |"
  done
else
  echo "| n | cargo check after touch, s (best of $RUNS) |"
  echo "|---|---|"
  for n in "${NS[@]}"; do
    echo "| $n | ${with[$n]} |"
  done
fi
