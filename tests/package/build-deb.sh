#!/usr/bin/env bash
# Builds the Debian package and prints its path: a build tree of its own under
# BUILD_DIR/package (-DCMAKE_INSTALL_PREFIX=/usr, no tests), then `cpack -G DEB`.
# $LPWEB_DEB names an existing .deb to use instead.
# Usage: tests/package/build-deb.sh BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:?usage: build-deb.sh BUILD_DIR}
if [ -n "${LPWEB_DEB:-}" ]; then
  [ -f "$LPWEB_DEB" ] || { echo "build-deb: FAIL: LPWEB_DEB=$LPWEB_DEB is not a file" >&2; exit 1; }
  echo "$LPWEB_DEB"; exit 0
fi
pkg=$build/package
cmake -S "$root" -B "$pkg" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
      -DLPWEB_BUILD_TESTS=OFF >/dev/null
cmake --build "$pkg" -j"$(nproc)" >"$pkg/build.log" 2>&1 ||
  { tail -n 30 "$pkg/build.log" >&2; echo "build-deb: FAIL: build failed" >&2; exit 1; }
rm -f "$pkg"/lpweb_*.deb
(cd "$pkg" && cpack -G DEB >"$pkg/cpack.log" 2>&1) ||
  { tail -n 30 "$pkg/cpack.log" >&2; echo "build-deb: FAIL: cpack failed" >&2; exit 1; }
deb=$(ls "$pkg"/lpweb_*_*.deb)
echo "$deb"
