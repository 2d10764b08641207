#!/usr/bin/env bash
# Installs lpweb_<version>_amd64.deb with apt into a clean Debian 12 root (debootstrap,
# cached as BUILD_DIR/cache/bookworm-rootfs.tar) and checks, inside that chroot:
#   apt pulls in httpd through the package's dependencies; the conffiles are registered;
#   `a2enmod lpedge lpicing` works; `apache2ctl -M` lists both modules; `apache2ctl -t`
#   passes; httpd started from the Debian layout on a free loopback port answers an
#   edge redirect with the exact Location and deploys a bundle dropped into its incoming
#   directory with the packaged /usr/bin/lpicing (the module's compiled-in default);
#   `apt-get remove` disables the modules so httpd's config still parses; purge removes
#   the conffiles.
# Usage (as root): tests/package/test-deb.sh [BUILD_DIR]   (default $LPWEB_BUILD_DIR or build/)
# $LPWEB_CACHE_DIR overrides the cache (default BUILD_DIR/cache); $LPWEB_DEB uses a
# ready .deb instead of building one (tests/package/build-deb.sh).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-${LPWEB_BUILD_DIR:-$root/build}}
mkdir -p "$build"
build=$(cd "$build" && pwd)
cache=${LPWEB_CACHE_DIR:-$build/cache}
started=$SECONDS

fail() { echo "test-deb: FAIL: $*" >&2; exit 1; }
step() { echo "test-deb: [$(( SECONDS - started ))s] $*"; }
[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot, apt inside the chroot)"
for c in curl cmake cpack dpkg-shlibdeps file; do
  command -v "$c" >/dev/null || fail "$c is missing (tests/setup.sh installs it)"
done
# build-deb.sh builds from source here: the build's one dependency that is not a command.
dpkg-query -W -f='${Status}' nlohmann-json3-dev 2>/dev/null | grep -q "ok installed" ||
  fail "nlohmann-json3-dev is missing (tests/setup.sh installs it)"

deb=$("$root/tests/package/build-deb.sh" "$build") || fail "no package"
step "package $(basename "$deb") ($(( SECONDS - started )) s)"
tarball=$("$root/tests/package/rootfs.sh" "$cache") || fail "no root filesystem"

work=$(mktemp -d "$build/package-test.XXXXXX")
chroot_dir=$work/root
cleanup() {
  set +e   # clean up as much as possible whatever fails
  # /var/run is a link to /run: an absolute one, so it is resolved here by hand.
  local pidfile=$chroot_dir/run/apache2/apache2.pid
  if [ -s "$pidfile" ]; then
    local pid; pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  # Anything else still running inside this test's own root (started by this script).
  local p
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$chroot_dir" ] && kill -9 "${p#/proc/}" 2>/dev/null
  done
  true
  if mountpoint -q "$chroot_dir/proc" 2>/dev/null; then umount -l "$chroot_dir/proc"; fi
  if [ -n "${LPWEB_KEEP_TEST_DIRS:-}" ]; then echo "test-deb: kept $work"; return; fi
  # --one-file-system: never follow a mount that is still there into the host.
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

mkdir -p "$chroot_dir"
tar -C "$chroot_dir" -xf "$tarball"
cp /etc/resolv.conf "$chroot_dir/etc/resolv.conf"
# Packages must not start services in the chroot (apache2's postinst would).
printf '#!/bin/sh\nexit 101\n' >"$chroot_dir/usr/sbin/policy-rc.d"
chmod 755 "$chroot_dir/usr/sbin/policy-rc.d"
# dpkg fsyncs every file it unpacks; this throwaway root needs none of that.
echo force-unsafe-io >"$chroot_dir/etc/dpkg/dpkg.cfg.d/lpweb-test-unsafe-io"
mount -t proc proc "$chroot_dir/proc"
# Downloaded packages are kept between runs (apt checks them against the index).
mkdir -p "$cache/debs"
cp "$cache"/debs/*.deb "$chroot_dir/var/cache/apt/archives/" 2>/dev/null || true
install -m 644 "$deb" "$chroot_dir/tmp/lpweb.deb"

in_root() {
  chroot "$chroot_dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C \
    DEBIAN_FRONTEND=noninteractive "$@"
}
log=$work/apt.log
apt_in_root() {
  in_root apt-get -q -o Dpkg::Use-Pty=0 "$@" >>"$log" 2>&1 ||
    { tail -n 30 "$log" >&2; fail "apt-get $* in the chroot"; }
}

step "apt-get install /tmp/lpweb.deb in a clean bookworm root"
apt_in_root update
apt_in_root install -y /tmp/lpweb.deb
# The downloads, for the next run (autoclean drops what the archive no longer has).
in_root apt-get -q autoclean >/dev/null 2>&1 || true
rm -f "$cache"/debs/*.deb
cp "$chroot_dir"/var/cache/apt/archives/*.deb "$cache/debs/" 2>/dev/null || true
for p in lpweb apache2 apache2-bin; do
  st=$(in_root dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$st" = "install ok installed" ] ||
    fail "$p is not installed after apt-get install lpweb.deb"
done
for f in /usr/lib/apache2/modules/mod_lpedge.so /usr/lib/apache2/modules/mod_lpicing.so \
         /usr/bin/lpicing; do
  [ -f "$chroot_dir$f" ] || fail "$f missing after install"
done
conffiles=$(in_root dpkg-query -W -f='${Conffiles}\n' lpweb)
for f in lpedge.load lpedge.conf lpicing.load lpicing.conf; do
  grep -q " /etc/apache2/mods-available/$f " <<<"$conffiles" || fail "$f is not a conffile"
done
libs=$(in_root ldd /usr/bin/lpicing 2>&1 || true)
if grep -q "not found" <<<"$libs"; then
  fail "lpicing misses a shared library: $(grep "not found" <<<"$libs")"
fi

step "a2enmod lpedge lpicing; apache2ctl -M and -t"
in_root a2enmod lpedge lpicing >>"$log" 2>&1 || { tail -n 5 "$log" >&2; fail "a2enmod lpedge lpicing"; }
modules=$(in_root apache2ctl -M 2>&1) || { echo "$modules" >&2; fail "apache2ctl -M"; }
for m in lpedge_module lpicing_module mime_module; do
  grep -q " $m " <<<"$modules" || { echo "$modules" >&2; fail "apache2ctl -M does not list $m"; }
done
out=$(in_root apache2ctl -t 2>&1) || { echo "$out" >&2; fail "apache2ctl -t"; }

# A port below the kernel's ephemeral range (outgoing connections' source ports live
# there), not listening now; if another process binds it first, start again elsewhere.
free_port() {
  local low p
  low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  for _ in $(seq 50); do
    p=$(( 10000 + RANDOM % (low - 10000) ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  fail "no free loopback port"
}
step "the package made the deploy user and its directories"
in_root getent passwd lpicing >>"$log" 2>&1 || fail "no lpicing user after install"
owners=$(in_root stat -c '%U:%G %a %n' /var/lib/lpicing/store /var/lib/lpicing/incoming)
grep -q '^lpicing:lpicing 755 /var/lib/lpicing/store$' <<<"$owners" || { echo "$owners" >&2; fail "store owner/mode"; }
grep -q '^lpicing:lpicing 2770 /var/lib/lpicing/incoming$' <<<"$owners" || { echo "$owners" >&2; fail "incoming owner/mode"; }
in_root a2dissite 000-default >>"$log" 2>&1
for attempt in 1 2 3 4 5; do
  port=$(free_port)
  step "httpd in the chroot on 127.0.0.1:$port"
  echo "Listen 127.0.0.1:$port" >"$chroot_dir/etc/apache2/ports.conf"
  cat >"$chroot_dir/etc/apache2/sites-available/lpweb-test.conf" <<EOF
<VirtualHost *:$port>
    ServerName prod.test
    DocumentRoot /var/www/html
    LPEdgeRedirect edge.test prod.test:$port
    LPIcingStore /var/lib/lpicing/store
    LPIcingIncoming /var/lib/lpicing/incoming
    LPIcingUser lpicing
    <Location /lpicing-status>
        SetHandler lpicing-status
        Require local
    </Location>
</VirtualHost>
EOF
  in_root a2ensite -q lpweb-test >>"$log" 2>&1 || fail "a2ensite lpweb-test"
  out=$(in_root apache2ctl -t 2>&1) || { echo "$out" >&2; fail "apache2ctl -t with the test site"; }
  if out=$(in_root sh -c '. /etc/apache2/envvars &&
             mkdir -p "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR" "$APACHE_LOG_DIR" && exec apache2 -k start' 2>&1); then
    break
  fi
  echo "$out" >>"$log"
  grep -q "Address already in use" <<<"$out" && [ "$attempt" -lt 5 ] && continue
  echo "$out" >&2
  fail "apache2 -k start"
done
base=http://127.0.0.1:$port
code=000
for _ in $(seq 200); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: prod.test' "$base/" || true)
  [ "$code" != 000 ] && break
  sleep 0.05
done
[ "$code" != 000 ] || { tail -n 20 "$chroot_dir/var/log/apache2/error.log" >&2; fail "httpd does not answer on $base"; }

headers=$(curl -sS -o /dev/null -D - -H 'Host: bugs.edge.test' "$base/a%2Fb?x=1" | tr -d '\r')
status=$(awk 'NR==1 {print $2}' <<<"$headers")
location=$(awk 'tolower($1)=="location:" {print $2}' <<<"$headers")
[ "$status" = 301 ] || { echo "$headers" >&2; fail "edge redirect: status $status, want 301"; }
[ "$location" = "http://bugs.prod.test:$port/a%2Fb?x=1" ] ||
  fail "edge redirect: Location '$location', want http://bugs.prod.test:$port/a%2Fb?x=1"

# A bundle made by the packaged tool, dropped the documented way; the watcher runs
# LPIcingTool's compiled-in default, /usr/bin/lpicing.
mkdir -p "$chroot_dir/tmp/assets/css"
printf 'body { color: #123456; }\n' >"$chroot_dir/tmp/assets/css/app.css"
in_root lpicing pack /tmp/assets -r pkgtest-1 -o /tmp/icing.tar.gz >>"$log" 2>&1 || fail "lpicing pack"
cp "$chroot_dir/tmp/icing.tar.gz" "$chroot_dir/var/lib/lpicing/incoming/icing.tar.gz.part"
mv "$chroot_dir/var/lib/lpicing/incoming/icing.tar.gz.part" "$chroot_dir/var/lib/lpicing/incoming/icing.tar.gz"
dropped=$SECONDS
body=""
for _ in $(seq 200); do
  body=$(curl -s -f -H 'Host: prod.test' "$base/+icing/revpkgtest-1/css/app.css" || true)
  [ "$body" = 'body { color: #123456; }' ] && break
  sleep 0.05
done
[ "$body" = 'body { color: #123456; }' ] ||
  { tail -n 20 "$chroot_dir/var/log/apache2/error.log" >&2
    grep -q "Segmentation fault" "$chroot_dir/var/log/apache2/error.log" &&
      fail "dropped bundle not served: httpd children crash (Segmentation fault, above)"
    fail "dropped bundle not served within 10 s"; }
step "bundle served $(( SECONDS - dropped )) s after the drop"
owner=$(in_root stat -c %U /var/lib/lpicing/store/revisions/pkgtest-1/files/css/app.css)
[ "$owner" = lpicing ] || fail "the watcher wrote the store as $owner, not as lpicing"
status_json=$(curl -sf -H 'Host: prod.test' "$base/lpicing-status" || true)
grep -q '"pkgtest-1"' <<<"$status_json" ||
  fail "lpicing-status does not list pkgtest-1"
if grep -E '\[(emerg|alert|crit)\]' "$chroot_dir/var/log/apache2/error.log" >&2; then
  fail "httpd logged emerg/alert/crit (above)"
fi
pid=$(cat "$chroot_dir/run/apache2/apache2.pid")
in_root sh -c '. /etc/apache2/envvars && exec apache2 -k stop' >>"$log" 2>&1 || true
for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && fail "httpd did not stop"

step "apt-get remove / purge lpweb"
apt_in_root remove -y lpweb
[ -e "$chroot_dir/etc/apache2/mods-enabled/lpedge.load" ] && fail "lpedge still enabled after remove"
[ -e "$chroot_dir/etc/apache2/mods-enabled/lpicing.load" ] && fail "lpicing still enabled after remove"
[ -f "$chroot_dir/etc/apache2/mods-available/lpedge.load" ] || fail "remove deleted a conffile (only purge should)"
in_root a2dissite lpweb-test >>"$log" 2>&1
out=$(in_root apache2ctl -t 2>&1) || { echo "$out" >&2; fail "apache2ctl -t after apt-get remove lpweb"; }
apt_in_root purge -y lpweb
for f in lpedge.load lpedge.conf lpicing.load lpicing.conf; do
  [ -e "$chroot_dir/etc/apache2/mods-available/$f" ] && fail "$f left after purge"
done
step "PASS ($(( SECONDS - started )) s)"
