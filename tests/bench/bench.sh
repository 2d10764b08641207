#!/usr/bin/env bash
# lpweb benchmark. One private httpd (event MPM) with mod_lpedge, mod_lpicing,
# mod_alias, mod_rewrite and a plain DocumentRoot; a second httpd without
# mod_lpedge; nginx serving the same files. Each case runs under wrk in turn
# with its baselines (A B C A B C ...) so machine drift cancels. Then
# instruction counts per request (callgrind, deterministic), deploy time,
# drop-to-first-200 latency and private memory per child; last, a combo flood
# (combo_flood.sh: a plain asset's latency while clients send distinct combos).
# Prints a markdown table and writes JSON.
#   tests/bench/bench.sh [--smoke] [--out FILE.json] [--only REGEX]
#   --smoke   every case for 1 s, one round, few requests under callgrind (CI)
#   --only R  only the wrk cases whose name matches R (and sections: callgrind, deploy, memory, combo)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/conf/private-httpd.sh"
duration=5 rounds=3 conns=16 out="" only="." cg_requests=1000 drops_n=10 smoke=0
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) duration=1 rounds=1 cg_requests=50 drops_n=2 smoke=1 ;;
    --out) out=$2; shift ;;
    --only) only=$2; shift ;;
    *) echo "usage: $0 [--smoke] [--out FILE.json] [--only REGEX]" >&2; exit 64 ;;
  esac
  shift
done

build=${LPWEB_BENCH_BUILD_DIR:-$root/build-release}
LPWEB_BUILD_DIR=$build LPWEB_BUILD_TYPE=Release "$root/tests/setup.sh" >/dev/null
for p in nginx-light valgrind; do
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
# The drop directory's deploy user owns the store (tests/setup.sh makes lpicing);
# as root, the tool then writes as that user.
deploy_user=$(id -un)
if [ "$(id -u)" -eq 0 ]; then deploy_user=lpicing; chown lpicing: "$work/store" "$work/incoming"; fi
"$tool" pack "$work/src" -r bench1 -o "$work/bench1.tar.gz" >/dev/null
"$tool" deploy "$work/bench1.tar.gz" --store "$work/store" >/dev/null

write_conf() {  # file port rundir with_lpedge
  local lpedge_load="" lpedge_rules=""
  if [ "$4" = 1 ]; then
    lpedge_load="LoadModule lpedge_module $build/mod_lpedge/mod_lpedge.so"
    lpedge_rules="LPEdgeRedirect edge.bench bench"
  fi
  { private_httpd_head "$work" "$2" "$3" "$work/logs/error-$2.log"; cat <<CONF
LoadModule alias_module $modules/mod_alias.so
LoadModule rewrite_module $modules/mod_rewrite.so
LoadModule asis_module $modules/mod_asis.so
LoadModule lpicing_module $build/mod_lpicing/mod_lpicing.so
$lpedge_load
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
<VirtualHost 127.0.0.1:$2>
    ServerName bugs.rewrite.bench
    RewriteEngine On
    RewriteCond %{HTTP_HOST} ^([^.]+)\.rewrite\.bench$ [NC]
    RewriteRule ^ http://%1.bench%{REQUEST_URI} [R=301,L,NE]
</VirtualHost>
CONF
  } > "$1"
}
port=$(free_port)
write_conf "$work/httpd.conf" "$port" "$work/run" 1
"$httpd_bin" -DFOREGROUND -f "$work/httpd.conf" & pids+=($!)
main_pid=$!
plain_port=$(free_port)
while [ "$plain_port" = "$port" ]; do plain_port=$(free_port); done
write_conf "$work/plain.conf" "$plain_port" "$work/plain-run" 0
sed -i '/LPIcingIncoming/d; /LPIcingUser/d' "$work/plain.conf"
"$httpd_bin" -DFOREGROUND -f "$work/plain.conf" & pids+=($!)
nginx_port=$(free_port)
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
}
CONF
mkdir -p "$work/nginx-tmp"
nginx -c "$work/nginx.conf" -p "$work" 2>/dev/null & pids+=($!)
wait_http "$port"; wait_http "$plain_port"; wait_http "$nginx_port"

# ---- wrk cases ----
declare -A rps p50 p99
run_wrk() {  # name port host path [header]
  local name=$1 p=$2 host=$3 path=$4 header=${5:-}
  [[ $name =~ $only ]] || return 0
  local args=(-t1 -c"$conns" -d"${duration}s" --latency -H "Host: $host")
  [ -n "$header" ] && args+=(-H "$header")
  local text
  text=$(wrk "${args[@]}" "http://127.0.0.1:$p$path")
  rps[$name]="${rps[$name]:-} $(awk '/^Requests\/sec:/ {print $2}' <<<"$text")"
  p50[$name]=$(awk '$1=="50%" {print $2}' <<<"$text")
  p99[$name]=$(awk '$1=="99%" {print $2}' <<<"$text")
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

target='/foo/+bug/1?x=%2F'
for ((i = 1; i <= rounds; i++)); do
  run_wrk redirect_lpedge "$port" bugs.edge.bench "$target"
  run_wrk redirect_alias "$port" bugs.alias.bench "$target"
  run_wrk redirect_rewrite "$port" bugs.rewrite.bench "$target"
  run_wrk passthrough_lpedge "$port" prod.bench /app-5k.css
  run_wrk passthrough_plain "$plain_port" prod.bench /app-5k.css
  run_wrk icing_5k_identity "$port" prod.bench /+icing/revbench1/app-5k.css
  run_wrk static_5k "$port" prod.bench /app-5k.css
  run_wrk nginx_5k "$nginx_port" prod.bench /app-5k.css
  run_wrk icing_200k_identity "$port" prod.bench /+icing/revbench1/app-200k.js
  run_wrk static_200k "$port" prod.bench /app-200k.js
  run_wrk nginx_200k "$nginx_port" prod.bench /app-200k.js
  run_wrk icing_5k_br "$port" prod.bench /+icing/revbench1/app-5k.css 'Accept-Encoding: br'
  run_wrk icing_200k_br "$port" prod.bench /+icing/revbench1/app-200k.js 'Accept-Encoding: br'
  run_wrk floor_asis "$port" prod.bench /floor.asis
done

# ---- instructions per request (callgrind on httpd -X; keep-alive curl) ----
declare -A ir
if [[ callgrind =~ $only ]]; then
  cg_port=$(free_port)
  mkdir -p "$work/cg/run"
  chown -R www-data "$work/cg" 2>/dev/null || true
  write_conf "$work/cg/lpedge.conf" "$cg_port" "$work/cg/run" 1
  write_conf "$work/cg/plain.conf" "$cg_port" "$work/cg/run" 0
  sed -i '/LPIcingIncoming/d; /LPIcingUser/d' "$work/cg/lpedge.conf" "$work/cg/plain.conf"
  cg_total() {  # conf host path n [header]: total instructions of an httpd -X serving n requests
    local out=$work/cg/out.$RANDOM
    install -m 666 /dev/null "$out"
    [ "$(id -u)" -eq 0 ] && chown www-data "$out"
    valgrind --tool=callgrind --callgrind-out-file="$out" "$httpd_bin" -X -f "$1" >/dev/null 2>&1 &
    local vp=$!
    wait_http "$cg_port"
    if [ "$4" -gt 0 ]; then
      for _ in $(seq "$4"); do printf 'url = "http://127.0.0.1:%s%s"\noutput = "/dev/null"\n' "$cg_port" "$3"; done |
        curl -s -H "Host: $2" ${5:+-H "$5"} -K -
    fi
    kill -TERM $vp; wait $vp 2>/dev/null || true
    awk '/^(summary|totals):/ {print $2; exit}' "$out"
    cp "$out" "$work/cg/last.out"
  }
  per_request() {  # name conf host path [header]
    local base full
    base=$(cg_total "$2" "$3" "$4" 0 "${5:-}")
    full=$(cg_total "$2" "$3" "$4" "$cg_requests" "${5:-}")
    ir[$1]=$(( (full - base) / cg_requests ))
  }
  per_request redirect_lpedge "$work/cg/lpedge.conf" bugs.edge.bench "$target"
  ir[decide_only]=$(callgrind_annotate --inclusive=yes --threshold=100 "$work/cg/last.out" 2>/dev/null |
    awk '/lpedge::decide\(/ && !done {gsub(",", "", $1); print int($1 / n); done = 1}' n="$cg_requests")
  per_request redirect_alias "$work/cg/lpedge.conf" bugs.alias.bench "$target"
  per_request passthrough_lpedge "$work/cg/lpedge.conf" prod.bench /app-5k.css
  # mod_lpedge's own share of a non-edge request: its quick handler, inclusive.
  ir[passthrough_hook]=$(callgrind_annotate --inclusive=yes --threshold=100 "$work/cg/last.out" 2>/dev/null |
    awk '/[^_]quick_handler/ && /mod_lpedge/ && !done {gsub(",", "", $1); print int($1 / n); done = 1}' n="$cg_requests")
  per_request passthrough_plain "$work/cg/plain.conf" prod.bench /app-5k.css
  per_request icing_5k_identity "$work/cg/plain.conf" prod.bench /+icing/revbench1/app-5k.css
  ir[resolve_only]=$(callgrind_annotate --inclusive=yes --threshold=100 "$work/cg/last.out" 2>/dev/null |
    awk '/lpicing::resolve_request\(/ && !done {gsub(",", "", $1); print int($1 / n); done = 1}' n="$cg_requests")
  per_request static_5k "$work/cg/plain.conf" prod.bench /app-5k.css
fi

# ---- deploy, drop, memory ----
deploy_s=- drop_p50=- drop_p99=- drop_max=- drops="" bundle_mb=- rss_1=- rss_50=-
if [[ deploy =~ $only ]]; then
  gen=$work/gen
  for d in $(seq 0 19); do mkdir -p "$gen/d$d"; done
  for i in $(seq 0 1999); do
    f="$gen/d$((i % 20))/f$i"
    if (( i % 2 )); then head -c 7500 /dev/urandom > "$f.bin"; else gen_text 12000 "$f.css"; fi
  done
  "$tool" pack "$gen" -r big1 -o "$work/big1.tar.gz" >/dev/null
  bundle_mb=$(du -sm "$gen" | cut -f1)
  t0=$(now)
  "$tool" deploy "$work/big1.tar.gz" --store "$work/store" --no-activate >/dev/null
  deploy_s=$(elapsed "$t0" "$(now)")

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
echo "lpweb benchmark $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores; wrk -t1 -c$conns -d${duration}s; median of $rounds alternating rounds"
echo
echo "| case | req/s | p50 | p99 | ratio |"
echo "| --- | --- | --- | --- | --- |"
row redirect_lpedge redirect_alias redirect_rewrite
row redirect_alias
row redirect_rewrite
row passthrough_lpedge passthrough_plain
row passthrough_plain
row icing_5k_identity static_5k nginx_5k
row static_5k
row nginx_5k
row icing_200k_identity static_200k nginx_200k
row static_200k
row nginx_200k
row icing_5k_br icing_5k_identity
row icing_200k_br icing_200k_identity
row floor_asis
if [ ${#ir[@]} -gt 0 ]; then
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
fi
echo
echo "deploy of a 2,000-file ${bundle_mb} MB bundle: ${deploy_s} s"
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
    printf '  "deploy_seconds": "%s", "drop_to_first_200": {"p50": "%s", "p99": "%s", "max": "%s"},\n' "$deploy_s" "$drop_p50" "$drop_p99" "$drop_max"
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
