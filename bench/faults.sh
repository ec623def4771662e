#!/bin/bash
# In-kernel cost per page fault (faults, charges and reclaim hooks all fire on the way): the run time of every BPF program a contender holds
# (kernel bpf_stats, programs found through /proc/PID/fdinfo prog_id lines) divided by
# the benchmark memcg's pgfault delta, for a workload of known size. Contenders run
# alone, alternated (or all at once with TOGETHER=1), ROUNDS times; medians are printed.
#
# Per hook (the tracepoint each program's link names in fdinfo, else the program's name),
# for the contenders that attach through links (the tp_btf ones): ns of run time per fault,
# runs per fault and ns per run, so memsight's excess over the floor can be placed hook by
# hook.
# bpf_stats counts every run on the node, the benchmark memcg's and any other's alike.
#
# Usage: sudo make bench-faults [ROUNDS=5]  or  sudo bench/faults.sh [ROUNDS] [MIB]
#        (defaults 5 rounds, 200 MiB; needs build/bench/empty_loader: make bench-faults)
#        BASELINE=path/to/an/older/memsight adds it as contenders, for before/after figures.
#        CONTENDERS="floor-tp_btf memsight-tp_btf ..." runs only those (names as printed).
#        TOGETHER=1 attaches the contenders all at once, so every program runs on the same
#        events at the same moment: a paired comparison that the machine's other load
#        (which moves every figure of a round alike) does not blur. Figures of programs
#        sharing a hook include what each leaves in the cache for the next.
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-5}
[ -n "$rounds" ] || rounds=5
mib=${2:-200}
MEMSIGHT=${MEMSIGHT:-build/memsight}
HOG=build/tests/hog
ANCHOR=${ANCHOR:-bench/anchor.bt}
root=/sys/fs/cgroup/memory
grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null && root=/sys/fs/cgroup
cg=$root/memsight-bench-$$
mkdir -p "$cg"
hooks=$(mktemp -d)
prior_stats=$(cat /proc/sys/kernel/bpf_stats_enabled)
sysctl -q kernel.bpf_stats_enabled=1
started=()
cleanup() {
	# contenders still running (the script was interrupted) would stay attached
	for pid in "${started[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
	sysctl -q kernel.bpf_stats_enabled="$prior_stats"
	rmdir "$cg" 2>/dev/null || true
	rm -rf "$hooks"
}
trap cleanup EXIT

prog_ids() { grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u; }
# "prog_id hook" for every program PID holds: the tracepoint of its link, else its name
prog_hooks() {
	local id
	for id in $(prog_ids "$1"); do
		grep -l "^prog_id:[[:space:]]*$id\$" /proc/"$1"/fdinfo/* 2>/dev/null | xargs -r cat |
			awk '$1 == "tp_name:" { print $2; exit }' | grep . ||
			bpftool prog show id "$id" --json | jq -r .name
	done | paste -d' ' <(prog_ids "$1") -
}
# "prog_id run_time_ns run_cnt", one line per program named, all read at one moment
run_stats() {
	bpftool prog show --json | jq -r --arg ids " $* " '.[] | . as $p | select($ids | contains(" \($p.id) ")) |
		"\(.id) \(.run_time_ns // 0) \(.run_cnt // 0)"'
}
# pick IDS LINES: the lines of those program ids
pick() { echo "$2" | awk -v ids=" $1 " 'index(ids, " " $1 " ")'; }
cpu_ticks() { awk '{ print $14 + $15 }' /proc/"$1"/stat; }
pgfault() { awk '$1 == "pgfault" { print $2 }' "$cg/memory.stat"; }

# settle PID: waits until the contender's programs are all loaded and it is idle
settle() {
	local ids t0
	for _ in $(seq 200); do
		ids=$(prog_ids $1)
		# settled: memsight has 4+ programs, bpftrace attaches all at once
		[ -n "$ids" ] && sleep 0.5 && [ "$(prog_ids $1)" = "$ids" ] && break
		sleep 0.1
	done
	# and idle: a contender's own start-up (memsight's first scan and reads fault in
	# megabytes) fires the same hooks, and is not a cost per fault
	for _ in $(seq 20); do
		t0=$(cpu_ticks $1)
		sleep 0.5
		[ "$(cpu_ticks $1)" = "$t0" ] && break
	done
}

# measure NAME...: starts the contenders (together), runs the workload once; appends
# its ns per fault to $hooks/NAME.total and "hook ns_per_fault runs_per_fault ns_per_run"
# lines to $hooks/NAME
measure() {
	local n f0 f1 all
	local -A pid ids before after
	for n in "$@"; do
		eval "exec ${command[$n]}" >/dev/null 2>&1 &
		pid[$n]=$!
		started+=(${pid[$n]})
	done
	for n in "$@"; do
		settle ${pid[$n]}
		prog_hooks ${pid[$n]} >"$hooks/$n.map"
	done
	for n in "$@"; do ids[$n]=$(prog_ids ${pid[$n]} | tr '\n' ' '); done
	all=$(run_stats "${ids[@]}")
	for n in "$@"; do before[$n]=$(pick "${ids[$n]}" "$all"); done
	f0=$(pgfault)
	sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" --max-mib "$3"' sh "$cg" "$HOG" "$mib"
	f1=$(pgfault)
	all=$(run_stats "${ids[@]}")
	for n in "$@"; do after[$n]=$(pick "${ids[$n]}" "$all"); done
	for n in "$@"; do
		kill -INT ${pid[$n]}
		wait ${pid[$n]} 2>/dev/null || true
		# per hook: sum the deltas of its programs (a bpftrace hook may hold several)
		awk -v faults=$((f1 - f0)) 'FILENAME == ARGV[1] { hook[$1] = $2; next }
			FILENAME == ARGV[2] { t0[$1] = $2; c0[$1] = $3; next }
			{ h = hook[$1]; t[h] += $2 - t0[$1]; c[h] += $3 - c0[$1] }
			END { for (h in t) printf "%s %.0f %.2f %.0f\n", h, t[h] / faults, c[h] / faults, c[h] ? t[h] / c[h] : 0 }' \
			"$hooks/$n.map" <(echo "${before[$n]}") <(echo "${after[$n]}") >>"$hooks/$n"
		awk -v faults=$((f1 - f0)) 'NR == FNR { t0 += $2; next } { t += $2 }
			END { print int((t - t0) / faults) }' <(echo "${before[$n]}") <(echo "${after[$n]}") \
			>>"$hooks/$n.total"
	done
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A results command
names=(floor-tp_btf floor-tracepoint memsight-tp_btf bpftrace-oneliner bpftrace-charges anchor.bt
	floor-perf memsight-perf_event)
command[floor-tp_btf]='build/bench/empty_loader build/bench/empty.bpf.o'
command[floor-tracepoint]="bpftrace -e 'tracepoint:memcg:count_memcg_events {} tracepoint:memcg:mod_memcg_state {} tracepoint:memcg:mod_memcg_lruvec_state {}'"
command[memsight-tp_btf]="$MEMSIGHT stream --fault-hook tp_btf"
command[bpftrace-oneliner]="bpftrace -e 'tracepoint:memcg:count_memcg_events { @[args->id, args->item] = sum(args->val); }'"
command[bpftrace-charges]="bpftrace -e 'tracepoint:memcg:mod_memcg_state { @st[args->id, args->item] = sum(args->val); } tracepoint:memcg:mod_memcg_lruvec_state { @lru[args->id, args->item] = sum(args->val); }'"
command[anchor.bt]="bpftrace $ANCHOR"
command[floor-perf]="bpftrace -e 'software:page-faults:1 {}'"
command[memsight-perf_event]="$MEMSIGHT stream --fault-hook perf_event"
if [ -n "${BASELINE:-}" ]; then
	names+=(baseline-tp_btf baseline-perf_event)
	command[baseline-tp_btf]="$BASELINE stream --fault-hook tp_btf"
	command[baseline-perf_event]="$BASELINE stream --fault-hook perf_event"
fi
if [ -n "${CONTENDERS:-}" ]; then
	for n in $CONTENDERS; do
		[ -n "${command[$n]:-}" ] || { echo "faults.sh: no contender $n (${names[*]})" >&2; exit 2; }
	done
	names=($CONTENDERS)
fi
for r in $(seq "$rounds"); do
	if [ -n "${TOGETHER:-}" ]; then
		measure "${names[@]}"
	else
		for n in "${names[@]}"; do measure "$n"; done
	fi
done
for n in "${names[@]}"; do results[$n]=$(tr '\n' ' ' <"$hooks/$n.total"); done
echo "ns of BPF run time per page fault ($rounds rounds of a $mib MiB workload${TOGETHER:+, contenders together}, $(uname -r)):"
for n in "${names[@]}"; do
	printf '  %-22s median %5s   rounds: %s\n' "$n" "$(printf '%s\n' ${results[$n]} | median)" "${results[$n]}"
done

# Per hook: the contenders whose programs all sit on named tracepoints (links).
per_hook=()
for n in "${names[@]}"; do
	case $n in *tp_btf) per_hook+=("$n") ;; esac
done
[ ${#per_hook[@]} -gt 0 ] || exit 0
echo "per hook, medians of the rounds: ns per fault / runs per fault / ns per run (hooks that ran)"
printf '  %-32s' hook
printf ' %24s' "${per_hook[@]}"
echo
for h in $(cat "${per_hook[@]/#/$hooks/}" | awk '$3 > 0 { print $1 }' | sort -u); do
	printf '  %-32s' "$h"
	for n in "${per_hook[@]}"; do
		ns=$(awk -v h="$h" '$1 == h { print $2 }' "$hooks/$n" | median)
		runs=$(awk -v h="$h" '$1 == h { print $3 }' "$hooks/$n" | median)
		per_run=$(awk -v h="$h" '$1 == h { print $4 }' "$hooks/$n" | median)
		printf ' %24s' "${ns:--} / ${runs:--} / ${per_run:--}"
	done
	echo
done
