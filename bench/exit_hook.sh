#!/bin/bash
# Cost per process exit of memsight's tracepoint-mode exit hook (oom_victim_exit_tp, a
# hash lookup per exit), against an empty program on the same tracepoint and against the
# bpftrace one-liner doing the same lookup. Each alone, ROUNDS rounds, medians.
# Usage: sudo bench/exit_hook.sh [ROUNDS] [EXITS]   (defaults 3, 3000)
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-3}
exits=${2:-3000}
sysctl -q kernel.bpf_stats_enabled=1
trap 'sysctl -q kernel.bpf_stats_enabled=0' EXIT

spawn_exits() { for _ in $(seq "$exits"); do /bin/true; done; }

# ns_per_run PROG_ID: run_time_ns / run_cnt from bpftool.
ns_per_run() {
	bpftool prog show id "$1" --json | jq -r 'if .run_cnt > 0 then (.run_time_ns / .run_cnt | floor) else "n/a" end'
}

# bpftrace_round PROGRAM: attaches it alone, spawns exits, prints ns/run.
bpftrace_round() {
	local before after id
	before=$(bpftool prog show --json | jq '[.[].id] | max // 0')
	bpftrace -e "$1" >/dev/null 2>&1 &
	local pid=$!
	for _ in $(seq 100); do
		id=$(bpftool prog show --json | jq -r --argjson b "$before" '[.[] | select(.id > $b and .type == "tracepoint")] | .[0].id // empty')
		[ -n "$id" ] && break
		sleep 0.1
	done
	spawn_exits
	ns_per_run "$id"
	kill -INT $pid
	wait $pid 2>/dev/null || true
}

memsight_round() {
	local out
	out=$(mktemp)
	build/memsight stream --oom-hook tracepoint --interval 100ms >"$out" 2>/dev/null &
	local pid=$!
	until grep -q agent_stats "$out"; do sleep 0.1; done
	local id
	id=$(grep agent_stats "$out" | head -1 | jq -r '.bpf.programs[] | select(.name == "oom_victim_exit_tp") | .id')
	spawn_exits
	ns_per_run "$id"
	kill -TERM $pid
	wait $pid 2>/dev/null || true
	rm -f "$out"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

empty=() memsight=() script=()
for r in $(seq "$rounds"); do
	empty+=("$(bpftrace_round 'tracepoint:sched:sched_process_exit {}')")
	memsight+=("$(memsight_round)")
	script+=("$(bpftrace_round 'BEGIN { @pending[0] = 0 } tracepoint:sched:sched_process_exit /@pending[tid]/ { delete(@pending[tid]); }')")
done
echo "ns per sched_process_exit, $rounds rounds of $exits exits, medians (rounds):"
echo "  empty program          $(printf '%s\n' "${empty[@]}" | median)  (${empty[*]})"
echo "  memsight exit hook     $(printf '%s\n' "${memsight[@]}" | median)  (${memsight[*]})"
echo "  bpftrace equivalent    $(printf '%s\n' "${script[@]}" | median)  (${script[*]})"
