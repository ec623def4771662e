#!/bin/bash
# Page faults per container, counted in the kernel, against the memcg's own accounting
# (memory.stat pgfault / pgmajfault) over the same window.
source "$(dirname "$0")/lib.sh"

MIB=$((1 << 20))
# getconf is not in the test VMs: the kernel's page size from smaps serves as well.
PAGE=$(getconf PAGESIZE 2>/dev/null || awk '/^KernelPageSize:/ { print $2 * 1024; exit }' /proc/self/smaps)
check "page size known ($PAGE)" test "${PAGE:-0}" -gt 0


# sum_faults FILE PATH FIELD: the sum of faults.FIELD over the cgroup's container_stats lines
sum_faults() {
	jq -s --arg p "$2" --arg f "$3" '[.[] | select(.type == "container_stats" and .cgroup.path == $p) | .faults[$f]] | add // 0' "$1"
}

# minor_case HOOK: a workload touching a known number of distinct pages.
minor_case() {
	local hook=$1 rel="kubepods/burstable/pod-faults/minor-$1" dir out="$WORK/minor-$1.json"
	local mib=400 pages before after kernel minor major
	echo "minor faults with --fault-hook $hook: a workload touching a known number of pages"
	dir=$(make_memcg "$rel")
	start_memsight "$out" --fault-hook "$hook" || return
	pages=$((mib * MIB / PAGE)) # 102,400 distinct 4 KiB pages; the workload asks for no huge pages
	before=$(stat_of "$dir" pgfault)
	spawn_in_memcg "$dir" "$HELPERS/hog" --max-mib $mib
	reap $SPAWNED_PID
	expect_eq "workload finished" "$REAPED_STATUS" 0
	after=$(stat_of "$dir" pgfault)
	sleep 0.6 # three intervals: the last deltas are out
	stop_memsight
	kernel=$((after - before))
	minor=$(sum_faults "$out" "$PREFIX/$rel" minor)
	major=$(sum_faults "$out" "$PREFIX/$rel" major)
	within "reported minor faults >= the $pages pages touched" "$minor" "$pages" $((pages * 2))
	within "minor+major within 2% of memory.stat pgfault delta ($kernel)" $((minor + major)) $((kernel * 98 / 100)) $((kernel * 102 / 100))
	check_jq "faults.source names the hook asked for ($hook)" -s --arg h "$hook/" '[.[] | select(.type == "container_stats") | .faults.source] | length > 0 and all(startswith($h))' "$out"
	check_jq "container_stats carries memory usage" -s --arg p "$PREFIX/$rel" '[.[] | select(.type == "container_stats" and .cgroup.path == $p) | .memory.usage_bytes] | all(. != null)' "$out"
}

# major_case HOOK: a file read through mmap with its page cache dropped.
major_case() {
	local hook=$1 rel="kubepods/burstable/pod-faults/major-$1" dir out="$WORK/major-$1.json"
	local file file_dir=/var/tmp fs fs_ok before after kernel major
	echo "major faults with --fault-hook $hook: a file read through mmap, page cache dropped"
	fs=$(stat -f -c %T "$file_dir" 2>/dev/null || echo none)
	# A block-backed file system is needed: tmpfs pages never come from disk.
	case $fs in none | tmpfs | ramfs | rootfs) fs_ok=0 ;; *) fs_ok=1 ;; esac
	if [ $fs_ok = 0 ]; then
		skip "major faults: $file_dir is $fs; no block-backed file system here (the test VMs run from an initramfs)"
		return
	fi
	file=$(mktemp "$file_dir/memsight-faults.XXXXXX")
	head -c $((64 * MIB)) /dev/urandom >"$file"
	dir=$(make_memcg "$rel")
	start_memsight "$out" --fault-hook "$hook" || return
	before=$(stat_of "$dir" pgmajfault)
	spawn_in_memcg "$dir" "$HELPERS/readmap" "$file"
	reap $SPAWNED_PID
	expect_eq "reader finished" "$REAPED_STATUS" 0
	after=$(stat_of "$dir" pgmajfault)
	sleep 0.6
	stop_memsight
	rm -f "$file"
	kernel=$((after - before))
	major=$(sum_faults "$out" "$PREFIX/$rel" major)
	check "the kernel saw major faults ($kernel)" test "$kernel" -gt 100
	within "major faults within 5% of memory.stat pgmajfault delta ($kernel)" "$major" $((kernel * 95 / 100)) $((kernel * 105 / 100))
}

# Fault samples under a storm: the rate holds node-wide, the excess is counted.
sampling_case() {
	local rate=25 rel="kubepods/burstable/pod-faults/sampled" dir out="$WORK/samples.json" pid
	echo "fault samples: --fault-samples $rate under a storm"
	"$MEMSIGHT" features --json --fault-samples $rate >"$WORK/samples-features.json"
	if ! jq -e '.hooks[] | select(.feature == "fault_samples") | .status == "attached"' "$WORK/samples-features.json" >/dev/null 2>&1; then
		skip "fault samples on $(uname -r) $(uname -m): $(jq -r '.hooks[] | select(.feature == "fault_samples") | .reason' "$WORK/samples-features.json" 2>/dev/null | head -c 300)"
		return
	fi
	dir=$(make_memcg "$rel")
	# Node-wide budget: every sample counts, whoever faulted, so no --cgroup filter here.
	"$MEMSIGHT" stream --interval 200ms --fault-samples $rate >"$out" 2>"$out.err" &
	MEMSIGHT_PID=$!
	BG_PIDS+=("$MEMSIGHT_PID")
	wait_for 20 grep -q '"type":"agent_stats"' "$out"
	spawn_in_memcg "$dir" "$HELPERS/hog" --comm sampled --max-mib 400
	pid=$SPAWNED_PID
	reap $pid
	sleep 0.5
	stop_memsight
	# The kernel counts per wall-clock second with the clock offset the lines are dated
	# with. The agent moves that offset only when the clock steps (1 ms or more, NTP's
	# slewing included); samples taken just before a move can be dated across the
	# boundary: one slot's budget (a tenth of the rate, rounded up) of slack, no more.
	check_jq "no second holds more than $rate samples (+3 at second boundaries)" -s --argjson n $rate '[.[] | select(.type == "fault_sample") | .ts[0:19]] | group_by(.) | map(length) | all(. <= $n + 3)' "$out"
	check_jq "the storm was sampled: samples from the workload" -s --argjson p "$pid" '[.[] | select(.type == "fault_sample" and .pid == $p)] | length > 0' "$out"
	# Only samples taken after the exec: the shell faults before it joins the memcg.
	check_jq "the workload's samples name its cgroup" -s --argjson p "$pid" --arg path "$PREFIX/$rel" '[.[] | select(.type == "fault_sample" and .pid == $p and (.comm == "hog" or .comm == "sampled"))] | length > 0 and all(.cgroup.path == $path and .address > 0)' "$out"
	# Once named, the workload only writes fresh pages: nearly all its faults are user writes
	# (a few reads of its own code and data remain).
	check_jq "the named workload's samples are mostly user-mode writes" -s --argjson p "$pid" '[.[] | select(.type == "fault_sample" and .pid == $p and .comm == "sampled")] | (map(select(.access == "write" and .mode == "user")) | length) >= (length * 0.8)' "$out"
	check_jq "the excess was counted, not silently dropped" -s '[.[] | select(.type == "agent_stats")] | last | .events.samples_suppressed_total > 1000' "$out"
	check_jq "ring buffer losses are reported" -s '[.[] | select(.type == "agent_stats")] | last | .events | has("lost_total")' "$out"
}

# The top faulting processes of a container, checked against the kernel's own
# per-process counter (minflt in /proc/PID/stat).
top_case() {
	local rel="kubepods/burstable/pod-faults/top" dir out="$WORK/top.json" pid minflt listed
	echo "top faulting processes of a container"
	dir=$(make_memcg "$rel")
	start_memsight "$out" || return
	spawn_in_memcg "$dir" "$HELPERS/hog" --comm topper --max-mib 100 --hold --progress "$WORK/top-progress"
	pid=$SPAWNED_PID
	wait_for 20 sh -c "[ \"\$(cat '$WORK/top-progress' 2>/dev/null)\" = $((100 * MIB)) ]"
	sleep 0.6 # the last interval with its faults is out
	minflt=$(awk '{ sub(/.*\) /, ""); print $8 }' /proc/$pid/stat)
	stop_memsight
	kill $pid
	reap $pid
	listed=$(jq -s --argjson p "$pid" '[.[] | select(.type == "container_stats") | .faults.top[] | select(.pid == $p) | .minor] | add // 0' "$out")
	# By pid: a slow machine may read the process before it has renamed itself.
	check_jq "the workload leads its container's top list" -s --argjson p "$pid" --arg path "$PREFIX/$rel" '[.[] | select(.type == "container_stats" and .cgroup.path == $path and (.faults.top | length) > 0)] | (length > 0) and all(.faults.top[0].pid == $p) and any(.faults.top[0].comm == "topper")' "$out"
	within "its listed minor faults add up to its minflt ($minflt)" "$listed" $((minflt * 99 / 100)) $((minflt * 101 / 100 + 1))
}

# Each hook where it attaches; skipped where the kernel lacks what it needs (the reason
# printed). tp_btf needs the memcg tracepoint; fentry and kprobe the function behind it
# (__count_memcg_events, 5.10 to 6.12), fentry also ftrace direct calls (not in Debian's
# arm64 6.1), kprobe a kernel with kprobes (not this host).
HOOKS=()
for hook in tp_btf fentry kprobe perf_event; do
	if "$MEMSIGHT" features --json --fault-hook $hook 2>"$WORK/hook-$hook.err" >"$WORK/hook-$hook.json" &&
		jq -e '.hooks[] | select(.feature == "faults") | .status == "attached"' "$WORK/hook-$hook.json" >/dev/null 2>&1; then
		HOOKS+=($hook)
	else
		skip "--fault-hook $hook on $(uname -r): $(head -c 300 "$WORK/hook-$hook.err")"
	fi
done
# The hook auto must pick, from the kernel's own BTF rather than memsight's probe: the
# tracepoint where it exists, else fentry on the function behind it, else perf_event (also
# where the kernel refuses fentry at attach: kprobes are not picked for faults by auto).
if has_btf TYPEDEF btf_trace_count_memcg_events; then
	auto_hook="tp_btf/count_memcg_events"
elif has_btf FUNC __count_memcg_events &&
	! grep -q "not supported by this kernel (ENOTSUPP)" "$WORK/hook-fentry.err"; then
	auto_hook="fentry/__count_memcg_events"
else
	auto_hook="perf_event/page-faults-min+maj (per CPU)"
fi
expect_eq "auto picks $auto_hook" \
	"$("$MEMSIGHT" features --json | jq -r '.hooks[] | select(.feature == "faults") | .hook')" "$auto_hook"
check "some fault hook attaches" test ${#HOOKS[@]} -gt 0
for hook in ${HOOKS[@]+"${HOOKS[@]}"}; do
	minor_case $hook
	major_case $hook
done
sampling_case
top_case
finish
	before=$(stat_of "$dir" pgmajfault)
	spawn_in_memcg "$dir" "$HELPERS/readmap" "$file"
	reap $SPAWNED_PID
	expect_eq "reader finished" "$REAPED_STATUS" 0
	after=$(stat_of "$dir" pgmajfault)
	sleep 0.6
	stop_memsight
	rm -f "$file"
	kernel=$((after - before))
	major=$(sum_faults "$out" "$PREFIX/$rel" major)
	check "the kernel saw major faults ($kernel)" test "$kernel" -gt 100
	within "major faults within 5% of memory.stat pgmajfault delta ($kernel)" "$major" $((kernel * 95 / 100)) $((kernel * 105 / 100))
fi
finish
