#!/bin/bash
# What `memsight stream` costs with N containers all active: N memcgs with a 64 MiB limit,
# each running a process that touches 1 MiB a second and frees it every 4 MiB (so every
# container has figures every interval: faults, charges, and memory.stat read for its
# working set, trend and leak watch). CPU from /proc over 20 s, VmRSS and VmHWM.
# Usage: sudo bench/active.sh [N] [BINARY]   (default 1000, build/memsight)
set -eu
cd "$(dirname "$0")/.."
n=${1:-1000}
bin=${2:-build/memsight}
root=/sys/fs/cgroup/memory
grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null && root=/sys/fs/cgroup
base="/memsight-bench-active-$$"
hz=$(getconf CLK_TCK)
make -s build/tests/hog
pids=()
cleanup() {
	kill "${pids[@]}" 2>/dev/null || true
	wait 2>/dev/null || true
	find "$root$base" -depth -type d -exec rmdir {} + 2>/dev/null || true
}
trap cleanup EXIT

mkdir -p "$root$base"
for i in $(seq 1 "$n"); do
	d="$root$base/c$i"
	mkdir "$d"
	if [ "$root" = /sys/fs/cgroup ]; then echo $((64 << 20)) >"$d/memory.max"; else echo $((64 << 20)) >"$d/memory.limit_in_bytes"; fi
	(exec sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$d" build/tests/hog --step-ms 1000 --free-at 4) &
	pids+=($!)
done
sleep 3
"$bin" stream --interval 1s --cgroup "$base" >/dev/null 2>&1 &
mpid=$!
sleep 5
t0=$(awk '{ print $14 + $15 }' /proc/$mpid/stat)
sleep 20
t1=$(awk '{ print $14 + $15 }' /proc/$mpid/stat)
rss=$(awk '/^VmRSS/ { print $2 }' /proc/$mpid/status)
hwm=$(awk '/^VmHWM/ { print $2 }' /proc/$mpid/status)
kill $mpid
wait $mpid 2>/dev/null || true
echo "$n active containers: CPU $((t1 - t0)) ticks of 1/${hz}s over 20 s = $(awk -v t=$((t1 - t0)) -v hz="$hz" 'BEGIN { printf "%.1f", 100 * t / hz / 20 }')% of one core; VmRSS ${rss} KiB, VmHWM ${hwm} KiB"
