#!/bin/bash
# In-kernel cost per page fault (faults, charges and reclaim hooks all fire on the way): the run time of every BPF program a contender holds
# (kernel bpf_stats, programs found through /proc/PID/fdinfo prog_id lines) divided by
# the benchmark memcg's pgfault delta, for a workload of known size. Contenders run
# alone, alternated, ROUNDS times; medians are printed.
#
# Usage: sudo make bench-faults [ROUNDS=5]  or  sudo bench/faults.sh [ROUNDS] [MIB]
#        (defaults 5 rounds, 200 MiB; needs build/bench/empty_loader: make bench-faults)
#        BASELINE=path/to/an/older/memsight adds it as contenders, for before/after figures.
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-5}
[ -n "$rounds" ] || rounds=5
mib=${2:-200}
MEMSIGHT=build/memsight
HOG=build/tests/hog
ANCHOR=${ANCHOR:-bench/anchor.bt}
root=/sys/fs/cgroup/memory
grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null && root=/sys/fs/cgroup
cg=$root/memsight-bench-$$
mkdir -p "$cg"
prior_stats=$(cat /proc/sys/kernel/bpf_stats_enabled)
sysctl -q kernel.bpf_stats_enabled=1
cleanup() {
	sysctl -q kernel.bpf_stats_enabled="$prior_stats"
	rmdir "$cg" 2>/dev/null || true
}
trap cleanup EXIT

prog_ids() { grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u; }
run_time() {
	local total=0 id
	for id in "$@"; do
		total=$((total + $(bpftool prog show id "$id" --json | jq '.run_time_ns // 0')))
	done
	echo $total
}
pgfault() { awk '$1 == "pgfault" { print $2 }' "$cg/memory.stat"; }

# measure NAME COMMAND...: starts the contender, runs the workload, prints ns per fault
measure() {
	local name=$1 pid ids before after f0 f1
	shift
	"$@" >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 200); do
		ids=$(prog_ids $pid)
		# settled: memsight has 4+ programs, bpftrace attaches all at once
		[ -n "$ids" ] && sleep 0.5 && [ "$(prog_ids $pid)" = "$ids" ] && break
		sleep 0.1
	done
	ids=$(prog_ids $pid)
	before=$(run_time $ids)
	f0=$(pgfault)
	sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" --max-mib "$3"' sh "$cg" "$HOG" "$mib"
	f1=$(pgfault)
	after=$(run_time $ids)
	kill -INT $pid
	wait $pid 2>/dev/null || true
	echo $(((after - before) / (f1 - f0)))
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A results
names=(floor-tp_btf floor-tracepoint memsight-tp_btf bpftrace-oneliner bpftrace-charges anchor.bt
	floor-perf memsight-perf_event)
for r in $(seq "$rounds"); do
	results[floor-tp_btf]+="$(measure floor build/bench/empty_loader build/bench/empty.bpf.o) "
	results[floor-tracepoint]+="$(measure floor-tp bpftrace -e 'tracepoint:memcg:count_memcg_events {} tracepoint:memcg:mod_memcg_state {} tracepoint:memcg:mod_memcg_lruvec_state {}') "
	results[memsight-tp_btf]+="$(measure memsight $MEMSIGHT stream --fault-hook tp_btf) "
	results[bpftrace-oneliner]+="$(measure oneliner bpftrace -e 'tracepoint:memcg:count_memcg_events { @[args->id, args->item] = sum(args->val); }') "
	results[bpftrace-charges]+="$(measure charges bpftrace -e 'tracepoint:memcg:mod_memcg_state { @st[args->id, args->item] = sum(args->val); } tracepoint:memcg:mod_memcg_lruvec_state { @lru[args->id, args->item] = sum(args->val); }') "
	results[anchor.bt]+="$(measure anchor bpftrace "$ANCHOR") "
	results[floor-perf]+="$(measure floor-perf bpftrace -e 'software:page-faults:1 {}') "
	results[memsight-perf_event]+="$(measure memsight-perf $MEMSIGHT stream --fault-hook perf_event) "
	if [ -n "${BASELINE:-}" ]; then
		results[baseline-tp_btf]+="$(measure baseline "$BASELINE" stream --fault-hook tp_btf) "
		results[baseline-perf_event]+="$(measure baseline-perf "$BASELINE" stream --fault-hook perf_event) "
	fi
done
[ -n "${BASELINE:-}" ] && names+=(baseline-tp_btf baseline-perf_event)
echo "ns of BPF run time per page fault ($rounds rounds of a $mib MiB workload, $(uname -r)):"
for n in "${names[@]}"; do
	printf '  %-22s median %5s   rounds: %s\n' "$n" "$(printf '%s\n' ${results[$n]} | median)" "${results[$n]}"
done
