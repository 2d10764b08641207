#!/bin/bash
# Builds the libFuzzer targets (clang-14, ASan+UBSan) and runs each for SECONDS on a
# scratch copy of its seed corpus, so nothing new is written into the repository.
# Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]   (default 30 s, every target)
# Env: LPWEB_FUZZ_BUILD (build dir, default <repo>/build-fuzz),
#      LPWEB_FUZZ_JOBS (targets run at once, default: number of CPUs).
# Exit 0 when every target ran clean; 1 when one crashed or failed to run; 64 on usage.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ALL=(fuzz_edge_location fuzz_request_path fuzz_sums fuzz_bundle fuzz_accept_encoding fuzz_index fuzz_status_body
     fuzz_combo_query fuzz_counter_table fuzz_compressor_slots)

usage() {
  echo "usage: $0 [SECONDS] [TARGET...]; targets: ${ALL[*]}" >&2
  exit 64
}

duration=30
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then
  duration=$1
  shift
fi
[ "$duration" -ge 1 ] || usage
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${ALL[@]}")
for t in "${targets[@]}"; do
  [[ " ${ALL[*]} " == *" $t "* ]] || { echo "$0: unknown target '$t'" >&2; usage; }
done

# The longest input worth trying per target: bundles need room for tar headers.
max_len() {
  case $1 in
    fuzz_bundle) echo 16384 ;;
    fuzz_index) echo 8192 ;;
    fuzz_status_body) echo 4096 ;;
    fuzz_sums) echo 4096 ;;
    fuzz_request_path) echo 1300 ;;
    fuzz_edge_location) echo 1024 ;;
    fuzz_accept_encoding) echo 512 ;;
    fuzz_combo_query) echo 4096 ;;
    fuzz_counter_table) echo 4096 ;;
    fuzz_compressor_slots) echo 1024 ;;
  esac
}

if ! command -v clang++-14 >/dev/null || ! dpkg -s libclang-rt-14-dev >/dev/null 2>&1; then
  echo "installing clang-14 and libclang-rt-14-dev" >&2
  SUDO=
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang-14 libclang-rt-14-dev >/dev/null ||
    { echo "$0: cannot install clang-14" >&2; exit 1; }
fi

BUILD=${LPWEB_FUZZ_BUILD:-$ROOT/build-fuzz}
mkdir -p "$BUILD"
CC=clang-14 CXX=clang++-14 cmake -S "$ROOT" -B "$BUILD" -DLPWEB_FUZZ=ON -DLPWEB_BUILD_TESTS=OFF >"$BUILD/configure.log" 2>&1 ||
  { cat "$BUILD/configure.log" >&2; echo "$0: configure failed" >&2; exit 1; }
cmake --build "$BUILD" -j"$(nproc)" --target "${targets[@]}" >"$BUILD/build.log" 2>&1 ||
  { tail -40 "$BUILD/build.log" >&2; echo "$0: build failed" >&2; exit 1; }

SCRATCH=$(mktemp -d /tmp/lpweb-fuzz.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT
ARTIFACTS=$BUILD/fuzz-artifacts
mkdir -p "$ARTIFACTS"

# One target: fuzz a copy of its corpus; leaves <scratch>/<t>.{log,rc,cpu}.
run_one() {
  local t=$1 dir=$SCRATCH/$1
  mkdir -p "$dir/corpus"
  cp -R "$ROOT/tests/fuzz/corpus/$t/." "$dir/corpus/" 2>/dev/null
  local TIMEFORMAT='%3U %3S'
  { time "$BUILD/tests/fuzz/$t" -max_total_time="$duration" -max_len="$(max_len "$t")" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$ARTIFACTS/$t-" "$dir/corpus" \
      >"$SCRATCH/$t.log" 2>&1; echo $? >"$SCRATCH/$t.rc"; } 2>"$SCRATCH/$t.cpu"
}

jobs_max=${LPWEB_FUZZ_JOBS:-$(nproc)}
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$jobs_max" ]; then
    wait -n
    running=$((running - 1))
  fi
  run_one "$t" &
  running=$((running + 1))
done
wait

passed=0
failed=0
for t in "${targets[@]}"; do
  rc=$(cat "$SCRATCH/$t.rc" 2>/dev/null || echo 1)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$SCRATCH/$t.log" | tail -1)
  cpu=$(awk 'NF == 2 { printf "%.1f", $1 + $2 }' "$SCRATCH/$t.cpu" 2>/dev/null)
  if [ "$rc" = 0 ]; then
    result=passed
    passed=$((passed + 1))
  else
    result="FAILED (exit $rc)"
    failed=$((failed + 1))
  fi
  echo "$t: $result, ${execs:-?} execs in ${duration} s (${cpu:-?} CPU-s)"
  if [ "$rc" != 0 ]; then
    grep -E 'ERROR:|SUMMARY:|Test unit written|runtime error' "$SCRATCH/$t.log" | sed 's/^/    /' | head -8
    cp "$SCRATCH/$t.log" "$ARTIFACTS/$t.log"
    echo "    full log: $ARTIFACTS/$t.log"
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
