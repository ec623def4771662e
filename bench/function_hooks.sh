#!/bin/bash
# The function hooks' cost (kernel bpf_stats: run_time_ns / run_cnt), memsight's programs
# against empty programs on the same functions, each alone, ROUNDS rounds of a workload
# that allocates, touches and frees MIB MiB; medians. For the kernels without the memcg
# tracepoints: charges by fentry or kprobe on __mod_memcg_state and
# __mod_memcg_lruvec_state, faults on __count_memcg_events, and faults by the perf_event
# programs they replace. Runs where bpftool and jq are, e.g. inside a test VM
# (bench/function_hooks_vm.sh). bpf_stats counts every run on the node, not only the
# workload's, and times the program only, not the trampoline, kprobe or perf event that
# calls it.
#
# Usage: bench/function_hooks.sh HOOK [ROUNDS] [MIB]   (HOOK: fentry | kprobe)
#        FAMILIES="charges faults" (default) the programs measured besides the empty ones.
set -u
families=" ${FAMILIES:-charges faults} "
hook=${1:?usage: bench/function_hooks.sh fentry|kprobe [ROUNDS] [MIB]}
rounds=${2:-5} mib=${3:-100}
B=${BUILD:-build}
# stats on for the run only: left on, every BPF program on the node pays for the timing
prior_stats=$(cat /proc/sys/kernel/bpf_stats_enabled)
echo 1 >/proc/sys/kernel/bpf_stats_enabled
err_file=$(mktemp)
trap 'echo "$prior_stats" >/proc/sys/kernel/bpf_stats_enabled; rm -f "$err_file"' EXIT

# "name run_time_ns run_cnt" of the loaded programs whose name matches RE
stats() {
	bpftool prog show --json | jq -r --arg re "$1" \
		'.[] | select(.name | test($re)) | "\(.name) \(.run_time_ns // 0) \(.run_cnt // 0)"' | sort
}
# one_round RE CMD...: starts CMD, runs the workload, prints "name ns_per_run runs"
one_round() {
	local re=$1 pid before after
	shift
	"$@" >/dev/null 2>"$err_file" &
	pid=$!
	for _ in $(seq 150); do [ -n "$(stats "$re")" ] && break; sleep 0.2; done
	sleep 2 # the contender's own start-up is not the workload's cost
	before=$(stats "$re")
	"$B/tests/hog" --max-mib "$mib" >/dev/null
	after=$(stats "$re")
	kill -INT $pid
	wait $pid 2>/dev/null
	[ -n "$before" ] || { echo "  (nothing attached: $(head -c 300 "$err_file"))" >&2; return; }
	join <(echo "$before") <(echo "$after") |
		awk '{ ns = $4 - $2; runs = $5 - $3; printf "%s %.1f %d\n", $1, runs ? ns / runs : 0, runs }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }'; }

declare -A ns runs
for r in $(seq "$rounds"); do
	while read -r name n c; do ns[$name]+="$n " runs[$name]=$c; done < <(
		one_round '^empty_' "$B/bench/empty_loader" "$B/bench/empty_$hook.bpf.o"
		if [[ $families == *" charges "* ]]; then
			one_round '^charges_' "$B/memsight" stream --charge-hook "$hook" --fault-hook off --interval 1s
		fi
		if [[ $families == *" faults "* ]]; then
			one_round '^faults_' "$B/memsight" stream --fault-hook "$hook" --charge-hook stat --interval 1s
			one_round '^faults_perf' "$B/memsight" stream --fault-hook perf_event --charge-hook stat --interval 1s
		fi
	)
done
pages=$((mib * 1024 * 1024 / $(getconf PAGESIZE 2>/dev/null || echo 4096)))
echo "$hook on $(uname -r) $(uname -m), $rounds rounds of $mib MiB ($pages pages): ns per run, median (all rounds); runs in the last round, per page"
for name in $(printf '%s\n' "${!ns[@]}" | sort); do
	printf '  %-30s %8s ns  (%s)  %s runs, %s per page\n' "$name" \
		"$(tr ' ' '\n' <<<"${ns[$name]}" | grep . | median)" "${ns[$name]% }" "${runs[$name]}" \
		"$(awk -v r="${runs[$name]}" -v p=$pages 'BEGIN { printf "%.2f", r / p }')"
done
