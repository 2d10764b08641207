#!/usr/bin/env bash
# Builds everything with AddressSanitizer + UBSan into build-asan/ (or $LPWEB_BUILD_DIR)
# and runs the whole suite there; the integration tests load the instrumented modules
# into Debian's apache2 and fail on any sanitizer report. Installs what setup.sh does.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${LPWEB_BUILD_DIR:-$root/build-asan}
LPWEB_BUILD_DIR=$build "$root/tests/setup.sh" -DLPWEB_SANITIZE=ON
# Test binaries and the lpicing tool report on stderr and exit 1, leaks included;
# httpd gets its own settings from the harness (tests/harness/httpd.cc).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j2 "$@"
