#!/usr/bin/env bash
# lpweb benchmark. One private httpd (event MPM) with mod_lpedge, mod_lpicing,
# mod_alias, mod_rewrite and a plain DocumentRoot; a second httpd without
# mod_lpedge; nginx serving the same files. Each httpd and nginx also listen
# with TLS (a self-signed certificate made here; h2 and http/1.1 by ALPN).
# Both httpds load the floor module (mod_lpweb_floor.c, built here with apxs):
# the least a quick handler can do for a 301 or an empty 204. Each case runs
# under wrk (HTTP/1.1, plain or TLS) or h2load (h2 over TLS) in turn with its
# baselines (A B C A B C ...) so machine drift cancels. Then
# instruction counts per request (callgrind, deterministic; h1 and h2c), deploys
# (deploy_bench.sh: full vs 5% release, disk of 7 revisions, 100,000 entries),
# drop-to-first-200 latency and private memory per child; last, a combo flood
# (combo_flood.sh: a plain asset's latency while clients send distinct combos).
# Prints a markdown table and writes JSON.
#   tests/bench/bench.sh [--smoke] [--out FILE.json] [--only REGEX] [--rounds N]
#   --smoke   every case for 1 s, one round, few requests under callgrind (CI)
#   --only R  only the wrk/h2load cases whose name matches R (and sections: callgrind, deploy, memory, combo)
#   --rounds N  alternating rounds of each case (default 3): more to narrow a close ratio
# LPWEB_BENCH_KEEP_CG=DIR keeps the callgrind profiles there (callgrind_annotate them);
# LPWEB_BENCH_CG_ONLY=REGEX profiles only the callgrind cases it matches.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/conf/private-httpd.sh"
duration=5 rounds=3 conns=16 out="" only="." cg_requests=1000 drops_n=10 smoke=0
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) duration=1 rounds=1 cg_requests=50 drops_n=2 smoke=1 ;;
    --out) out=$2; shift ;;
    --only) only=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    *) echo "usage: $0 [--smoke] [--out FILE.json] [--only REGEX] [--rounds N]" >&2; exit 64 ;;
  esac
  shift
done

build=${LPWEB_BENCH_BUILD_DIR:-$root/build-release}
LPWEB_BUILD_DIR=$build LPWEB_BUILD_TYPE=Release "$root/tests/setup.sh" >/dev/null
for p in nginx-light valgrind nghttp2-client openssl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    { [ "$(id -u)" -eq 0 ] && s="" || s=sudo; $s env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null; }
done
tool=$build/mod_lpicing/lpicing
modules=$(apxs -q LIBEXECDIR)
httpd_bin=$(apxs -q SBINDIR)/apache2

work=$(mktemp -d /tmp/lpweb-bench-XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

wait_http() { for _ in $(seq 300); do curl -s -o /dev/null -m 2 "http://127.0.0.1:$1/" && return; sleep 0.05; done; echo "no answer on $1" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# ---- content: the same files in the DocumentRoot, an icing bundle and nginx ----
mkdir -p "$work"/{docroot,src,store,incoming,logs,cg}
for d in run plain-run; do mkdir -p "$work/$d"; done
# Text about BYTES long (base64 of random bytes: compresses a little, like minified code).
gen_text() { head -c $(( $1 * 3 / 4 )) /dev/urandom | base64 -w 76 > "$2"; }
gen_text 5000 "$work/src/app-5k.css"
gen_text 200000 "$work/src/app-200k.js"
cp "$work/src/"* "$work/docroot/"
printf 'Status: 204 No Content\n\n' > "$work/docroot/floor.asis"
# TLS for httpd and nginx alike: one self-signed P-256 certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=bench \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
chmod 644 "$work/key.pem"
# The floor module, compiled here (apxs leaves it in .libs/).
mkdir -p "$work/floor"
cp "$root/tests/bench/mod_lpweb_floor.c" "$work/floor/"
(cd "$work/floor" && apxs -c mod_lpweb_floor.c >/dev/null 2>&1) || { echo "cannot build mod_lpweb_floor.c with apxs" >&2; exit 1; }
floor_so=$work/floor/.libs/mod_lpweb_floor.so
# The drop directory's deploy user owns the store (tests/setup.sh makes lpicing);
# as root, the tool then writes as that user.
deploy_user=$(id -un)
if [ "$(id -u)" -eq 0 ]; then deploy_user=lpicing; chown lpicing: "$work/store" "$work/incoming"; fi
"$tool" pack "$work/src" -r bench1 -o "$work/bench1.tar.gz" >/dev/null
"$tool" deploy "$work/bench1.tar.gz" --store "$work/store" >/dev/null
# The br baseline: the same precompressed bytes, served by core and nginx as plain files.
for f in app-5k.css app-200k.js; do
  cp "$work/store/revisions/bench1/files/$f.br" "$work/docroot/$f.br" ||
    { echo "no $f.br in the store: the br cases need it" >&2; exit 1; }
done

write_conf() {  # file port rundir with_lpedge tls-port
  local lpedge_load="" lpedge_rules=""
  local tls="    Protocols h2 http/1.1
    SSLEngine on
    SSLCertificateFile $work/cert.pem
    SSLCertificateKeyFile $work/key.pem"
  if [ "$4" = 1 ]; then
    lpedge_load="LoadModule lpedge_module $build/mod_lpedge/mod_lpedge.so"
    lpedge_rules="LPEdgeRedirect edge.bench bench"
  fi
  { private_httpd_head "$work" "$2" "$3" "$work/logs/error-$2.log"; cat <<CONF
LoadModule alias_module $modules/mod_alias.so
LoadModule rewrite_module $modules/mod_rewrite.so
LoadModule asis_module $modules/mod_asis.so
LoadModule ssl_module $modules/mod_ssl.so
LoadModule http2_module $modules/mod_http2.so
LoadModule lpweb_floor_module $floor_so
LoadModule lpicing_module $build/mod_lpicing/mod_lpicing.so
$lpedge_load
Listen 127.0.0.1:$5
LPWebFloor floor.bench 301 http://bench
LPWebFloor empty.bench 204
TypesConfig /etc/mime.types
AddHandler send-as-is .asis
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
LPIcingUser $deploy_user
LPIcingTool $tool
$lpedge_rules
<VirtualHost 127.0.0.1:$2>
    ServerName prod.bench
</VirtualHost>
<VirtualHost 127.0.0.1:$2>
    ServerName bugs.alias.bench
    Redirect permanent / http://bugs.bench/
</VirtualHost>
<VirtualHost 127.0.0.1:$5>
    ServerName prod.bench
$tls
</VirtualHost>
<VirtualHost 127.0.0.1:$5>
    ServerName bugs.alias.bench
$tls
    Redirect permanent / https://bugs.bench/
</VirtualHost>
<VirtualHost 127.0.0.1:$2>
    ServerName bugs.rewrite.bench
    RewriteEngine On
    RewriteCond %{HTTP_HOST} ^([^.]+)\.rewrite\.bench$ [NC]
    RewriteRule ^ http://%1.bench%{REQUEST_URI} [R=301,L,NE]
</VirtualHost>
CONF
  } > "$1"
}
# Distinct free ports (new_port runs in a subshell: the caller records each).
used_ports=" "
new_port() { local p; p=$(free_port); while [[ $used_ports == *" $p "* ]]; do p=$(free_port); done; echo "$p"; }
port=$(new_port); used_ports="$used_ports$port "
tls_port=$(new_port); used_ports="$used_ports$tls_port "
plain_port=$(new_port); used_ports="$used_ports$plain_port "
plain_tls_port=$(new_port); used_ports="$used_ports$plain_tls_port "
nginx_port=$(new_port); used_ports="$used_ports$nginx_port "
nginx_tls_port=$(new_port); used_ports="$used_ports$nginx_tls_port "
write_conf "$work/httpd.conf" "$port" "$work/run" 1 "$tls_port"
"$httpd_bin" -DFOREGROUND -f "$work/httpd.conf" & pids+=($!)
main_pid=$!
write_conf "$work/plain.conf" "$plain_port" "$work/plain-run" 0 "$plain_tls_port"
sed -i '/LPIcingIncoming/d; /LPIcingUser/d' "$work/plain.conf"
"$httpd_bin" -DFOREGROUND -f "$work/plain.conf" & pids+=($!)
cat > "$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/logs/nginx-error.log;
daemon off;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  include /etc/nginx/mime.types;
  client_body_temp_path $work/nginx-tmp;
  proxy_temp_path $work/nginx-tmp;
  fastcgi_temp_path $work/nginx-tmp;
  uwsgi_temp_path $work/nginx-tmp;
  scgi_temp_path $work/nginx-tmp;
  server { listen 127.0.0.1:$nginx_port; root $work/docroot; }
  server {
    listen 127.0.0.1:$nginx_tls_port ssl http2;
    root $work/docroot;
    ssl_certificate $work/cert.pem;
    ssl_certificate_key $work/key.pem;
  }
}
CONF
mkdir -p "$work/nginx-tmp"
nginx -c "$work/nginx.conf" -p "$work" 2>/dev/null & pids+=($!)
wait_http "$port"; wait_http "$plain_port"; wait_http "$nginx_port"

wait_tls() {  # port: answers TLS (any status)
  for _ in $(seq 300); do curl -sk -o /dev/null -m 2 "https://127.0.0.1:$1/" && return; sleep 0.05; done
  echo "no TLS answer on $1" >&2; exit 1
}
wait_tls "$tls_port"; wait_tls "$plain_tls_port"; wait_tls "$nginx_tls_port"

# ---- load cases: wrk (HTTP/1.1, plain or TLS), h2load (h2 over TLS) ----
declare -A rps=() p50=() p99=()
bad_cases=""
note_bad() {  # name count what: a case whose responses were not all as expected
  [ "${2:-0}" = 0 ] && return 0
  echo "bench: $1: $2 $3" >&2
  [[ " $bad_cases " == *" $1 "* ]] || bad_cases="$bad_cases $1"
}
run_wrk() {  # name url host [header]
  local name=$1 url=$2 host=$3 header=${4:-}
  [[ $name =~ $only ]] || return 0
  local args=(-t1 -c"$conns" -d"${duration}s" --latency -H "Host: $host")
  [ -n "$header" ] && args+=(-H "$header")
  local text
  text=$(wrk "${args[@]}" "$url")
  rps[$name]="${rps[$name]:-} $(awk '/^Requests\/sec:/ {print $2}' <<<"$text")"
  p50[$name]=$(awk '$1=="50%" {print $2}' <<<"$text")
  p99[$name]=$(awk '$1=="99%" {print $2}' <<<"$text")
  note_bad "$name" "$(awk '/Non-2xx or 3xx/ {print $NF}' <<<"$text")" "responses not 2xx/3xx"
  note_bad "$name" "$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' <<<"$text")" "socket errors"
}
# h2load has no percentiles: they come from its per-request log (microseconds).
run_h2load() {  # name url host [header]
  local name=$1 url=$2 host=$3 header=${4:-}
  [[ $name =~ $only ]] || return 0
  local log=$work/h2load.log
  local args=(-t1 -c"$conns" -m10 -D"$duration" --log-file="$log" -H ":authority: $host")
  [ -n "$header" ] && args+=(-H "$header")
  local text
  text=$(h2load "${args[@]}" "$url")
  grep -q "^Application protocol: h2$" <<<"$text" || note_bad "$name" 1 "run not over h2"
  rps[$name]="${rps[$name]:-} $(awk '/^finished in/ {print $4}' <<<"$text")"
  local lat
  lat=$(awk '{print $3}' "$log" | sort -n | awk '{a[NR]=$1} END {if (NR) printf "%.2fms %.2fms", a[int(NR*0.5+0.5)]/1000, a[int(NR*0.99+0.5)]/1000}')
  p50[$name]=${lat% *}
  p99[$name]=${lat#* }
  note_bad "$name" "$(awk '/^status codes:/ {print $7 + $9}' <<<"$text")" "responses 4xx/5xx"
  note_bad "$name" "$(awk '/^requests:/ {print $10 + $12}' <<<"$text")" "requests failed or errored"
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

target='/foo/+bug/1?x=%2F'
h=http://127.0.0.1
s=https://127.0.0.1
br='Accept-Encoding: br'
for ((i = 1; i <= rounds; i++)); do
  run_wrk redirect_lpedge "$h:$port$target" bugs.edge.bench
  run_wrk redirect_floor "$h:$plain_port$target" floor.bench
  run_wrk redirect_alias "$h:$port$target" bugs.alias.bench
  run_wrk redirect_rewrite "$h:$port$target" bugs.rewrite.bench
  run_wrk passthrough_lpedge "$h:$port/app-5k.css" prod.bench
  run_wrk passthrough_plain "$h:$plain_port/app-5k.css" prod.bench
  run_wrk icing_5k_identity "$h:$port/+icing/revbench1/app-5k.css" prod.bench
  run_wrk static_5k "$h:$port/app-5k.css" prod.bench
  run_wrk nginx_5k "$h:$nginx_port/app-5k.css" prod.bench
  run_wrk icing_200k_identity "$h:$port/+icing/revbench1/app-200k.js" prod.bench
  run_wrk static_200k "$h:$port/app-200k.js" prod.bench
  run_wrk nginx_200k "$h:$nginx_port/app-200k.js" prod.bench
  run_wrk icing_5k_br "$h:$port/+icing/revbench1/app-5k.css" prod.bench "$br"
  run_wrk static_5k_br "$h:$port/app-5k.css.br" prod.bench
  run_wrk nginx_5k_br "$h:$nginx_port/app-5k.css.br" prod.bench
  run_wrk icing_200k_br "$h:$port/+icing/revbench1/app-200k.js" prod.bench "$br"
  run_wrk static_200k_br "$h:$port/app-200k.js.br" prod.bench
  run_wrk nginx_200k_br "$h:$nginx_port/app-200k.js.br" prod.bench
  run_wrk floor_asis "$h:$port/floor.asis" prod.bench
  run_wrk floor_empty "$h:$plain_port/" empty.bench
done
# The same over TLS: HTTP/1.1 (wrk), then h2 (h2load), each case beside its baselines.
for proto in tls h2; do
  run=run_wrk
  [ $proto = h2 ] && run=run_h2load
  for ((i = 1; i <= rounds; i++)); do
    $run ${proto}_redirect_lpedge "$s:$tls_port$target" bugs.edge.bench
    $run ${proto}_redirect_floor "$s:$plain_tls_port$target" floor.bench
    $run ${proto}_redirect_alias "$s:$tls_port$target" bugs.alias.bench
    for size in 5k:app-5k.css 200k:app-200k.js; do
      n=${size%%:*} f=${size#*:}
      $run ${proto}_icing_${n}_identity "$s:$tls_port/+icing/revbench1/$f" prod.bench
      $run ${proto}_static_${n} "$s:$tls_port/$f" prod.bench
      $run ${proto}_nginx_${n} "$s:$nginx_tls_port/$f" prod.bench
      $run ${proto}_icing_${n}_br "$s:$tls_port/+icing/revbench1/$f" prod.bench "$br"
      $run ${proto}_static_${n}_br "$s:$tls_port/$f.br" prod.bench
      $run ${proto}_nginx_${n}_br "$s:$nginx_tls_port/$f.br" prod.bench
    done
    $run ${proto}_floor_empty "$s:$plain_tls_port/" empty.bench
  done
done

# ---- instructions per request (callgrind on httpd -X; keep-alive curl) ----
declare -A ir=()
if [[ callgrind =~ $only ]]; then
  cg_port=$(new_port); used_ports="$used_ports$cg_port "
  cg_tls_port=$(new_port)
  mkdir -p "$work/cg/run"
  chown -R www-data "$work/cg" 2>/dev/null || true
  write_conf "$work/cg/lpedge.conf" "$cg_port" "$work/cg/run" 1 "$cg_tls_port"
  write_conf "$work/cg/plain.conf" "$cg_port" "$work/cg/run" 0 "$cg_tls_port"
  sed -i '/LPIcingIncoming/d; /LPIcingUser/d' "$work/cg/lpedge.conf" "$work/cg/plain.conf"
  # h2 without TLS's cost: h2c with prior knowledge on the plain port (h2load http://).
  echo "Protocols h2c http/1.1" | tee -a "$work/cg/lpedge.conf" >> "$work/cg/plain.conf"
  cg_client=curl
  cg_total() {  # conf host path n [header]: total instructions of an httpd -X serving n requests
    local out=$work/cg/out.$RANDOM
    install -m 666 /dev/null "$out"
    [ "$(id -u)" -eq 0 ] && chown www-data "$out"
    valgrind --tool=callgrind --callgrind-out-file="$out" "$httpd_bin" -X -f "$1" >/dev/null 2>&1 &
    local vp=$!
    wait_http "$cg_port"
    if [ "$4" -gt 0 ] && [ $cg_client = h2load ]; then
      # One connection, one stream at a time, as curl's keep-alive below.
      h2load -n "$4" -c1 -m1 -H ":authority: $2" ${5:+-H "$5"} "http://127.0.0.1:$cg_port$3" |
        grep -q "^requests: $4 total, $4 started, $4 done, $4 succeeded" || echo "bench: h2load under callgrind: not all $4 succeeded" >&2
    elif [ "$4" -gt 0 ]; then
      for _ in $(seq "$4"); do printf 'url = "http://127.0.0.1:%s%s"\noutput = "/dev/null"\n' "$cg_port" "$3"; done |
        curl -s -H "Host: $2" ${5:+-H "$5"} -K -
    fi
    kill -TERM $vp; wait $vp 2>/dev/null || true
    awk '/^(summary|totals):/ {print $2; exit}' "$out"
    cp "$out" "$work/cg/last.out"
    [ -n "${LPWEB_BENCH_KEEP_CG:-}" ] && [ "$4" -gt 0 ] && mkdir -p "$LPWEB_BENCH_KEEP_CG" && cp "$out" "$LPWEB_BENCH_KEEP_CG/$cg_name.out"
    true
  }
  per_request() {  # name conf host path [header]
    local base full
    [[ $1 =~ ${LPWEB_BENCH_CG_ONLY:-.} ]] || return 0
    cg_name=$1
    base=$(cg_total "$2" "$3" "$4" 0 "${5:-}")
    full=$(cg_total "$2" "$3" "$4" "$cg_requests" "${5:-}")
    ir[$1]=$(( (full - base) / cg_requests ))
  }
  per_request redirect_lpedge "$work/cg/lpedge.conf" bugs.edge.bench "$target"
  ir[decide_only]=$(callgrind_annotate --inclusive=yes --threshold=100 "$work/cg/last.out" 2>/dev/null |
    awk '/lpedge::decide\(/ && !done {gsub(",", "", $1); print int($1 / n); done = 1}' n="$cg_requests") || true
  per_request redirect_alias "$work/cg/lpedge.conf" bugs.alias.bench "$target"
  per_request passthrough_lpedge "$work/cg/lpedge.conf" prod.bench /app-5k.css
  # mod_lpedge's own share of a non-edge request: its quick handler, inclusive.
  ir[passthrough_hook]=$(callgrind_annotate --inclusive=yes --threshold=100 "$work/cg/last.out" 2>/dev/null |
    awk '/[^_]quick_handler/ && /mod_lpedge/ && !done {gsub(",", "", $1); print int($1 / n); done = 1}' n="$cg_requests") || true
  per_request passthrough_plain "$work/cg/plain.conf" prod.bench /app-5k.css
  per_request icing_5k_identity "$work/cg/plain.conf" prod.bench /+icing/revbench1/app-5k.css
  ir[resolve_only]=$(callgrind_annotate --inclusive=yes --threshold=100 "$work/cg/last.out" 2>/dev/null |
    awk '/lpicing::resolve_request\(/ && !done {gsub(",", "", $1); print int($1 / n); done = 1}' n="$cg_requests") || true
  per_request static_5k "$work/cg/plain.conf" prod.bench /app-5k.css
  per_request redirect_floor "$work/cg/plain.conf" floor.bench "$target"
  per_request floor_empty "$work/cg/plain.conf" empty.bench /
  # The same under mod_http2 (h2c: the h2 path without TLS's share).
  cg_client=h2load
  per_request h2_redirect_lpedge "$work/cg/lpedge.conf" bugs.edge.bench "$target"
  per_request h2_redirect_floor "$work/cg/plain.conf" floor.bench "$target"
  per_request h2_icing_5k_identity "$work/cg/plain.conf" prod.bench /+icing/revbench1/app-5k.css
  per_request h2_static_5k "$work/cg/plain.conf" prod.bench /app-5k.css
  per_request h2_floor_empty "$work/cg/plain.conf" empty.bench /
  cg_client=curl
fi

# ---- deploy, drop, memory ----
drop_p50=- drop_p99=- drop_max=- drops="" rss_1=- rss_50=- deploy_report=""
if [[ deploy =~ $only ]]; then
  # Full vs incremental deploys, the store's disk, a 100,000-entry bundle
  # (deploy_bench.sh; the httpds here sit idle meanwhile).
  deploy_args=(--tool "$tool")
  [ "$smoke" = 1 ] && deploy_args+=(--smoke)
  [ -n "$out" ] && deploy_args+=(--out "${out%.json}-deploy.json")
  deploy_report=$("$root/tests/bench/deploy_bench.sh" "${deploy_args[@]}")

  for i in $(seq 1 "$drops_n"); do
    mkdir -p "$work/drop$i"
    cp "$work/src/"* "$work/drop$i/"
    echo "drop $i" > "$work/drop$i/marker.txt"
    "$tool" pack "$work/drop$i" -r "drop$i" -o "$work/drop$i.tar.gz" >/dev/null
    cp "$work/drop$i.tar.gz" "$work/incoming/drop$i.tar.gz.part"
    t0=$(now)
    mv "$work/incoming/drop$i.tar.gz.part" "$work/incoming/drop$i.tar.gz"
    until [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: prod.bench' "http://127.0.0.1:$port/+icing/revdrop$i/marker.txt")" = 200 ]; do
      sleep 0.01
      awk -v a="$t0" -v b="$(now)" 'BEGIN { exit !(b - a > 30) }' && { echo "drop $i not served within 30 s" >&2; exit 1; }
    done
    drops="$drops $(elapsed "$t0" "$(now)")"
  done
  sorted=$(tr ' ' '\n' <<<"$drops" | grep -v '^$' | sort -g)
  drop_max=$(tail -1 <<<"$sorted")
  drop_p50=$(median <<<"$drops")
  drop_p99=$(awk '{a[NR]=$1} END {i=int(NR*0.99+0.999); print a[i < 1 ? 1 : i]}' <<<"$sorted")
fi

# Private memory of the serving children (event MPM children have threads;
# the drop-directory watcher, also a child of the parent, has one).
private_kb() {
  local total=0 n=0 kb
  for c in $(pgrep -P "$main_pid"); do
    [ "$(awk '/^Threads:/ {print $2}' "/proc/$c/status")" -gt 1 ] || continue
    kb=$(awk '/^Private_(Clean|Dirty):/ {s += $2} END {print s}' "/proc/$c/smaps_rollup")
    (( kb > total )) && total=$kb
    n=$((n + 1))
  done
  echo "$total"
}
warm_revisions() {  # rev...: every child sees every revision
  local urls=$work/warm.lua
  { echo 'local paths = {'; for r in "$@"; do echo "\"/+icing/rev$r/app-5k.css\","; done
    echo '}'; echo 'local i = 0'
    echo 'request = function() i = i + 1; return wrk.format("GET", paths[(i % #paths) + 1]) end'; } > "$urls"
  wrk -t2 -c16 -d2s -H "Host: prod.bench" -s "$urls" "http://127.0.0.1:$port/" >/dev/null
}
if [[ memory =~ $only ]]; then
  # Restart the children so both measurements start from the same state.
  kill -USR1 "$main_pid"; sleep 2; wait_http "$port"
  warm_revisions bench1
  rss_1=$(private_kb)
  revs=(bench1)
  for i in $(seq 2 50); do
    mkdir -p "$work/m$i"; cp "$work/src/app-5k.css" "$work/m$i/"; echo "$i" > "$work/m$i/n.txt"
    "$tool" pack "$work/m$i" -r "m$i" -o "$work/m$i.tar.gz" >/dev/null
    "$tool" deploy "$work/m$i.tar.gz" --store "$work/store" --no-activate >/dev/null
    revs+=("m$i")
  done
  warm_revisions "${revs[@]}"
  rss_50=$(private_kb)
fi

# ---- report ----
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
cell() { [ -n "${rps[$1]:-}" ] && median <<<"${rps[$1]}" || echo 0; }
row() {  # name baseline...
  local name=$1; shift
  [ -n "${rps[$name]:-}" ] || return 0
  local a r="" b
  a=$(cell "$name")
  for b in "$@"; do [ -n "${rps[$b]:-}" ] && r="$r $(ratio "$a" "$(cell "$b")")× $b;"; done
  printf '| %s | %.0f | %s | %s |%s |\n' "$name" "$a" "${p50[$name]}" "${p99[$name]}" "${r:- -}"
}
echo
echo "lpweb benchmark $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores; median of $rounds alternating rounds of ${duration} s;"
echo "HTTP/1.1: wrk -t1 -c$conns (tls_: over TLS); h2_: h2load -t1 -c$conns -m10 over TLS (ALPN h2)."
echo "br baselines (*_br of static/nginx): core or nginx sending the same precompressed .br bytes as a plain file."
echo "floor_empty/redirect_floor: a bare quick handler (tests/bench/mod_lpweb_floor.c) answering 204 / 301."
echo
echo "| case | req/s | p50 | p99 | ratio |"
echo "| --- | --- | --- | --- | --- |"
row redirect_lpedge redirect_floor redirect_alias redirect_rewrite
row redirect_floor
row redirect_alias
row redirect_rewrite
row passthrough_lpedge passthrough_plain
row passthrough_plain
for proto in "" tls_ h2_; do
  [ -n "$proto" ] && { row ${proto}redirect_lpedge ${proto}redirect_floor ${proto}redirect_alias; row ${proto}redirect_floor; row ${proto}redirect_alias; }
  for n in 5k 200k; do
    row ${proto}icing_${n}_identity ${proto}static_${n} ${proto}nginx_${n}
    row ${proto}static_${n}
    row ${proto}nginx_${n}
    row ${proto}icing_${n}_br ${proto}static_${n}_br ${proto}nginx_${n}_br
    row ${proto}static_${n}_br
    row ${proto}nginx_${n}_br
  done
  row ${proto}floor_empty
done
row floor_asis
[ -n "$bad_cases" ] && { echo; echo "**responses not as expected in:$bad_cases** (see stderr)"; }
if [ ${#ir[@]} -gt 0 ] && [ -n "${LPWEB_BENCH_CG_ONLY:-}" ]; then
  echo
  for k in "${!ir[@]}"; do echo "instructions per request, $k: ${ir[$k]}"; done
elif [ ${#ir[@]} -gt 0 ]; then
  echo
  echo "| instructions per request (callgrind, httpd -X, $cg_requests keep-alive requests) | Ir | ratio |"
  echo "| --- | --- | --- |"
  echo "| redirect: mod_lpedge | ${ir[redirect_lpedge]} | $(ratio "${ir[redirect_alias]}" "${ir[redirect_lpedge]}")× fewer than mod_alias |"
  echo "| redirect: mod_alias Redirect | ${ir[redirect_alias]} | |"
  echo "| redirect decision alone (lpedge::decide) | ${ir[decide_only]:-?} | |"
  echo "| pass-through, mod_lpedge loaded | ${ir[passthrough_lpedge]} | $(awk -v a="${ir[passthrough_lpedge]}" -v b="${ir[passthrough_plain]}" 'BEGIN { printf "%+.2f%%", (a - b) * 100 / b }') vs not loaded |"
  echo "| pass-through, not loaded | ${ir[passthrough_plain]} | |"
  echo "| pass-through: mod_lpedge's quick handler alone | ${ir[passthrough_hook]:-?} | $(awk -v a="${ir[passthrough_hook]:-0}" -v b="${ir[passthrough_plain]}" 'BEGIN { printf "%.2f%%", a * 100 / b }') of the request |"
  echo "| icing 5 KB | ${ir[icing_5k_identity]} | $(ratio "${ir[static_5k]}" "${ir[icing_5k_identity]}")× fewer than core static |"
  echo "| core static 5 KB | ${ir[static_5k]} | |"
  echo "| icing lookup alone (lpicing::resolve_request) | ${ir[resolve_only]:-?} | |"
  echo "| redirect: floor module (bare quick handler 301) | ${ir[redirect_floor]} | mod_lpedge $(awk -v a="${ir[redirect_lpedge]}" -v b="${ir[redirect_floor]}" 'BEGIN { printf "%+d", a - b }') |"
  echo "| empty 204 from the floor module | ${ir[floor_empty]} | |"
  echo "| h2c: redirect, mod_lpedge | ${ir[h2_redirect_lpedge]} | floor $(awk -v a="${ir[h2_redirect_lpedge]}" -v b="${ir[h2_redirect_floor]}" 'BEGIN { printf "%+d", a - b }') |"
  echo "| h2c: redirect, floor module | ${ir[h2_redirect_floor]} | |"
  echo "| h2c: icing 5 KB | ${ir[h2_icing_5k_identity]} | $(ratio "${ir[h2_static_5k]}" "${ir[h2_icing_5k_identity]}")× fewer than core static |"
  echo "| h2c: core static 5 KB | ${ir[h2_static_5k]} | |"
  echo "| h2c: empty 204 (mod_http2's floor) | ${ir[h2_floor_empty]} | |"
fi
echo
[ -z "$deploy_report" ] || echo "$deploy_report"
echo "drop-to-first-200 over $(wc -w <<<"$drops") drops: p50 ${drop_p50} s, p99 ${drop_p99} s, max ${drop_max} s"
echo "private memory of the largest serving child: ${rss_1} kB with 1 revision, ${rss_50} kB with 50"

if [ -n "$out" ]; then
  {
    echo "{"
    echo "  \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\", \"cores\": $(nproc), \"duration_s\": $duration, \"rounds\": $rounds,"
    echo "  \"wrk\": {"
    first=1
    for k in "${!rps[@]}"; do
      [ $first = 1 ] || echo ","
      first=0
      printf '    "%s": {"rps": %s, "p50": "%s", "p99": "%s"}' "$k" "$(cell "$k")" "${p50[$k]}" "${p99[$k]}"
    done
    echo; echo "  },"
    echo "  \"instructions\": {"
    first=1
    for k in "${!ir[@]}"; do
      [ $first = 1 ] || echo ","
      first=0
      printf '    "%s": %s' "$k" "${ir[$k]:-null}"
    done
    echo; echo "  },"
    printf '  "drop_to_first_200": {"p50": "%s", "p99": "%s", "max": "%s"},\n' "$drop_p50" "$drop_p99" "$drop_max"
    printf '  "private_kb_per_child": {"revisions_1": "%s", "revisions_50": "%s"}\n}\n' "$rss_1" "$rss_50"
  } > "$out"
fi

# ---- combo flood (its own httpd; this one's idle meanwhile) ----
if [[ combo =~ $only ]]; then
  flood_args=()
  [ "$smoke" = 1 ] && flood_args+=(--smoke)
  [ -n "$out" ] && flood_args+=(--out "${out%.json}-combo.json")
  LPWEB_BENCH_BUILD_DIR=$build "$root/tests/bench/combo_flood.sh" "${flood_args[@]}"
fi
