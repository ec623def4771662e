#!/bin/bash
# What one `memsight top` refresh costs with N containers on the node: N real memcgs at
# docker's cgroupfs paths, each with a docker state file (config.v2.json, its name) in a
# data root of the benchmark's own (--docker-root), as a node's running containers have;
# a top in --batch mode filtered to them. The figure is the marginal CPU of a refresh: a run of
# LONG refreshes minus a run of one, divided by LONG - 1 (start-up, the BTF parse and the
# first naming of every cgroup cancel out), from the runs' rusage (bash's `time`, 1 ms),
# ROUNDS pairs, median. Also, where the build logs it (-v), each interval's work in the
# agent's own thread CPU clock (the view's refresh included; start-up and the ring buffer's
# records of other cgroups' comings and goings left out), the render alone, and peak RSS.
# Usage: sudo bench/top_refresh.sh [N] (default 1000); LONG=31 ROUNDS=3 by default.
set -eu
cd "$(dirname "$0")/.."
n=${1:-1000}
long=${LONG:-31}
rounds=${ROUNDS:-3}
bin=build/memsight
root=/sys/fs/cgroup/memory
grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null && root=/sys/fs/cgroup
base="/memsight-bench-top-$$"
log=$(mktemp)
docker_root=$(mktemp -d)
cleanup() {
	find "$root$base" -depth -type d -exec rmdir {} + 2>/dev/null || true
	rm -f "$log" "$log.out" "$log.time" "$log.rss" "$log.work"
	rm -rf "$docker_root"
}
trap cleanup EXIT

mkdir -p "$root$base/docker"
for i in $(seq 1 "$n"); do
	id=$(printf '%064x' "$i")
	mkdir "$root$base/docker/$id"
	mkdir -p "$docker_root/containers/$id"
	printf '{"Name":"/bench-%d","Config":{"Labels":{}}}\n' "$i" >"$docker_root/containers/$id/config.v2.json"
done

# cpu_ms ITERATIONS: user+system ms of one top run of that many 1 s refreshes
cpu_ms() {
	local TIMEFORMAT='%3U %3S'
	{ time /usr/bin/time -f %M -o "$log.rss" "$bin" top --batch --iterations "$1" --interval 1s --cgroup "$base" \
		--docker-root "$docker_root" -v \
		>"$log.out" 2>"$log"; } 2>"$log.time"
	awk '{ printf "%d\n", ($1 + $2) * 1000 }' "$log.time"
}

"$bin" features | grep -A1 '^  gauges' | tr -s ' ' | tr '\n' ' '
echo
marginals=()
: >"$log.work"
for r in $(seq 1 "$rounds"); do
	one=$(cpu_ms 1)
	many=$(cpu_ms "$long")
	grep -o 'interval work took [0-9.]* ms' "$log" | awk '{ print $4 }' | tail -n +3 >>"$log.work"
	m=$(awk -v a="$one" -v b="$many" -v l="$long" 'BEGIN { printf "%.2f", (b - a) / (l - 1) }')
	marginals+=("$m")
	echo "round $r: 1 refresh ${one} ms, $long refreshes ${many} ms: $m ms per refresh"
done
rows=$(awk -v l="$long" '/^memsight top/ { n++ } n == l && / bench-[0-9]+$/' "$log.out" | wc -l)
echo "containers: $n memcgs, rows in the last snapshot: $rows"
echo -n "render (rows built, sorted, printed), ms, sorted: "
grep -o 'rows took [0-9.]* ms' "$log" | awk '{ print $3 }' | tail -n +3 | sort -n | tr '\n' ' '
echo
if [ -s "$log.work" ]; then
	echo "interval work, agent thread CPU, ms: $(sort -n "$log.work" | awk '{ v[NR] = $1 } END {
		printf "median %.2f, p10 %.2f, p90 %.2f over %d intervals", v[int((NR + 1) / 2)],
			v[int(NR / 10) + 1], v[int(NR * 9 / 10)], NR }')"
fi
echo "peak RSS of the last run: $(cat "$log.rss") KiB"
echo "marginal CPU per 1 s refresh, median of $rounds: $(printf '%s\n' "${marginals[@]}" | sort -n |
	awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }') ms"
