#!/bin/bash
# memsight run under memcg churn: RATE memcgs made and removed per second for SECONDS,
# every OOM_EVERY-th of them OOM-killed, /metrics scraped every SCRAPE_S seconds (a
# Prometheus). Reports memsight's CPU during the churn, its RSS before, at the end and
# after the tombstone, and every OOM kill against the kernel's.
#
# Usage: sudo bench/churn.sh [RATE] [SECONDS] [OOM_EVERY]   (defaults 80 60 20; needs
#        build/memsight and build/tests/churn: make all build/tests/churn)
set -eu
cd "$(dirname "$0")/.."
rate=${1:-80} seconds=${2:-60} oom_every=${3:-20}
TOMBSTONE_S=10
root=/sys/fs/cgroup/memory
grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null && root=/sys/fs/cgroup
prefix=/memsight-bench-churn-$$
work=$(mktemp -d)
mkdir -p "$root$prefix/churn"
cleanup() {
	[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null
	rmdir "$root$prefix/churn" "$root$prefix" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
rss_kib() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status"; }
# the heap and stacks; RssFile is mostly the ring buffers' pages, touched as records come
anon_kib() { awk '$1 == "RssAnon:" { print $2 }' "/proc/$pid/status"; }
hz=$(getconf CLK_TCK)

build/memsight run --listen 127.0.0.1:0 --interval 1s --tombstone ${TOMBSTONE_S}s \
	>"$work/out.json" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do grep -qs 'serving http://' "$work/err" && break; sleep 0.1; done
addr=$(sed -n 's|.*serving http://\([^/]*\)/metrics.*|\1|p' "$work/err" | head -1)
sleep 10
rss_before=$(rss_kib) anon_before=$(anon_kib)
t0=$(ticks) s0=$(date +%s.%N)
count=$((rate * seconds))
(while :; do curl -s -o /dev/null "http://$addr/metrics"; sleep "${SCRAPE_S:-5}"; done) &
scraper=$!
build/tests/churn "$root$prefix/churn" "$count" 2 "$rate" "$oom_every" >"$work/kernel.txt"
t1=$(ticks) s1=$(date +%s.%N)
kill $scraper
curl -s "http://$addr/metrics" >/dev/null
rss_end=$(rss_kib) anon_end=$(anon_kib)
sleep $((TOMBSTONE_S + 5))
curl -s "http://$addr/metrics" >/dev/null
sleep 2 # the next interval hands freed heap back
rss_after=$(rss_kib)
anon_after=$(anon_kib)
kill -INT "$pid"
wait "$pid" 2>/dev/null || true
pid=

killed=$(awk '$4 == 1' "$work/kernel.txt" | wc -l)
reported=$(jq -r --arg p "$prefix/churn/" 'select(.type == "oom_kill" and (.cgroup.path | startswith($p))) | .cgroup.path' "$work/out.json" | sort | uniq -c)
lines=$(awk '{ s += $1 } END { print s + 0 }' <<<"$reported")
twice=$(awk '$1 > 1' <<<"$reported" | wc -l)
lost=$(jq -s '[.[] | select(.type == "agent_stats")] | last | .events.lost_total' "$work/out.json")
wall=$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.1f", b - a }')
cpu=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v w="$wall" 'BEGIN { printf "%.2f", t * 100 / hz / w }')
echo "memsight run under churn: $count memcgs in $wall s ($rate/s asked), every ${oom_every}th OOM-killed, /metrics scraped every ${SCRAPE_S:-5} s, $(uname -r)"
echo "  CPU during the churn:   $cpu% of one core"
echo "  RSS before / at the end / after the ${TOMBSTONE_S}s tombstone: $rss_before / $rss_end / $rss_after KiB"
echo "  of which anonymous (heap):                           $anon_before / $anon_end / $anon_after KiB"
echo "  OOM kills: kernel $killed, oom_kill lines $lines, any twice: $twice; records lost: $lost"
