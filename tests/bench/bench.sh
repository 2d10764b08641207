#!/usr/bin/env bash
# lpweb benchmark: one private httpd (event MPM) with mod_lpedge, mod_lpicing,
# mod_alias and mod_rewrite, each case run with wrk alternately against its
# baseline (A B A B ...) so machine drift cancels; prints a markdown table and
# writes JSON. Usage: tests/bench/bench.sh [--smoke] [--out FILE.json]
#   --smoke   every case for 1 s, one round (CI: it must start, finish, print)
#   --only R  only the cases whose name matches the regex R (deploy, drop: the deploy figures)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
duration=5 rounds=3 conns=16 out="" only="."
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) duration=1 rounds=1 ;;
    --out) out=$2; shift ;;
    --only) only=$2; shift ;;
    *) echo "usage: $0 [--smoke] [--out FILE.json] [--only REGEX]" >&2; exit 64 ;;
  esac
  shift
done

build=${LPWEB_BENCH_BUILD_DIR:-$root/build-release}
LPWEB_BUILD_DIR=$build LPWEB_BUILD_TYPE=Release "$root/tests/setup.sh" >/dev/null
tool=$build/mod_lpicing/lpicing
modules=$(apxs -q LIBEXECDIR)
httpd_bin=$(apxs -q SBINDIR)/apache2

work=$(mktemp -d /tmp/lpweb-bench-XXXXXX)
chmod 755 "$work"
httpd_pid=""
cleanup() {
  [ -n "$httpd_pid" ] && kill "$httpd_pid" 2>/dev/null && wait "$httpd_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  local p
  while :; do
    p=$(( (RANDOM % 20000) + 20000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

# ---- content: the same files in the DocumentRoot and in an icing bundle ----
mkdir -p "$work/docroot" "$work/src" "$work/store" "$work/incoming" "$work/run" "$work/logs"
# Text about BYTES long (base64 of random bytes: compressible like minified code, a little).
gen_text() { head -c $(( $1 * 3 / 4 )) /dev/urandom | base64 -w 76 > "$2"; }
gen_text 5000 "$work/src/app-5k.css"
gen_text 200000 "$work/src/app-200k.js"
cp "$work/src/"* "$work/docroot/"
"$tool" pack "$work/src" -r bench1 -o "$work/bench1.tar.gz" >/dev/null
"$tool" deploy "$work/bench1.tar.gz" --store "$work/store" >/dev/null

port=$(free_port)
user_lines=""
[ "$(id -u)" -eq 0 ] && user_lines=$'User www-data\nGroup www-data'
cat > "$work/httpd.conf" <<CONF
ServerRoot "$work"
Listen 127.0.0.1:$port
PidFile "$work/run/httpd.pid"
ErrorLog "$work/logs/error.log"
LogLevel warn
DefaultRuntimeDir "$work/run"
Mutex file:$work/run default
ServerName localhost
$user_lines
LoadModule mpm_event_module $modules/mod_mpm_event.so
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule mime_module $modules/mod_mime.so
LoadModule alias_module $modules/mod_alias.so
LoadModule rewrite_module $modules/mod_rewrite.so
LoadModule lpedge_module $build/mod_lpedge/mod_lpedge.so
LoadModule lpicing_module $build/mod_lpicing/mod_lpicing.so
TypesConfig /etc/mime.types
EnableSendfile On
KeepAliveTimeout 30
MaxKeepAliveRequests 0
StartServers 2
ThreadsPerChild 25
DocumentRoot "$work/docroot"
<Directory "$work/docroot">
    Require all granted
</Directory>
LPIcingStore "$work/store"
LPIcingIncoming "$work/incoming"
LPIcingTool $tool
<VirtualHost 127.0.0.1:$port>
    ServerName prod.bench
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName bugs.edge.bench
    LPEdgeRedirect edge.bench bench
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName bugs.alias.bench
    Redirect permanent / http://bugs.bench/
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName bugs.rewrite.bench
    RewriteEngine On
    RewriteCond %{HTTP_HOST} ^([^.]+)\.rewrite\.bench$ [NC]
    RewriteRule ^ http://%1.bench%{REQUEST_URI} [R=301,L,NE]
</VirtualHost>
CONF
"$httpd_bin" -DFOREGROUND -f "$work/httpd.conf" &
httpd_pid=$!
for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done

# ---- wrk cases ----
declare -A rps p50 p99
run_wrk() {  # name host path [header]
  local name=$1 host=$2 path=$3 header=${4:-}
  [[ $name =~ $only ]] || return 0
  local args=(-t1 -c"$conns" -d"${duration}s" --latency -H "Host: $host")
  [ -n "$header" ] && args+=(-H "$header")
  local text
  text=$(wrk "${args[@]}" "http://127.0.0.1:$port$path")
  local r l50 l99
  r=$(awk '/^Requests\/sec:/ {print $2}' <<<"$text")
  l50=$(awk '$1=="50%" {print $2}' <<<"$text")
  l99=$(awk '$1=="99%" {print $2}' <<<"$text")
  rps[$name]="${rps[$name]:-} $r"
  p50[$name]=$l50
  p99[$name]=$l99
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

for ((i = 1; i <= rounds; i++)); do
  run_wrk redirect_lpedge bugs.edge.bench '/foo/+bug/1?x=%2F'
  run_wrk redirect_alias bugs.alias.bench '/foo/+bug/1?x=%2F'
  run_wrk redirect_rewrite bugs.rewrite.bench '/foo/+bug/1?x=%2F'
  run_wrk icing_5k_identity prod.bench /+icing/revbench1/app-5k.css
  run_wrk static_5k prod.bench /app-5k.css
  run_wrk icing_200k_identity prod.bench /+icing/revbench1/app-200k.js
  run_wrk static_200k prod.bench /app-200k.js
  run_wrk icing_5k_br prod.bench /+icing/revbench1/app-5k.css 'Accept-Encoding: br'
  run_wrk icing_200k_br prod.bench /+icing/revbench1/app-200k.js 'Accept-Encoding: br'
done

# ---- deploy and drop ----
deploy_s=- drop_p50=- drop_max=- drops="" bundle_mb=20
if [[ deploy =~ $only || drop =~ $only ]]; then
gen=$work/gen
mkdir -p "$gen"
for d in $(seq 0 19); do mkdir -p "$gen/d$d"; done
for i in $(seq 0 1999); do
  f="$gen/d$((i % 20))/f$i"
  if (( i % 2 )); then head -c 7500 /dev/urandom > "$f.bin"; else gen_text 12000 "$f.css"; fi
done
"$tool" pack "$gen" -r big1 -o "$work/big1.tar.gz" >/dev/null
bundle_mb=$(du -sm "$gen" | cut -f1)
t0=$(date +%s.%N)
"$tool" deploy "$work/big1.tar.gz" --store "$work/store" --no-activate >/dev/null
t1=$(date +%s.%N)
deploy_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')

drops=""
for i in $(seq 1 $(( rounds > 1 ? 5 : 1 ))); do
  mkdir -p "$work/drop$i"
  cp "$work/src/"* "$work/drop$i/"
  echo "drop $i" > "$work/drop$i/marker.txt"
  "$tool" pack "$work/drop$i" -r "drop$i" -o "$work/drop$i.tar.gz" >/dev/null
  cp "$work/drop$i.tar.gz" "$work/incoming/drop$i.tar.gz.part"
  t0=$(date +%s.%N)
  mv "$work/incoming/drop$i.tar.gz.part" "$work/incoming/drop$i.tar.gz"
  until [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: prod.bench' "http://127.0.0.1:$port/+icing/revdrop$i/marker.txt")" = 200 ]; do
    sleep 0.01
    awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { exit !(b - a > 30) }' && { echo "drop $i not served within 30 s" >&2; exit 1; }
  done
  t1=$(date +%s.%N)
  drops="$drops $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
done
drop_max=$(tr ' ' '\n' <<<"$drops" | grep -v '^$' | sort -g | tail -1)
drop_p50=$(median <<<"$drops")
fi

# ---- report ----
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
row() {  # name baseline
  [ -n "${rps[$1]:-}" ] || return 0
  local a b
  a=$(median <<<"${rps[$1]}")
  b=$( [ -n "$2" ] && [ -n "${rps[$2]:-}" ] && median <<<"${rps[$2]}" || echo 0)
  printf '| %s | %.0f | %s | %s | %s |\n' "$1" "$a" "${p50[$1]}" "${p99[$1]}" "$( [ -n "$2" ] && echo "$(ratio "$a" "$b")× $2" || echo -)"
}
echo
echo "lpweb benchmark $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, wrk -t1 -c$conns -d${duration}s, median of $rounds alternating rounds"
echo
echo "| case | req/s | p50 | p99 | ratio |"
echo "| --- | --- | --- | --- | --- |"
row redirect_lpedge redirect_alias
row redirect_alias ""
row redirect_lpedge redirect_rewrite
row redirect_rewrite ""
row icing_5k_identity static_5k
row static_5k ""
row icing_200k_identity static_200k
row static_200k ""
row icing_5k_br ""
row icing_200k_br ""
echo
echo "deploy of a 2,000-file ${bundle_mb} MB bundle: ${deploy_s} s"
echo "drop-to-first-200: p50 ${drop_p50} s, max ${drop_max} s over$(wc -w <<<"$drops") drops"

if [ -n "$out" ]; then
  {
    echo "{"
    for k in "${!rps[@]}"; do
      printf '  "%s": {"rps": %s, "p50": "%s", "p99": "%s"},\n' "$k" "$(median <<<"${rps[$k]}")" "${p50[$k]}" "${p99[$k]}"
    done
    printf '  "deploy_seconds": %s,\n  "drop_to_first_200_p50": %s,\n  "drop_to_first_200_max": %s\n}\n' "$deploy_s" "$drop_p50" "$drop_max"
  } > "$out"
fi
