#!/usr/bin/env bash
# What a deploy costs with the store's object pool (mod_lpicing/core/objects.h):
#  - a 2,000-file, ~20 MB bundle deployed in full into an empty store, then
#    six releases that each change 5% of the files; the target is a 5% release
#    in at most 0.25x the full deploy's time;
#  - the disk the store then uses with those 7 revisions (du counts a hard
#    link once), against one revision; the target is at most 1.5x;
#  - a 100,000-entry bundle deployed, then redeployed with 1% changed, and
#    refused by --max-entries: at SHA256SUMS when it comes first (lpicing
#    pack's order), after reading every entry when it comes last (tar by hand).
# Prints markdown rows (bench.sh includes them in its report) and, with
# --out, JSON.
#   tests/bench/deploy_bench.sh [--smoke] [--out FILE.json] [--tool PATH]
#   --smoke   a tenth of the files and entries, one round (CI)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
files=2000 entries=100000 rounds=3 out="" tool=""
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) files=200 entries=10000 rounds=1 ;;
    --out) out=$2; shift ;;
    --tool) tool=$2; shift ;;
    *) echo "usage: $0 [--smoke] [--out FILE.json] [--tool PATH]" >&2; exit 64 ;;
  esac
  shift
done
if [ -z "$tool" ]; then
  build=${LPWEB_BENCH_BUILD_DIR:-$root/build-release}
  LPWEB_BUILD_DIR=$build LPWEB_BUILD_TYPE=Release "$root/tests/setup.sh" >/dev/null
  tool=$build/mod_lpicing/lpicing
fi

work=$(mktemp -d /tmp/lpweb-deploy-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
# Text about BYTES long (base64 of random bytes: compresses a little, like minified code).
gen_text() { head -c $(( $1 * 3 / 4 )) /dev/urandom | base64 -w 76 > "$2"; }
timed_deploy() {  # bundle store [args...]: prints seconds; the tool's report goes to $work/last.out
  local t0 b=$1 s=$2
  shift 2
  t0=$(now)
  "$tool" deploy "$b" --store "$s" "$@" > "$work/last.out"
  elapsed "$t0" "$(now)"
}

# ---- 2,000 files, ~20 MB: half text (precompressed), half binary ----
src=$work/src
for d in $(seq 0 19); do mkdir -p "$src/d$d"; done
for ((i = 0; i < files; i++)); do
  f="$src/d$((i % 20))/f$i"
  if (( i % 2 )); then head -c 7500 /dev/urandom > "$f.bin"; else gen_text 12000 "$f.css"; fi
done
bundle_mb=$(du -sm "$src" | cut -f1)
"$tool" pack "$src" -r full -o "$work/full.tar.gz" >/dev/null
# Release k changes its own 5% of the files, text and binary alike: pairs
# 2m, 2m+1 with m = k (mod 20).
changed=$(( files / 20 ))
for k in 1 2 3 4 5 6; do
  for ((i = 0; i < files; i++)); do
    (( (i / 2) % 20 == k )) || continue
    f="$src/d$((i % 20))/f$i"
    if (( i % 2 )); then head -c 7500 /dev/urandom > "$f.bin"; else gen_text 12000 "$f.css"; fi
  done
  "$tool" pack "$src" -r "rel$k" -o "$work/rel$k.tar.gz" >/dev/null
done

full_s="" inc_s="" du_one=0 du_seven=0 reuse_line=""
for ((round = 1; round <= rounds; round++)); do
  store=$work/store$round
  full_s="$full_s $(timed_deploy "$work/full.tar.gz" "$store")"
  [ "$round" = 1 ] && du_one=$(du -sk "$store" | cut -f1)
  for k in 1 2 3 4 5 6; do
    inc_s="$inc_s $(timed_deploy "$work/rel$k.tar.gz" "$store")"
    [ "$k" = 1 ] && reuse_line=$(grep -m1 ' reused ' "$work/last.out")
  done
  if [ "$round" = 1 ]; then
    du_seven=$(du -sk "$store" | cut -f1)
    revisions=$(ls "$store/revisions" | wc -l)
    [ "$revisions" = 7 ] || { echo "expected 7 revisions, found $revisions" >&2; exit 1; }
  fi
  [ "$round" = 1 ] || rm -rf "$store"
done
full_med=$(median <<<"$full_s")
inc_med=$(median <<<"$inc_s")

# ---- 100,000 entries: 100 directories, REVISION, SHA256SUMS and the files ----
many=$work/many
nfiles=$(( entries - 2 - 100 ))
mkdir -p "$many"
awk -v n="$nfiles" -v dir="$many" 'BEGIN {
  for (d = 0; d < 100; d++) system("mkdir -p " dir "/d" d)
  for (i = 0; i < n; i++) {
    f = sprintf("%s/d%d/f%06d.txt", dir, i % 100, i)
    printf "file %d\n", i > f
    close(f)
  }
}'
"$tool" pack "$many" -r many1 -o "$work/many1.tar.gz" >/dev/null
awk -v n="$nfiles" -v dir="$many" 'BEGIN {
  for (i = 0; i < n; i += 100) { f = sprintf("%s/d%d/f%06d.txt", dir, i % 100, i); printf "file %d, changed\n", i > f; close(f) }
}'
"$tool" pack "$many" -r many2 -o "$work/many2.tar.gz" >/dev/null
many_full=$(timed_deploy "$work/many1.tar.gz" "$work/many-store")
many_inc=$(timed_deploy "$work/many2.tar.gz" "$work/many-store")
many_reuse=$(grep -m1 ' reused ' "$work/last.out")
# Refused by an entry limit below the files SHA256SUMS lists: with SHA256SUMS
# first (as packed) ...
limit=$nfiles
t0=$(now)
"$tool" deploy "$work/many2.tar.gz" --store "$work/reject-store" --max-entries $limit 2>"$work/reject.err" && exit 1
grep -q 'entry "SHA256SUMS"' "$work/reject.err" || { cat "$work/reject.err" >&2; exit 1; }
reject_early=$(elapsed "$t0" "$(now)")
# ... and last, as tar writes a hand-made bundle: every entry is read first.
mkdir -p "$work/by-hand"
tar -xzf "$work/many2.tar.gz" -C "$work/by-hand"
(cd "$work/by-hand" && tar -czf "$work/by-hand.tar.gz" REVISION d* SHA256SUMS)
t0=$(now)
"$tool" deploy "$work/by-hand.tar.gz" --store "$work/reject-store" --max-entries $limit 2>"$work/reject.err" && exit 1
grep -q 'limit --max-entries' "$work/reject.err" || { cat "$work/reject.err" >&2; exit 1; }
reject_late=$(elapsed "$t0" "$(now)")

echo
echo "| deploy ($rounds rounds; ${files} files, ${bundle_mb} MB, half text) | value | ratio |"
echo "| --- | --- | --- |"
echo "| full deploy into an empty store | ${full_med} s | |"
echo "| release with 5% of the files changed ($changed files) | ${inc_med} s | $(ratio "$inc_med" "$full_med")× the full deploy (target ≤ 0.25) |"
echo "| store holding 7 such revisions (du) | $(( du_seven / 1024 )) MB | $(ratio "$du_seven" "$du_one")× one revision's $(( du_one / 1024 )) MB (target ≤ 1.5; full copies: 7×) |"
echo "| $entries-entry bundle, full deploy | ${many_full} s | |"
echo "| the same with 1% changed | ${many_inc} s | $(ratio "$many_inc" "$many_full")× the full deploy |"
echo "| refused by --max-entries $limit, SHA256SUMS first | ${reject_early} s | $(ratio "$reject_early" "$reject_late")× the same refusal with SHA256SUMS last (${reject_late} s) |"
echo
echo "5% release: $reuse_line"
echo "1% of $entries entries: $many_reuse"
if [ -n "$out" ]; then
  cat > "$out" <<JSON
{"files": $files, "bundle_mb": $bundle_mb, "rounds": $rounds,
 "full_deploy_s": $full_med, "release_5pct_s": $inc_med, "release_ratio": $(ratio "$inc_med" "$full_med"),
 "du_one_kb": $du_one, "du_seven_kb": $du_seven, "du_ratio": $(ratio "$du_seven" "$du_one"),
 "many_entries": $entries, "many_full_s": $many_full, "many_1pct_s": $many_inc,
 "reject_sums_first_s": $reject_early, "reject_sums_last_s": $reject_late}
JSON
fi
