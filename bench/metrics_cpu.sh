#!/bin/bash
# What /metrics costs `memsight run` with N quiet containers: N real memcgs at docker's
# cgroupfs paths (named by their ids only), each touched once by a short process so that
# it has figures and series, then left alone. `run -v --interval 1s`, filtered to them.
# After three warm-up scrapes (page buffers, label caches, first reads: once per run),
# three phases, the agent's CPU read from /proc: its ticks (utime + stime of
# /proc/PID/stat) and, finer, the run time of each of its threads
# (/proc/PID/task/*/schedstat, ns):
#   1. QUIET_S (30) seconds, nobody scrapes;
#   2. SCRAPED_S (60) seconds, a scrape every 15 s;
#   3. SCRAPES (20) scrapes, each in an interval of its own (1.1 s apart): the CPU delta
#      over them, divided by their number, less the quiet rate of phase 1 over the time;
#      of it, the HTTP thread's (sending the page), and what the agent's -v log says a
#      render and the idle cgroups' reads around it took (builds that log it).
# Also: the page's size, its samples per container, and how many of them are zero.
#
# Usage: sudo bench/metrics_cpu.sh [N] [BINARY]   (defaults 1000 build/memsight; PAGE_OUT=FILE
#        keeps the page)
set -eu
cd "$(dirname "$0")/.."
n=${1:-1000}
bin=${2:-build/memsight}
QUIET_S=${QUIET_S:-30} SCRAPED_S=${SCRAPED_S:-60} SCRAPES=${SCRAPES:-20}
root=/sys/fs/cgroup/memory
grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null && root=/sys/fs/cgroup
base="/memsight-bench-metrics-$$"
hz=$(getconf CLK_TCK)
work=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	find "$root$base" -depth -type d -exec rmdir {} + 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
# every thread's run time in ns (the HTTP threads render or copy pages too)
run_ns() { cat /proc/"$pid"/task/*/schedstat | awk '{ s += $1 } END { printf "%.0f", s }'; }
http_ns() {
	for t in /proc/"$pid"/task/*; do
		case $(cat "$t/comm") in memsight-http | MHD*) cat "$t/schedstat" ;; esac
	done | awk '{ s += $1 } END { printf "%.0f", s }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.1f", v[int((NR + 1) / 2)]; else printf "-" }'; }
now_ns() { date +%s%N; }
scrape() { curl -s -o "$work/page" -w '%{time_total}\n' "http://$addr/metrics" >>"$work/latency"; }

mkdir -p "$root$base/docker"
for i in $(seq 1 "$n"); do
	mkdir "$root$base/docker/$(printf '%064x' "$i")"
done
"$bin" run -v --interval 1s --listen 127.0.0.1:0 --cgroup "$base" >/dev/null 2>"$work/err" &
pid=$!
for _ in $(seq 200); do grep -qs 'serving http://' "$work/err" && break; sleep 0.1; done
addr=$(sed -n 's|.*serving http://\([^/]*\)/metrics.*|\1|p' "$work/err" | head -1)
[ -n "$addr" ] || { cat "$work/err" >&2; exit 1; }
# one short process in each: faults, charges, usage; then nothing more happens there
for d in "$root$base"/docker/*/; do
	sh -c "echo \$\$ >'$d/cgroup.procs' && exec true"
done
sleep 12 # their figures in, and the idle gauges' first 10 s refresh behind
# three scrapes to warm up (page buffers, label caches, first reads), then the page
for _ in 1 2 3; do
	scrape
	sleep 1.1
done
scrape
rows=$(grep -c "^memsight_container_info{" "$work/page" || true)
samples=$(grep -vc '^#' "$work/page" || true)
per=$(grep -v '^#' "$work/page" | grep -c 'cgroup="[^"]*/docker/' || true)
zero=$(grep -v '^#' "$work/page" | grep 'cgroup="[^"]*/docker/' | grep -c ' 0$' || true)
bytes=$(stat -c %s "$work/page")
[ -z "${PAGE_OUT:-}" ] || cp "$work/page" "$PAGE_OUT" # the page, for a closer look
: >"$work/latency"

t0=$(ticks) r0=$(run_ns) w0=$(now_ns)
sleep "$QUIET_S"
t1=$(ticks) r1=$(run_ns) w1=$(now_ns)
quiet_rate=$(awk -v r=$((r1 - r0)) -v w=$((w1 - w0)) 'BEGIN { print r / w }')

t2=$(ticks) r2=$(run_ns) w2=$(now_ns)
for _ in $(seq 1 $((SCRAPED_S / 15))); do
	scrape
	sleep 15
done
t3=$(ticks) r3=$(run_ns) w3=$(now_ns)

t4=$(ticks) r4=$(run_ns) w4=$(now_ns) h4=$(http_ns) l4=$(wc -l <"$work/err")
for _ in $(seq 1 "$SCRAPES"); do
	scrape
	sleep 1.1
done
t5=$(ticks) r5=$(run_ns) w5=$(now_ns) h5=$(http_ns)
tail -n +$((l4 + 1)) "$work/err" | grep '/metrics: .* rendered' >"$work/renders" || true
tail -n +$((l4 + 1)) "$work/err" | grep '/metrics: limits and make-up' >"$work/wholes" || true
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")

pct() { awk -v r="$1" -v w="$2" 'BEGIN { printf "%.3f", 100 * r / w }'; }
echo "memsight run --interval 1s, $n quiet memcgs ($rows on the page), $(uname -r), $(date -u +%F)"
echo "  page: $bytes bytes, $samples samples; $per for the $n containers ($(awk -v p="$per" -v n="$n" 'BEGIN { printf "%.1f", p / n }') each), $zero of them 0"
echo "  quiet, no scrape, ${QUIET_S} s:   $((t1 - t0)) ticks of 1/${hz} s; $(awk -v r=$((r1 - r0)) 'BEGIN { printf "%.1f", r / 1e6 }') ms run time = $(pct $((r1 - r0)) $((w1 - w0)))% of one core"
echo "  scraped every 15 s, ${SCRAPED_S} s: $((t3 - t2)) ticks; $(awk -v r=$((r3 - r2)) 'BEGIN { printf "%.1f", r / 1e6 }') ms run time = $(pct $((r3 - r2)) $((w3 - w2)))% of one core"
awk -v r=$((r5 - r4)) -v w=$((w5 - w4)) -v q="$quiet_rate" -v s="$SCRAPES" -v t=$((t5 - t4)) -v hz="$hz" 'BEGIN {
	printf "  %d scrapes 1.1 s apart: %d ticks (%.1f ms per scrape); run time %.1f ms per scrape, %.1f ms less the quiet rate\n",
		s, t, 1000 * t / hz / s, r / 1e6 / s, (r - q * w) / 1e6 / s }'
echo "  of which the HTTP thread (sending): $(awk -v h=$((h5 - h4)) -v s="$SCRAPES" 'BEGIN { printf "%.1f", h / 1e6 / s }') ms per scrape"
echo "  -v log over $(wc -l <"$work/renders") renders (wall ms): render median $(sed -n 's/.*rendered in \([0-9.]*\) ms.*/\1/p' "$work/renders" | median); idle cgroups' reads before them $(sed -n 's/.*read in \([0-9.]*\) ms.*/\1/p' "$work/renders" | awk '$1 > 0.05 { n++; s += $1; printf "%s ", $1 } END { printf "(%d of them, mean per render %.1f)", n, NR ? s / NR : 0 }'); after them, limits and make-up: $(sed -n 's/.*read in \([0-9.]*\) ms.*/\1/p' "$work/wholes" | tr '\n' ' ')"
echo "  scrape latency (curl time_total, s), sorted: $(sort -n "$work/latency" | tr '\n' ' ')"
echo "  VmRSS ${rss} KiB"
