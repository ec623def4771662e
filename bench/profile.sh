#!/bin/bash
# What `memsight profile` costs, side by side with `perf record -e page-faults -g` on
# the same workload: build/tests/fault_ratio doing a fixed amount of work (ROUNDS rounds
# of 256 page faults, frame pointers on), in a memcg of its own, alone, then under
# `memsight profile --cgroup` at the default rate, then under perf record (its defaults:
# a sampling frequency of 4000 Hz, callchains by frame pointer). Each contender runs
# RUNS times, alternated; medians are printed.
#
# Figures: the workload's wall time and CPU time (user + sys: the BPF program and the
# kernel's stack walks run in the faulting task's context, so they land in its sys
# time), the workload's faults (the memcg's pgfault), and for memsight the run time of
# its BPF programs (kernel bpf_stats) per fault at three rates (see the end).
#
# Usage: sudo bench/profile.sh [RUNS] [ROUNDS]   (defaults 5, 800)
set -eu
cd "$(dirname "$0")/.."
runs=${1:-5}
rounds=${2:-800}
MEMSIGHT=build/memsight
WORKLOAD=build/tests/fault_ratio
root=/sys/fs/cgroup/memory
grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null && root=/sys/fs/cgroup
name=memsight-bench-profile-$$
cg=$root/$name
tmp=$(mktemp -d)
mkdir -p "$cg"
prior_stats=$(cat /proc/sys/kernel/bpf_stats_enabled)
sysctl -q kernel.bpf_stats_enabled=1
cleanup() {
	sysctl -q kernel.bpf_stats_enabled="$prior_stats"
	rmdir "$cg" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

pgfault() { awk '$1 == "pgfault" { print $2 }' "$cg/memory.stat"; }
prog_ids() { grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u; }
run_time() {
	local total=0 id
	for id in "$@"; do
		total=$((total + $(bpftool prog show id "$id" --json | jq '.run_time_ns // 0')))
	done
	echo $total
}

# workload [PREFIX...]: runs it in the memcg (under PREFIX, e.g. perf record ... --);
# prints "wall_ms cpu_ms faults" (cpu: the process and the children it waited for)
workload() {
	local f0 f1 out
	f0=$(pgfault)
	out=$(python3 - "$cg" "$@" "$WORKLOAD" 0 64 "$rounds" <<-'EOF'
		import os, sys, time
		cg, argv = sys.argv[1], sys.argv[2:]
		start = time.monotonic()
		pid = os.fork()
		if pid == 0:
		    with open(cg + "/cgroup.procs", "w") as f:
		        f.write(str(os.getpid()))
		    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
		    os.execvp(argv[0], argv)
		_, _, ru = os.wait4(pid, 0)
		print(int((time.monotonic() - start) * 1000), int((ru.ru_utime + ru.ru_stime) * 1000))
	EOF
	)
	f1=$(pgfault)
	echo "$out $((f1 - f0))"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

run_none() { workload >>"$tmp/none"; }

# run_memsight FILE [OPTIONS]: FILE collects "wall cpu faults bpf_ns sampled"
run_memsight() {
	local out=$1 pid ids before after line sampled
	shift
	"$MEMSIGHT" profile --cgroup "/$name" -v "$@" >/dev/null 2>"$tmp/memsight.err" &
	pid=$!
	for _ in $(seq 100); do grep -q 'profile: tp_btf\|profile: perf_event' "$tmp/memsight.err" && break; sleep 0.1; done
	ids=$(prog_ids $pid)
	before=$(run_time $ids)
	line=$(workload)
	after=$(run_time $ids)
	kill -INT $pid
	wait $pid || true
	sampled=$(sed -nE 's/.*profile: ([0-9]+) of [0-9]+ faults sampled.*/\1/p' "$tmp/memsight.err")
	echo "$line $((after - before)) $sampled" >>"$tmp/$out"
}

# perf record runs the workload itself: its wall and CPU time include perf's own
# (writing perf.data), what a user of perf waits for and pays.
run_perf() {
	local line
	line=$(workload perf record -e page-faults -g -q -o "$tmp/perf.data" --)
	echo "$line $(perf report -i "$tmp/perf.data" --stdio -q --sort comm 2>/dev/null |
		awk '/fault_ratio/ { print $1; exit }') $(stat -c %s "$tmp/perf.data")" >>"$tmp/perf"
}

for i in $(seq "$runs"); do
	run_none
	run_memsight memsight
	run_memsight memsight-rate1 --rate 1
	run_memsight memsight-every --rate 100000
	run_perf
done

col() { awk -v c="$2" '{ print $c }' "$tmp/$1" | median; }
echo "runs: $runs, $rounds rounds of 256 faults each; medians"
printf '%-10s %8s %8s %10s\n' contender wall_ms cpu_ms faults
for c in none memsight memsight-rate1 memsight-every perf; do
	printf '%-10s %8s %8s %10s\n' "$c" "$(col $c 1)" "$(col $c 2)" "$(col $c 3)"
done
# BPF time per workload fault (its programs' run time, node-wide, over the workload's
# faults) at the default rate; at --rate 1 (the filter and the rate limit: nearly no
# samples); and at --rate 100000, where every fault of the workload is sampled (its rate
# is below each CPU's share): that one is the cost of a sampled fault.
for c in memsight memsight-rate1 memsight-every; do
	awk -v c=$c '{ printf "%s %d %d\n", c, $4 / $3, $5 }' "$tmp/$c" | sort -k2 -n |
		awk '{ a[NR] = $0 } END { split(a[int((NR + 1) / 2)], f, " ");
			printf "%-15s BPF %5d ns per workload fault (median run: %d samples)\n", f[1], f[2], f[3] }'
done
echo "perf: samples of fault_ratio in perf.data (share), perf.data bytes: $(awk '{ print $4, $5 }' "$tmp/perf" | tail -1)"
echo "raw: none [wall cpu faults]; memsight [wall cpu faults bpf_ns sampled]; perf [wall cpu faults share bytes]"
for c in none memsight perf; do echo "$c:"; sed 's/^/  /' "$tmp/$c"; done
