#!/bin/bash
# Charges per container and kind, and reclaim stalls, against the memcg's own
# accounting (memory.stat) and an independent bpftrace count of the same tracepoint.
source "$(dirname "$0")/lib.sh"

MIB=$((1 << 20))
anon_key() { [ $CGROUP_V2 -eq 1 ] && echo anon || echo rss; }
file_key() { [ $CGROUP_V2 -eq 1 ] && echo file || echo cache; }
# sum_charge FILE PATH KIND FIELD
sum_charge() {
	jq -s --arg p "$2" --arg k "$3" --arg f "$4" '[.[] | select(.type == "container_stats" and .cgroup.path == $p) | .charge[$k][$f]] | add // 0' "$1"
}
# anon_case NAME SOURCE [MEMSIGHT_OPTION...]: 200 MiB allocated, touched, held, freed, with
# charges counted by SOURCE (the hook `features` names).
anon_case() {
	local name=$1 source=$2 rel dir out before held after pid charged uncharged net_held grown
	shift 2
	echo "anon ($name): 200 MiB allocated, touched, held, freed"
	rel="kubepods/burstable/pod-charges/anon-$name"
	dir=$(make_memcg "$rel")
	out="$WORK/anon-$name.json"
	start_memsight "$out" "$@" || return
	before=$(stat_of "$dir" "$(anon_key)")
	spawn_in_memcg "$dir" "$HELPERS/hog" --max-mib 200 --hold --progress "$WORK/anon-progress-$name"
	pid=$SPAWNED_PID
	wait_for 30 sh -c "[ \"\$(cat '$WORK/anon-progress-$name' 2>/dev/null)\" = $((200 * MIB)) ]"
	held=$(stat_of "$dir" "$(anon_key)")
	sleep 2.2 # held across intervals: the lines so far cover the allocation, in every source
	cp "$out" "$WORK/anon-held-$name.json"
	kill $pid
	reap $pid
	sleep 0.6
	after=$(stat_of "$dir" "$(anon_key)")
	stop_memsight
	charged=$(sum_charge "$out" "$PREFIX/$rel" anon charged_bytes)
	uncharged=$(sum_charge "$out" "$PREFIX/$rel" anon uncharged_bytes)
	within "anon charged 200-208 MiB" "$charged" $((200 * MIB)) $((208 * MIB))
	within "anon uncharged 200-208 MiB" "$uncharged" $((200 * MIB)) $((208 * MIB))
	# While held: the net charge of the lines written so far against memory.stat's growth,
	# within 2% (a few pages of the hog's own stack and binary may land either side).
	net_held=$(jq -s --arg p "$PREFIX/$rel" '[.[] | select(.type == "container_stats" and .cgroup.path == $p) | (.charge.anon // {}) | (.charged_bytes // 0) - (.uncharged_bytes // 0)] | add // 0' "$WORK/anon-held-$name.json")
	grown=$((held - before))
	within "net anon charge while held within 2% of memory.stat $(anon_key) growth ($grown)" "$net_held" $((grown * 98 / 100)) $((grown * 102 / 100))
	within "charged - uncharged = memory.stat $(anon_key) change ($((after - before))) within 1 MiB" $((charged - uncharged)) $((after - before - MIB)) $((after - before + MIB))
	check_jq "every line names its charge source: $source" -s --arg s "$source" '[.[] | select(.type == "container_stats") | .charge.source] | length > 0 and all(. == $s)' "$out"
	# Growth is net charge per second: over the lines that grew it adds up to the allocation,
	# however fast the machine allocated it (a rate threshold failed under TCG emulation).
	grown=$(jq -s --arg p "$PREFIX/$rel" '[.[] | select(.type == "container_stats" and .cgroup.path == $p and .growth_bytes_per_sec > 0) | .growth_bytes_per_sec * .interval_ns / 1e9] | add // 0 | floor' "$out")
	within "growth x interval over the growing lines adds up to the 200 MiB allocated" "$grown" $((200 * MIB)) $((216 * MIB))
}

# The source auto must pick, from the kernel's own BTF rather than memsight's probe: the
# memcg tracepoints where they exist, else fentry on the functions behind them; kprobes only
# where the kernel refuses fentry at attach (arm64 without ftrace direct calls; x86_64 has had
# them since 5.5, below memsight's floor); memory.stat deltas only with neither.
"$MEMSIGHT" features --json --charge-hook fentry >"$WORK/fentry-features.json" 2>"$WORK/fentry-features.err"
if has_btf TYPEDEF btf_trace_mod_memcg_state; then
	auto_source="tp_btf/mod_memcg_state + mod_memcg_lruvec_state"
elif ! has_btf FUNC __mod_memcg_state || ! has_btf FUNC __mod_memcg_lruvec_state; then
	auto_source="memory.stat deltas (userspace)"
	echo "# no memcg:mod_memcg_state tracepoint nor __mod_memcg_state/__mod_memcg_lruvec_state in this kernel's BTF: auto has only memory.stat"
elif [ "$(uname -m)" != x86_64 ] &&
	grep -q "can't attach BPF programs: not supported by this kernel (ENOTSUPP)" "$WORK/fentry-features.err"; then
	auto_source="kprobe/__mod_memcg_state + __mod_memcg_lruvec_state"
	echo "# this kernel refuses fentry at attach (ENOTSUPP: no ftrace direct calls): auto has kprobes"
else
	auto_source="fentry/__mod_memcg_state + __mod_memcg_lruvec_state"
fi
anon_case auto "$auto_source"
# No kernel hook (what a kernel with neither the memcg tracepoints nor function hooks gets)
anon_case stat "memory.stat deltas (userspace)" --charge-hook stat
# The kprobe fallback (where fentry is refused): skipped only where memsight offers no kprobe
# hook (a kernel with the tracepoints or without the functions) or where the kernel has no
# kprobes at all; any other failure is a failure.
kprobe_features=$("$MEMSIGHT" features --json --charge-hook kprobe 2>"$WORK/kprobe-features.err")
if jq -e '.hooks[] | select(.feature == "charges") | .status == "attached"' <<<"$kprobe_features" >/dev/null 2>&1; then
	anon_case kprobe "kprobe/__mod_memcg_state + __mod_memcg_lruvec_state" --charge-hook kprobe
elif grep -q -- "--charge-hook kprobe: not on this kernel" "$WORK/kprobe-features.err"; then
	skip "anon (kprobe): no kprobe charge hook on this kernel: $(head -c 200 "$WORK/kprobe-features.err")"
elif [ ! -e /sys/bus/event_source/devices/kprobe ]; then
	skip "anon (kprobe): this kernel has no kprobe PMU (/sys/bus/event_source/devices/kprobe)"
else
	not_ok "anon (kprobe): the kprobe charge hook failed: $(head -c 300 "$WORK/kprobe-features.err")"
fi

echo "file: a 100 MiB file read with a cold cache"
if ! block_backed /var/tmp; then
	skip "file charges: no block-backed file system here (the test VMs run from an initramfs)"
else
	file=$(mktemp /var/tmp/memsight-charges.XXXXXX)
	head -c $((100 * MIB)) /dev/urandom >"$file"
	rel="kubepods/burstable/pod-charges/file"
	dir=$(make_memcg "$rel")
	out="$WORK/file.json"
	start_memsight "$out" || finish
	before=$(stat_of "$dir" "$(file_key)")
	# readmap drops the file's cached pages first (POSIX_FADV_DONTNEED), then reads it
	spawn_in_memcg "$dir" "$HELPERS/readmap" "$file"
	reap $SPAWNED_PID
	sleep 0.6
	after=$(stat_of "$dir" "$(file_key)")
	stop_memsight
	charged=$(sum_charge "$out" "$PREFIX/$rel" file charged_bytes)
	uncharged=$(sum_charge "$out" "$PREFIX/$rel" file uncharged_bytes)
	delta=$((after - before))
	check "memory.stat $(file_key) grew by about the file ($delta)" test $delta -gt $((90 * MIB))
	within "file charged - uncharged within 5% of memory.stat $(file_key) change" $((charged - uncharged)) $((delta * 95 / 100)) $((delta * 105 / 100))
	rm -f "$file"
fi

echo "reclaim: 256 MiB of file data through a 64 MiB limit"
if ! block_backed /var/tmp; then
	skip "reclaim: no block-backed file system here (page cache can't be reclaimed from tmpfs)"
elif ! command -v bpftrace >/dev/null && [ -n "${MEMSIGHT_TEST_VM:-}" ]; then
	skip "reclaim: the test VMs carry no bpftrace, the independent count (the host runs this case)"
elif ! command -v bpftrace >/dev/null; then
	not_ok "bpftrace is not installed (make deps installs it)"
else
	file=$(mktemp /var/tmp/memsight-reclaim.XXXXXX)
	head -c $((256 * MIB)) /dev/urandom >"$file"
	rel="kubepods/burstable/pod-charges/reclaim"
	dir=$(make_memcg "$rel" $((64 * MIB)))
	out="$WORK/reclaim.json"
	# A reader with a name of its own, so the independent count can filter on it.
	cp "$HELPERS/readmap" "$WORK/msreclaimer"
	bpftrace -e 'tracepoint:vmscan:mm_vmscan_memcg_reclaim_end, tracepoint:vmscan:mm_vmscan_direct_reclaim_end /comm == "msreclaimer"/ { @n = count(); }' >"$WORK/bpftrace.out" 2>&1 &
	bt=$!
	BG_PIDS+=("$bt")
	wait_for 30 grep -qs Attaching "$WORK/bpftrace.out"
	start_memsight "$out" || finish
	spawn_in_memcg "$dir" "$WORK/msreclaimer" "$file"
	reap $SPAWNED_PID
	expect_eq "reader finished" "$REAPED_STATUS" 0
	sleep 0.6
	stop_memsight
	kill -INT $bt
	wait $bt 2>/dev/null
	independent=$(sed -n 's/^@n: \([0-9]*\)/\1/p' "$WORK/bpftrace.out")
	count=$(jq -s --arg p "$PREFIX/$rel" '[.[] | select(.type == "container_stats" and .cgroup.path == $p) | .reclaim.count] | add // 0' "$out")
	stall=$(jq -s --arg p "$PREFIX/$rel" '[.[] | select(.type == "container_stats" and .cgroup.path == $p) | .reclaim.stall_ns] | add // 0' "$out")
	check "reclaim happened (bpftrace counted ${independent:-0})" test "${independent:-0}" -gt 10
	within "reclaim count within 5% of bpftrace's ($independent)" "$count" $((${independent:-0} * 95 / 100)) $((${independent:-0} * 105 / 100 + 1))
	check "non-zero stall time ($stall ns)" test "$stall" -gt 0
	check_jq "histogram counts add up to the count, buckets ordered" -s --arg p "$PREFIX/$rel" '[.[] | select(.type == "container_stats" and .cgroup.path == $p and .reclaim.count > 0) | .reclaim] | all((.histogram | map(.count) | add) == .count and (.histogram | map(.le_ns)) == (.histogram | map(.le_ns) | sort))' "$out"
	rm -f "$file"
fi
finish
