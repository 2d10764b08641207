#!/usr/bin/env bash
# Builds the Debian packages from debian/ with `dpkg-buildpackage -us -uc -b` inside a
# clean Debian 12 root, checks them there, and prints the directory that holds the
# .debs, the .changes and the .buildinfo (BUILD_DIR/package/debs):
#   - the root: tests/package/rootfs.sh's cached debootstrap tarball, unpacked afresh
#     under BUILD_DIR/package and removed afterwards;
#   - the sources: every file of the work tree that git tracks or does not ignore
#     (uncommitted edits are built, build trees are not); outside git, the tree
#     without .git, build*/ and obj-*/;
#   - the Build-Depends: `apt-get build-dep` in the root, downloads kept in
#     CACHE_DIR/build-debs for the next run;
#   - built by an unprivileged user (Rules-Requires-Root: no), -j2 at most;
#   - hardening: BIND_NOW (readelf -d) and FORTIFY's __*_chk imports (nm -D) in the
#     two modules and the tool;
#   - `lintian --pedantic --display-info --show-overrides` on the .changes: its whole
#     output goes to stderr and to BUILD_DIR/package/lintian.txt, and any E: or W:
#     line fails the build.
# Progress and logs go to stderr (the dpkg-buildpackage log: BUILD_DIR/package/build.log).
# Usage (as root): tests/package/build-deb.sh BUILD_DIR
#   $LPWEB_DEB_DIR     a directory with ready .debs to use instead (nothing is built)
#   $LPWEB_CACHE_DIR   cache (default BUILD_DIR/cache)
#   $LPWEB_BUILD_JOBS  parallel jobs (default: 2, or 1 on one core)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
build=${1:?usage: build-deb.sh BUILD_DIR}
started=$SECONDS
fail() { echo "build-deb: FAIL: $*" >&2; exit 1; }
step() { echo "build-deb: [$(( SECONDS - started ))s] $*" >&2; }
packages=(libapache2-mod-lpedge libapache2-mod-lpicing lpicing)

if [ -n "${LPWEB_DEB_DIR:-}" ]; then
  for p in "${packages[@]}"; do
    compgen -G "$LPWEB_DEB_DIR/${p}_*.deb" >/dev/null || fail "LPWEB_DEB_DIR=$LPWEB_DEB_DIR has no ${p}_*.deb"
  done
  (cd "$LPWEB_DEB_DIR" && pwd -P)
  exit 0
fi
[ "$(id -u)" -eq 0 ] || fail "needs root (chroot, apt inside the chroot)"
mkdir -p "$build"
build=$(cd "$build" && pwd -P)
cache=${LPWEB_CACHE_DIR:-$build/cache}
jobs=${LPWEB_BUILD_JOBS:-$(( $(nproc) < 2 ? $(nproc) : 2 ))}
pkg=$build/package
mkdir -p "$pkg"
# shellcheck source=tests/package/chroot.sh
. "$root/tests/package/chroot.sh"

tarball=$("$root/tests/package/rootfs.sh" "$cache") || fail "no root filesystem"
work=$(mktemp -d "$pkg/build-root.XXXXXX")
broot=$work/root
cleanup() {
  set +e
  chroot_cleanup "$broot"
  if [ -n "${LPWEB_KEEP_TEST_DIRS:-}" ]; then echo "build-deb: kept $work" >&2; return; fi
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
chroot_make "$broot" "$tarball"
chroot_cache_load "$broot" "$cache/build-debs"
log=$pkg/build.log
: >"$log"
run() {  # run CMD...: as root in the build root, output to the log
  chroot_run "$broot" "$@" >>"$log" 2>&1 || { tail -n 40 "$log" >&2; fail "$* (log: $log)"; }
}

step "sources into the build root"
src=$broot/build/lpweb
mkdir -p "$src"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$root" && git ls-files -z --cached --others --exclude-standard |
     while IFS= read -r -d '' f; do
       # a tracked file deleted in the work tree is left out, as git would build it
       if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
     done | tar --null --no-recursion -T - -cf -) | tar -C "$src" -xf -
else
  tar -C "$root" --exclude=./.git --exclude='./build*' --exclude='./obj-*' -cf - . | tar -C "$src" -xf -
fi
[ -f "$src/debian/control" ] || fail "no debian/control in the sources"
run useradd --home-dir /build --no-create-home --shell /bin/sh lpbuild
run chown -R lpbuild:lpbuild /build
uid=$(chroot_run "$broot" id -u lpbuild)
gid=$(chroot_run "$broot" id -g lpbuild)
as_builder() {  # as_builder CMD...: as lpbuild in /build/lpweb
  chroot --userspec="$uid:$gid" "$broot" /usr/bin/env -i HOME=/build LANG=C.UTF-8 \
    PATH=/usr/sbin:/usr/bin:/sbin:/bin sh -c 'cd /build/lpweb && exec "$@"' sh "$@"
}

step "apt-get build-dep, and lintian"
run apt-get -q -o Dpkg::Use-Pty=0 update
run apt-get -q -o Dpkg::Use-Pty=0 build-dep -y --no-install-recommends /build/lpweb
run apt-get -q -o Dpkg::Use-Pty=0 install -y --no-install-recommends lintian
chroot_cache_save "$broot" "$cache/build-debs"

step "dpkg-buildpackage -us -uc -b -j$jobs"
t0=$SECONDS
as_builder dpkg-buildpackage -us -uc -b -j"$jobs" >>"$log" 2>&1 ||
  { tail -n 40 "$log" >&2; fail "dpkg-buildpackage (log: $log)"; }
step "built in $(( SECONDS - t0 )) s"
changes=$(cd "$broot/build" && ls lpweb_*.changes)
[ "$(wc -w <<<"$changes")" = 1 ] || fail "want one .changes, got: $changes"

step "hardening: BIND_NOW and __*_chk"
as_builder sh -c 'rm -rf /build/x && for d in /build/*.deb; do dpkg-deb -x "$d" /build/x; done' >>"$log" 2>&1 ||
  fail "dpkg-deb -x"
for b in usr/lib/apache2/modules/mod_lpedge.so usr/lib/apache2/modules/mod_lpicing.so usr/bin/lpicing; do
  [ -f "$broot/build/x/$b" ] || fail "/$b is in no package"
  dyn=$(as_builder readelf -d "/build/x/$b") || fail "readelf -d /$b"
  grep -q BIND_NOW <<<"$dyn" || fail "/$b is not linked with -z now (no BIND_NOW in readelf -d)"
  syms=$(as_builder nm -D "/build/x/$b") || fail "nm -D /$b"
  grep -Eq ' __[A-Za-z0-9_]+_chk(@|$)' <<<"$syms" || fail "/$b imports no __*_chk function (FORTIFY missing)"
done

step "lintian --pedantic on $changes"
t0=$SECONDS
lint_rc=0
lint_args=(--pedantic --display-info --show-overrides --color never)
as_builder lintian "${lint_args[@]}" "../$changes" >"$work/lintian.out" 2>&1 || lint_rc=$?
version=$(as_builder lintian --print-version 2>/dev/null || echo "?")
count() { grep -c "^$1: " "$work/lintian.out" || true; }
# The report to paste: the command, lintian's whole output, a count of its tags.
{ echo "\$ lintian ${lint_args[*]} $changes    # lintian $version, in a clean Debian 12 root"
  cat "$work/lintian.out"
  echo "# exit $lint_rc; E: $(count E), W: $(count W), I: $(count I), P: $(count P), O: $(count O)" \
       "($(as_builder sh -c 'cd /build && ls *.deb' | tr '\n' ' '))"
} >"$pkg/lintian.txt"
{ echo "--- lintian ($(( SECONDS - t0 )) s), also in $pkg/lintian.txt"; cat "$pkg/lintian.txt"; echo "--- end of lintian"; } >&2
if grep -Eq '^[EW]: ' "$work/lintian.out"; then fail "lintian reports errors or warnings (above; $pkg/lintian.txt)"; fi
[ "$lint_rc" -eq 0 ] || fail "lintian exited $lint_rc (above)"

rm -rf "$pkg/debs"
mkdir -p "$pkg/debs"
cp "$broot"/build/*.deb "$broot"/build/*.changes "$broot"/build/*.buildinfo "$pkg/debs/"
for p in "${packages[@]}"; do
  compgen -G "$pkg/debs/${p}_*.deb" >/dev/null || fail "no ${p}_*.deb was built"
done
step "packages in $pkg/debs"
echo "$pkg/debs"
