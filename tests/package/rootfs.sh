#!/usr/bin/env bash
# Prints the path of a cached Debian 12 (bookworm) minbase root filesystem tarball,
# making it with debootstrap first when it is missing: CACHE_DIR/bookworm-rootfs.tar.
# Used by tests/package/test-deb.sh (a clean root for `apt-get install lpweb.deb`) and
# docker/test (imported as the image debian:bookworm-slim when no registry is reachable).
# The mirror is the one apt uses on this machine, or $LPWEB_DEBIAN_MIRROR.
# Usage: tests/package/rootfs.sh CACHE_DIR   (as root; installs debootstrap if missing)
set -euo pipefail
cache=${1:?usage: rootfs.sh CACHE_DIR}
tarball=$cache/bookworm-rootfs.tar
mkdir -p "$cache"

debian_mirror() {
  if [ -n "${LPWEB_DEBIAN_MIRROR:-}" ]; then echo "$LPWEB_DEBIAN_MIRROR"; return; fi
  local m=""
  # deb822 files: the first URIs line of a stanza whose Suites include bookworm.
  m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
        /^URIs:/ {u=$2} /^Suites:/ {for (i=2;i<=NF;i++) if ($i=="bookworm") s=1}
        /^[[:space:]]*$/ {if (s && u!="") {print u; exit} u=""; s=0}
        END {if (s && u!="") print u}' | head -n1)
  if [ -z "$m" ]; then
    m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '$1=="deb" && $3=="bookworm" {print $2; exit}' || true)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

security_mirror() {
  local m
  m=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      grep -v "^[[:space:]]*#" |
      grep -o "https\?://[^ ]*debian-security[^ ]*" | head -n1 || true)
  echo "${m:-http://deb.debian.org/debian-security}"
}

# One maker at a time; the others wait and reuse its result.
exec 9>"$cache/.rootfs.lock"
flock 9
if [ ! -s "$tarball" ]; then
  command -v debootstrap >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
  mirror=$(debian_mirror)
  work=$(mktemp -d "$cache/rootfs.XXXXXX")
  trap 'rm -rf --one-file-system "$work"' EXIT
  echo "rootfs: debootstrap --variant=minbase bookworm from $mirror" >&2
  if ! debootstrap --variant=minbase bookworm "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -n 20 "$work/debootstrap.log" >&2
    echo "rootfs: FAIL: debootstrap failed (log above)" >&2
    exit 1
  fi
  # The suites of the official debian:bookworm-slim image: security fixes included.
  rm -f "$work/root/etc/apt/sources.list"
  cat >"$work/root/etc/apt/sources.list.d/debian.sources" <<EOS
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $(security_mirror)
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
  rm -rf "$work"/root/var/cache/apt/archives/*.deb "$work"/root/var/lib/apt/lists/*_Packages
  tar -C "$work/root" --numeric-owner -cf "$work/rootfs.tar" .
  mv "$work/rootfs.tar" "$tarball"
fi
echo "$tarball"
