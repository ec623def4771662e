#!/bin/bash
# What one `memsight top` refresh costs with N containers on the node: N real memcgs at
# docker's cgroupfs paths (named only by their ids: no docker state for them), a top in
# --batch mode filtered to them, and the agent's own per-interval timing (-v) plus its
# CPU time from /proc. Usage: sudo bench/top_refresh.sh [N] (default 1000).
set -eu
cd "$(dirname "$0")/.."
n=${1:-1000}
bin=build/memsight
root=/sys/fs/cgroup/memory
grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null && root=/sys/fs/cgroup
base="/memsight-bench-top-$$"
hz=$(getconf CLK_TCK)
cleanup() { find "$root$base" -depth -type d -exec rmdir {} + 2>/dev/null || true; }
trap cleanup EXIT

mkdir -p "$root$base/docker"
for i in $(seq 1 "$n"); do
	mkdir "$root$base/docker/$(printf '%064x' "$i")"
done
log=$(mktemp)
"$bin" top --batch --iterations 12 --interval 1s --cgroup "$base" -v >"$log.out" 2>"$log" &
pid=$!
sleep 2
t0=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
sleep 8
t1=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
rss=$(awk '/^VmRSS/ { print $2 }' /proc/$pid/status)
wait $pid
rows=$(awk '/^memsight top/ { n++ } n == 12 && /docker:/' "$log.out" | wc -l)
echo "containers: $n memcgs, rows in the last snapshot: $rows"
echo -n "interval work (ms; gauges read, rows built, snapshot printed), sorted: "
grep -o 'work took [0-9.]* ms' "$log" | awk '{ print $3 }' | tail -n +3 | sort -n | tr '\n' ' '
echo
echo "CPU over 8 refreshes: $((t1 - t0)) ticks of 1/${hz}s = $(awk -v t=$((t1 - t0)) -v hz="$hz" 'BEGIN { printf "%.1f", 1000 * t / hz / 8 }') ms per 1 s refresh; VmRSS ${rss} KiB"
rm -f "$log" "$log.out"
