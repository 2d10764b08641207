#!/usr/bin/env bash
# Sets up (tests/setup.sh) and runs every test: unit tests of the cores and
# integration tests against private httpd instances on loopback.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${LPWEB_BUILD_DIR:-$root/build}
"$root/tests/setup.sh"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" "$@"
