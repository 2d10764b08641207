#!/usr/bin/env bash
# Installs the three Debian packages (libapache2-mod-lpedge, libapache2-mod-lpicing,
# lpicing; built from debian/ by tests/package/build-deb.sh, lintian-clean) with apt
# into a clean Debian 12 root (debootstrap, cached as BUILD_DIR/cache/bookworm-rootfs.tar)
# and checks, inside that chroot:
#   apt pulls in httpd through the packages' dependencies; each module package owns its
#   .load/.conf as conffiles; the postinst enabled both modules (a2query, no a2enmod);
#   `apache2ctl -M` lists them and `-t` passes; the deploy user lpicing and
#   /var/lib/lpicing/{store,incoming} with their owners and modes; `man lpicing`; the
#   bash completion (`bash -n`, and `lpicing de<TAB>` gives deploy); httpd started from
#   the Debian layout on a free loopback port answers an edge redirect with the exact
#   Location and deploys a bundle dropped into its incoming directory with the packaged
#   /usr/bin/lpicing (the module's compiled-in default);
#   `apt-get remove` disables the modules (a2query: by maintainer script) so httpd's
#   config still parses, keeps the conffiles and the deployed bundle;
#   `apt-get purge` forgets the modules (a2query: not found), removes the conffiles,
#   the statoverrides and /var/lib/lpicing, and keeps the system user lpicing.
# Usage (as root): tests/package/test-deb.sh [BUILD_DIR]   (default $LPWEB_BUILD_DIR or build/)
# $LPWEB_CACHE_DIR overrides the cache (default BUILD_DIR/cache); $LPWEB_DEB_DIR uses a
# directory of ready .debs instead of building them (tests/package/build-deb.sh).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
build=${1:-${LPWEB_BUILD_DIR:-$root/build}}
mkdir -p "$build"
build=$(cd "$build" && pwd -P)
cache=${LPWEB_CACHE_DIR:-$build/cache}
started=$SECONDS

fail() { echo "test-deb: FAIL: $*" >&2; exit 1; }
step() { echo "test-deb: [$(( SECONDS - started ))s] $*"; }
[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot, apt inside the chroot)"
command -v curl >/dev/null || fail "curl is missing (tests/setup.sh installs it)"
# shellcheck source=tests/package/chroot.sh
. "$root/tests/package/chroot.sh"
packages=(libapache2-mod-lpedge libapache2-mod-lpicing lpicing)

debs=$(LPWEB_CACHE_DIR=$cache "$root/tests/package/build-deb.sh" "$build") || fail "no packages"
step "packages in $debs ($(( SECONDS - started )) s)"
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
  chroot_cleanup "$chroot_dir"
  if [ -n "${LPWEB_KEEP_TEST_DIRS:-}" ]; then echo "test-deb: kept $work"; return; fi
  # --one-file-system: never follow a mount that is still there into the host.
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

chroot_make "$chroot_dir" "$tarball"
# Downloaded packages are kept between runs (apt checks them against the index).
chroot_cache_load "$chroot_dir" "$cache/debs"
mkdir -p "$chroot_dir/tmp/debs"
install_args=()
for p in "${packages[@]}"; do
  f=$(cd "$debs" && ls "${p}"_*.deb)
  install -m 644 "$debs/$f" "$chroot_dir/tmp/debs/$f"
  install_args+=("/tmp/debs/$f")
done

in_root() { chroot_run "$chroot_dir" "$@"; }
log=$work/apt.log
apt_in_root() {
  in_root apt-get -q -o Dpkg::Use-Pty=0 "$@" >>"$log" 2>&1 ||
    { tail -n 30 "$log" >&2; fail "apt-get $* in the chroot"; }
}
# a2query exit codes: 0 enabled, 1 not found, 32 disabled by the admin, 33 disabled
# by a maintainer script.
a2query_rc() { local rc=0; in_root a2query -q -m "$1" >/dev/null 2>&1 || rc=$?; echo "$rc"; }

step "apt-get install the three packages (and man-db, bash-completion) in a clean bookworm root"
apt_in_root update
apt_in_root install -y "${install_args[@]}" man-db bash-completion
chroot_cache_save "$chroot_dir" "$cache/debs"
for p in "${packages[@]}" apache2 apache2-bin; do
  st=$(in_root dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$st" = "install ok installed" ] ||
    fail "$p is not installed after apt-get install of the three packages"
done
for f in /usr/lib/apache2/modules/mod_lpedge.so /usr/lib/apache2/modules/mod_lpicing.so \
         /usr/bin/lpicing; do
  [ -f "$chroot_dir$f" ] || fail "$f missing after install"
done
for m in lpedge lpicing; do
  conffiles=$(in_root dpkg-query -W -f='${Conffiles}\n' "libapache2-mod-$m")
  for f in "$m.load" "$m.conf"; do
    grep -q " /etc/apache2/mods-available/$f " <<<"$conffiles" ||
      fail "$f is not a conffile of libapache2-mod-$m"
  done
done
libs=$(in_root ldd /usr/bin/lpicing 2>&1 || true)
if grep -q "not found" <<<"$libs"; then
  fail "lpicing misses a shared library: $(grep "not found" <<<"$libs")"
fi

step "the postinst enabled both modules; apache2ctl -M and -t"
for m in lpedge lpicing; do
  rc=$(a2query_rc "$m")
  [ "$rc" = 0 ] || fail "a2query -m $m exits $rc after install: the postinst did not enable it"
done
modules=$(in_root apache2ctl -M 2>&1) || { echo "$modules" >&2; fail "apache2ctl -M"; }
for m in lpedge_module lpicing_module mime_module; do
  grep -q " $m " <<<"$modules" || { echo "$modules" >&2; fail "apache2ctl -M does not list $m"; }
done
out=$(in_root apache2ctl -t 2>&1) || { echo "$out" >&2; fail "apache2ctl -t"; }

step "man lpicing; bash completion"
page=$(in_root env MANPAGER=cat MANWIDTH=80 man lpicing 2>&1) || { echo "$page" >&2; fail "man lpicing"; }
grep -q "pack, verify and deploy mod_lpicing asset bundles" <<<"$page" ||
  { echo "$page" | head -n 20 >&2; fail "man lpicing: not the lpicing page"; }
comp=/usr/share/bash-completion/completions/lpicing
[ -f "$chroot_dir$comp" ] || fail "$comp missing"
in_root bash -n "$comp" || fail "bash -n $comp"
# bash-completion's own loader finds the file by the command's name, as on <TAB>.
got=$(in_root bash -c '
  . /usr/share/bash-completion/bash_completion
  _completion_loader lpicing
  func=$(complete -p lpicing | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
  [ -n "$func" ] || exit 3
  COMP_WORDS=(lpicing de); COMP_CWORD=1; COMP_LINE="lpicing de"; COMP_POINT=${#COMP_LINE}
  "$func" lpicing de lpicing
  printf "%s\n" "${COMPREPLY[@]}"' 2>&1) || { echo "$got" >&2; fail "bash completion of lpicing"; }
[ "$got" = deploy ] || { echo "$got" >&2; fail "lpicing de<TAB> gives '$got', want deploy"; }

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

step "apt-get remove / purge the three packages"
apt_in_root remove -y "${packages[@]}"
for m in lpedge lpicing; do
  [ -e "$chroot_dir/etc/apache2/mods-enabled/$m.load" ] && fail "$m still enabled after remove"
  rc=$(a2query_rc "$m")
  [ "$rc" = 33 ] || fail "a2query -m $m exits $rc after remove, want 33 (disabled by maintainer script)"
  [ -f "$chroot_dir/etc/apache2/mods-available/$m.load" ] || fail "remove deleted $m.load (only purge should)"
done
[ -f "$chroot_dir/var/lib/lpicing/store/revisions/pkgtest-1/files/css/app.css" ] ||
  fail "remove deleted the deployed bundle (only purge should)"
in_root a2dissite lpweb-test >>"$log" 2>&1
out=$(in_root apache2ctl -t 2>&1) || { echo "$out" >&2; fail "apache2ctl -t after apt-get remove"; }
apt_in_root purge -y "${packages[@]}"
for f in lpedge.load lpedge.conf lpicing.load lpicing.conf; do
  [ -e "$chroot_dir/etc/apache2/mods-available/$f" ] && fail "$f left after purge"
done
for m in lpedge lpicing; do
  rc=$(a2query_rc "$m")
  [ "$rc" = 1 ] || fail "a2query -m $m exits $rc after purge, want 1 (not found: a2dismod -p forgot it)"
done
[ -e "$chroot_dir/var/lib/lpicing" ] && fail "/var/lib/lpicing left after purge"
for d in /var/lib/lpicing/store /var/lib/lpicing/incoming; do
  in_root dpkg-statoverride --list "$d" >/dev/null && fail "statoverride of $d left after purge"
done
in_root getent passwd lpicing >/dev/null || fail "purge removed the system user lpicing (it should stay)"
step "PASS ($(( SECONDS - started )) s)"
