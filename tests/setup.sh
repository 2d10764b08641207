#!/usr/bin/env bash
# Installs what lpweb needs on Debian 12 (only what is missing) and builds it
# into build/ (or $LPWEB_BUILD_DIR); arguments go to cmake's configure step. Safe to run again.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${LPWEB_BUILD_DIR:-$root/build}

packages=(build-essential cmake pkg-config curl openssl xz-utils zstd file debootstrap
  apache2 apache2-dev libapr1-dev libaprutil1-dev
  libcurl4-openssl-dev libssl-dev libarchive-dev libzstd-dev libbrotli-dev zlib1g-dev
  libgtest-dev libgmock-dev wrk
  chromium chromium-driver nlohmann-json3-dev help2man bash-completion)
# promtool checks both status pages' Prometheus text (tests/integration/status_test.cc).
packages+=(prometheus)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "lpweb setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The drop-directory watcher runs as a dedicated user (LPIcingUser); the tests,
# when run as root, use the one the Debian package makes: lpicing.
if [ "$(id -u)" -eq 0 ] && ! getent passwd lpicing >/dev/null; then
  useradd --system --user-group --no-create-home --home-dir /var/lib/lpicing --shell /usr/sbin/nologin lpicing
fi

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE="${LPWEB_BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
