#!/bin/bash
# Counting that stays exact: more memcgs over the run than there are counting slots,
# made, faulted, emptied and removed two at a time on both CPUs while a long-lived memcg
# keeps faulting. Every memcg's container_stats faults must add up to its own memory.stat
# pgfault, read after its task exited and before the rmdir: exactly (the memcg's own
# count_memcg_events accounting), or within 2% where faults come from the perf events.
source "$(dirname "$0")/lib.sh"

CHURN=${CHURN:-5000}

# sums FILE: "NAME FAULTS ANON_CHARGED ANON_UNCHARGED" per cgroup under PREFIX/churn
sums() {
	jq -r --arg p "$PREFIX/churn/" 'select(.type == "container_stats" and (.cgroup.path // "" | startswith($p)))
		| [(.cgroup.path | ltrimstr($p)), .faults.minor + .faults.major,
		   (.charge.anon.charged_bytes // 0), (.charge.anon.uncharged_bytes // 0)] | @tsv' "$1" |
		awk -F'\t' '{ f[$1] += $2; c[$1] += $3; u[$1] += $4 } END { for (n in f) print n, f[n], c[n], u[n] }' |
		sort
}

churn_case() {
	local out="$WORK/churn.json" kernel="$WORK/kernel.txt" long dir hook slots exact
	echo "churn: $CHURN memcgs made and removed, two at a time, beside a long-lived faulting one"
	dir=$(make_memcg churn)
	long=$(make_memcg long-lived)
	start_memsight "$out" -v || return
	slots=$(jq -r 'select(.type == "agent_stats") | .counting.slots' "$out" | tail -1)
	spawn_in_memcg "$long" sh -c "while :; do '$HELPERS/hog' --max-mib 4 >/dev/null; done"
	local long_pid=$SPAWNED_PID
	"$HELPERS/churn" "$dir" "$CHURN" 2 >"$kernel"
	expect_eq "the churn ran ($CHURN memcgs)" $? 0
	kill -TERM $long_pid
	reap $long_pid
	# the loop's last hog may still be exiting: wait until the memcg is empty
	wait_for 10 sh -c "[ ! -s '$long/cgroup.procs' ]"
	sleep 2.5 # the kernel's periodic stat flush (2 s): memory.stat is exact after it
	local long_faults
	long_faults=$(stat_of "$long" pgfault)
	stop_memsight
	hook=$(jq -r 'select(.type == "container_stats") | .faults.source' "$out" | sort -u | head -1)
	exact=1
	[ "$hook" = "tp_btf/count_memcg_events" ] || exact=0
	echo "  (faults via $hook, $slots slots per counting array; agent_stats at the end: $(jq -c 'select(.type == "agent_stats") | {lost: .events.lost_total, counting}' "$out" | tail -1))"
	expect_eq "every churned memcg reported" "$(sums "$out" | grep -c '^c')" "$(wc -l <"$kernel")"
	# NAME KERNEL_FAULTS REPORTED_FAULTS CHARGED UNCHARGED
	join <(awk '{ print $1, $2 }' "$kernel" | sort) <(sums "$out") >"$WORK/joined.txt"
	local off leaked total
	if [ $exact = 1 ]; then
		off=$(awk '$2 != $3' "$WORK/joined.txt" | wc -l)
		expect_eq "memcgs whose faults differ from memory.stat pgfault" "$off" 0
	else
		off=$(awk '$3 < $2 * 0.98 || $3 > $2 * 1.02 + 2' "$WORK/joined.txt" | wc -l)
		expect_eq "memcgs whose faults differ from pgfault by over 2% (perf events: not the memcg's own count)" "$off" 0
	fi
	awk '$2 != $3 { print "    " $0 }' "$WORK/joined.txt" | head -5
	total=$(awk '{ s += $2 } END { print s }' "$kernel")
	expect_eq "faults over all churned memcgs (memory.stat total)" "$(awk '{ s += $3 } END { print s }' "$WORK/joined.txt")" "$total"
	if jq -r 'select(.type == "container_stats") | .charge.source // empty' "$out" | head -1 | grep -q tp_btf; then
		leaked=$(awk '$4 != $5' "$WORK/joined.txt" | wc -l)
		expect_eq "churned memcgs whose anon charged != anon uncharged" "$leaked" 0
		awk '$4 != $5 { print "    " $0 }' "$WORK/joined.txt" | head -5
	else
		skip "anon charged = uncharged: no memcg:mod_memcg_state tracepoint on $(uname -r) (charges from memory.stat)"
	fi
	local long_reported
	long_reported=$(jq -s --arg p "$PREFIX/long-lived" '[.[] | select(.type == "container_stats" and .cgroup.path == $p) | .faults.minor + .faults.major] | add // 0' "$out")
	if [ $exact = 1 ]; then
		expect_eq "the long-lived memcg's faults = its pgfault" "$long_reported" "$long_faults"
	else
		within "the long-lived memcg's faults within 2% of its pgfault ($long_faults)" "$long_reported" $((long_faults * 98 / 100)) $((long_faults * 102 / 100 + 2))
	fi
	local retired ids reused
	retired=$(jq -s '[.[] | select(.type == "agent_stats") | .counting.slots_retired_total] | max' "$out")
	# the memcg id of each churned memcg, from memsight's -v log of the cgroups it saw made
	jq -r --arg p "$PREFIX/churn/" 'select(.type == "container_stats" and (.cgroup.path // "" | startswith($p))) | .cgroup.id' "$out" |
		sort -u >"$WORK/ids.txt"
	grep -o 'cgroup [0-9]* made: memcg id [0-9]*' "$out.err" | awk '{ print $2, $6 }' | sort -k1,1 |
		join - "$WORK/ids.txt" >"$WORK/memcg-ids.txt"
	ids=$(awk '{ print $2 }' "$WORK/memcg-ids.txt" | sort -u | wc -l)
	reused=$(($(wc -l <"$WORK/memcg-ids.txt") - ids))
	echo "  ($(wc -l <"$WORK/memcg-ids.txt") churned memcgs used $ids distinct memcg ids: $reused reuses; $retired slots retired and released for reuse)"
	check "memcg ids were reused during the churn" test "$reused" -gt 0
	check "slots were retired and reused ($retired)" test "$retired" -gt 0
	expect_eq "no counts lost to a full overflow table" "$(jq -s '[.[] | select(.type == "agent_stats") | .counting.lost_total] | max' "$out")" 0
}

# Every program memsight holds is in agent_stats (there were more than 10 with samples).
programs_case() {
	local out="$WORK/programs.json" listed loaded
	echo "agent_stats lists every program memsight holds"
	start_memsight "$out" --fault-samples 5 || return
	sleep 0.5
	loaded=$(grep -h '^prog_id:' /proc/"$MEMSIGHT_PID"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u | wc -l)
	stop_memsight
	listed=$(jq -s '[.[] | select(.type == "agent_stats")] | last | .bpf.programs | length' "$out")
	check "memsight holds programs ($loaded)" test "$loaded" -gt 0
	expect_eq "programs in agent_stats = programs in /proc/PID/fdinfo" "$listed" "$loaded"
}

# --fault-hook is kept when --fault-samples is on.
fault_hook_case() {
	local h features
	echo "--fault-hook with --fault-samples"
	features=$("$MEMSIGHT" features --json --fault-samples 5 2>/dev/null)
	if ! jq -e '.hooks[] | select(.feature == "fault_samples") | .status == "attached"' <<<"$features" >/dev/null; then
		skip "fault samples on $(uname -r) $(uname -m): no exceptions:page_fault_user tracepoint"
		return
	fi
	for h in perf_event off; do
		features=$("$MEMSIGHT" features --json --fault-samples 5 --fault-hook $h)
		case $h in
		perf_event) check_jq_line "--fault-hook perf_event: faults by perf events" '.hooks[] | select(.feature == "faults") | .hook | startswith("perf_event")' "$features" ;;
		off) check_jq_line "--fault-hook off: no fault counting" '.hooks[] | select(.feature == "faults") | .status == "unavailable"' "$features" ;;
		esac
	done
}

# After a stall (SIGSTOP), the interval a line covers is the time it really took.
stall_case() {
	local out="$WORK/stall.json" dir line kernel reported
	echo "a 3 s stall: the next lines say how long they cover"
	dir=$(make_memcg stall)
	start_memsight "$out" || return
	spawn_in_memcg "$dir" "$HELPERS/hog" --max-mib 512 --delay-ms 500
	local hog=$SPAWNED_PID
	kill -STOP "$MEMSIGHT_PID"
	sleep 3
	kill -CONT "$MEMSIGHT_PID"
	reap $hog
	sleep 2.5 # memory.stat is exact after the kernel's periodic flush
	kernel=$(stat_of "$dir" pgfault)
	stop_memsight
	line=$(jq -c --arg p "$PREFIX/stall" 'select(.type == "container_stats" and .cgroup.path == $p)' "$out" |
		jq -s -c 'max_by(.interval_ns)')
	check_jq_line "a line after the stall covers it (interval_ns >= 2.5 s)" '.interval_ns >= 2500000000' "$line"
	check_jq_line "and its growth rate is per real second (< 1 GiB/s for 512 MiB)" '.growth_bytes_per_sec == null or .growth_bytes_per_sec < 1073741824' "$line"
	reported=$(jq -s --arg p "$PREFIX/stall" '[.[] | select(.type == "container_stats" and .cgroup.path == $p) | .faults.minor + .faults.major] | add' "$out")
	if jq -r 'select(.type == "container_stats") | .faults.source' "$out" | grep -q count_memcg_events; then
		expect_eq "faults across the stall = memory.stat pgfault" "$reported" "$kernel"
	else
		within "faults across the stall within 2% of memory.stat pgfault ($kernel)" "$reported" $((kernel * 98 / 100)) $((kernel * 102 / 100 + 2))
	fi
}

churn_case
stall_case
programs_case
fault_hook_case
finish
