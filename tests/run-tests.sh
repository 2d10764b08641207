#!/usr/bin/env bash
# Sets up (tests/setup.sh) and runs every test: unit tests of the cores and
# integration tests against private httpd instances on loopback.
#
#   bash tests/run-tests.sh           the whole suite. Fails before running unless ctest
#                                     lists exactly the number of tests in
#                                     tests/expected-test-count (tests must not vanish).
#   bash tests/run-tests.sh --trace   the same with every test httpd at
#                                     `LogLevel ... lpedge:trace8 lpicing:trace8`
#                                     (LPWEB_TEST_TRACE=1, read by tests/harness/httpd.cc),
#                                     so that every log call of both modules runs.
#   bash tests/run-tests.sh -R combo  other arguments go to ctest; they select a subset,
#                                     so the count is not checked.
# Env: LPWEB_BUILD_DIR (default build/).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${LPWEB_BUILD_DIR:-$root/build}

if [ "${1:-}" = "--trace" ]; then
  export LPWEB_TEST_TRACE=1
  shift
fi

"$root/tests/setup.sh"

if [ $# -eq 0 ]; then
  expected=$(tr -d '[:space:]' <"$root/tests/expected-test-count")
  found=$(ctest --test-dir "$build" -N | sed -n 's/^Total Tests: *//p')
  if grep -qE '^LPWEB_SKIP_(LPEDGE|LPICING):BOOL=ON$' "$build/CMakeCache.txt"; then
    echo "run-tests.sh: test count not checked: $build was configured with a LPWEB_SKIP_* option" >&2
  elif [ "$found" != "$expected" ]; then
    echo "run-tests.sh: expected $expected tests (tests/expected-test-count), ctest lists ${found:-none} in $build;" \
      "if tests were added or removed on purpose, update the file:" \
      "ctest --test-dir $build -N | sed -n 's/^Total Tests: *//p' > tests/expected-test-count" >&2
    exit 1
  fi
fi

ctest --test-dir "$build" --output-on-failure --no-tests=error -j"$(nproc)" "$@"
