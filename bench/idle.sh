#!/bin/bash
# Idle cost of `memsight stream` and its start-up time, measured from /proc (not from
# memsight's own agent_stats). Usage: sudo bench/idle.sh [SECONDS] (default 60).
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
bin=build/memsight
hz=$(getconf CLK_TCK)

"$bin" stream --duration $((secs + 5))s >/dev/null 2>&1 &
pid=$!
sleep 3
t0=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
sleep "$secs"
t1=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
rss=$(awk '/^VmRSS/ { print $2 }' /proc/$pid/status)
wait $pid
echo "idle over ${secs}s: cpu $((t1 - t0)) ticks of 1/${hz}s = $(awk -v t=$((t1 - t0)) -v hz="$hz" -v s="$secs" 'BEGIN { printf "%.3f", 100 * t / hz / s }')% of one core; VmRSS ${rss} KiB"

echo -n "open+load+attach (features --json attach_ms, 10 runs, sorted): "
for _ in $(seq 10); do "$bin" features --json | jq -r .attach_ms; done | sort -n | tr '\n' ' '
echo
echo -n "exec to exit of 'stream --duration 10ms' (ms, 10 runs, sorted): "
for _ in $(seq 10); do
	s=$(date +%s%N)
	"$bin" stream --duration 10ms --interval 10ms >/dev/null 2>&1
	echo $((($(date +%s%N) - s) / 1000000))
done | sort -n | tr '\n' ' '
echo
