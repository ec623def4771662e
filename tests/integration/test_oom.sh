#!/bin/bash
# OOM kills end to end: a real memcg with a 64 MiB limit at a kubelet-style path, a
# process that allocates until the kernel kills it, and memsight's oom_kill line
# checked against the kernel's own counters and the workload's known size.
source "$(dirname "$0")/lib.sh"

MIB=$((1 << 20))
LIMIT=$((64 * MIB))
POD_UID=4f1c7d2e-9a3b-4c5d-8e6f-0a1b2c3d4e5f
CONTAINER_ID=9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c

# Which OOM hooks this kernel offers: each is tried alone, as `features` does.
# hook_source HOOK: the "source" an oom_kill line from that hook carries.
hook_source() {
	case $1 in
	auto) jq -r '.hooks[0].hook | split(" ")[0]' "$WORK/features-auto.json" ;;
	*) jq -r '.hooks[0].hook | split(" ")[0]' "$WORK/features-$1.json" ;;
	esac
}
hook_available() {
	"$MEMSIGHT" features --json --oom-hook "$1" >"$WORK/features-$1.json" 2>"$WORK/features-$1.err"
}

# kill_once HOOK COMM_HEX EXPECTED_COMM: one OOM kill, every field of its line checked.
kill_once() {
	local hook=$1 comm_hex=$2 comm=$3
	local rel="kubepods/burstable/pod$POD_UID/$CONTAINER_ID-$hook"
	local dir out="$WORK/stream-$hook.json" before after pid line lines

	echo "oom_kill with --oom-hook $hook, comm $(printf '%q' "$comm")"
	dir=$(make_memcg "$rel" $LIMIT)
	start_memsight "$out" --oom-hook "$hook" || return
	before=$(oom_kill_count "$dir")

	local started_ns ended_ns
	started_ns=$(date +%s%N)
	spawn_in_memcg "$dir" "$HELPERS/hog" --comm-hex "$comm_hex" --progress "$WORK/progress-$hook"
	pid=$SPAWNED_PID
	reap $pid
	ended_ns=$(date +%s%N)
	expect_eq "workload was killed by SIGKILL" "$REAPED_STATUS" 137
	after=$(oom_kill_count "$dir")
	expect_eq "kernel's oom_kill counter for the memcg went up by one" $((after - before)) 1

	wait_for 10 grep -q '"type":"oom_kill"' "$out"
	sleep 0.5 # a second line, if memsight wrongly produced one, has time to arrive
	stop_memsight
	lines=$(grep -c '"type":"oom_kill"' "$out")
	expect_eq "exactly one oom_kill line" "$lines" 1
	line=$(grep '"type":"oom_kill"' "$out" | head -1)
	check_jq_line "the line parses with jq" . "$line"

	expect_eq "victim.pid" "$(jq -r .victim.pid <<<"$line")" "$pid"
	# Compare bytes: jq -j prints the decoded name without a trailing newline.
	expect_eq "victim.comm round-trips" "$(jq -j .victim.comm <<<"$line" | od -An -tx1 | tr -d ' \n')" "$comm_hex"
	expect_eq "cgroup.path" "$(jq -r .cgroup.path <<<"$line")" "$PREFIX/$rel"
	expect_eq "cgroup.id is the directory's inode" "$(jq -r .cgroup.id <<<"$line")" "$(stat -c %i "$dir")"
	expect_eq "constraint" "$(jq -r .constraint <<<"$line")" memcg
	expect_eq "constraint_cgroup is the victim's memcg" "$(jq -r .constraint_cgroup.path <<<"$line")" "$PREFIX/$rel"
	expect_eq "memcg.limit_bytes" "$(jq -r .memcg.limit_bytes <<<"$line")" $LIMIT
	if [ "$(jq -r .memcg.read_at <<<"$line")" == kill ]; then
		# The charge that failed was at most a huge page short of the limit.
		within "memcg.usage_bytes within 4 MiB of the limit" "$(jq -r .memcg.usage_bytes <<<"$line")" $((LIMIT - 4 * MIB)) $LIMIT
	else
		# Read at the victim's exit: the OOM reaper may already have freed some.
		within "memcg.usage_bytes at the victim's exit, at most the limit" "$(jq -r .memcg.usage_bytes <<<"$line")" 0 $LIMIT
	fi
	# The workload reports what it had touched; the step it died in adds at most 1 MiB,
	# and the C runtime's own anonymous pages well under 1 MiB more.
	local touched anon
	touched=$(cat "$WORK/progress-$hook")
	anon=$(jq -r .victim.rss_anon_bytes <<<"$line")
	if [ "$anon" == null ] && ! grep -q anon_rss /sys/kernel/tracing/events/oom/mark_victim/format; then
		skip "victim rss: this kernel's oom:mark_victim record carries no rss fields (they came with the task argument)"
	else
		within "victim.rss_anon_bytes matches what it touched" "$anon" "$touched" $((touched + 2 * MIB))
		within "victim.total_vm_bytes covers its mappings" "$(jq -r .victim.total_vm_bytes <<<"$line")" "$touched" $((touched + 16 * MIB))
		within "victim.pgtables_bytes plausible for 64 MiB" "$(jq -r .victim.pgtables_bytes <<<"$line")" 4096 $((1 * MIB))
	fi
	expect_eq "victim.uid" "$(jq -r .victim.uid <<<"$line")" "$(id -u)"
	expect_eq "trigger is the allocating process" "$(jq -r .trigger.pid <<<"$line")" "$pid"
	expect_eq "trigger.cgroup.path" "$(jq -r .trigger.cgroup.path <<<"$line")" "$PREFIX/$rel"
	expect_eq "source names the hook" "$(jq -r .source <<<"$line")" "$(hook_source "$hook")"
	check_jq_line "common fields: v, RFC 3339 ts, node" '.v == 1 and (.ts | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{9}Z$")) and (.node | length > 0)' "$line"
	# The kill happened while the workload ran: between its start and its reaping (ms).
	local ts_ms=$(($(date -d "$(jq -r .ts <<<"$line")" +%s%N) / 1000000))
	within "ts between the workload's start and its end (ms)" "$ts_ms" $((started_ns / 1000000 - 1)) $((ended_ns / 1000000 + 1))
}

# A limit on the pod, none on the container: the constraint is the pod's memcg.
kill_under_pod_limit() {
	local pod="kubepods/burstable/podlimit-$POD_UID" dir out="$WORK/stream-pod.json" line pid
	echo "oom_kill under a pod-level limit"
	make_memcg "$pod" $LIMIT >/dev/null
	dir=$(make_memcg "$pod/$CONTAINER_ID")
	start_memsight "$out" || return
	spawn_in_memcg "$dir" "$HELPERS/hog" --comm podhog
	pid=$SPAWNED_PID
	reap $pid
	wait_for 10 grep -q '"type":"oom_kill"' "$out"
	stop_memsight
	line=$(grep '"type":"oom_kill"' "$out" | head -1)
	expect_eq "victim.pid" "$(jq -r .victim.pid <<<"$line")" "$pid"
	expect_eq "constraint" "$(jq -r .constraint <<<"$line")" memcg
	expect_eq "constraint_cgroup.path is the pod" "$(jq -r .constraint_cgroup.path <<<"$line")" "$PREFIX/$pod"
	expect_eq "constraint_cgroup.id is the pod's inode" "$(jq -r .constraint_cgroup.id <<<"$line")" "$(stat -c %i "$MEMCG_ROOT$PREFIX/$pod")"
	expect_eq "constraint_cgroup.limit_bytes" "$(jq -r .constraint_cgroup.limit_bytes <<<"$line")" $LIMIT
	expect_eq "the container's own memcg has no limit" "$(jq -r .memcg.limit_bytes <<<"$line")" null
}

# Cgroup names are chosen by whoever makes them: quotes, backslashes, spaces and control
# bytes must come out escaped and round-trip through a JSON parser. (The kernel itself
# refuses a newline in a cgroup name.)
kill_in_strange_cgroup() {
	local name rel dir out="$WORK/stream-strange.json" line
	name=$(printf 'we"ird\\ na\tme\033[31m line \xc3\xa9')
	rel="kubepods/$name"
	echo "oom_kill in a cgroup named $(printf '%q' "$name")"
	dir=$(make_memcg "$rel" $LIMIT)
	check "the strange cgroup exists" test -d "$dir"
	start_memsight "$out" || return
	spawn_in_memcg "$dir" "$HELPERS/hog" --comm strange
	reap $SPAWNED_PID
	wait_for 10 grep -q '"type":"oom_kill"' "$out"
	stop_memsight
	check_jq "every line is one JSON object" . "$out"
	line=$(grep '"type":"oom_kill"' "$out" | head -1)
	expect_eq "cgroup.path round-trips byte for byte" "$(jq -j .cgroup.path <<<"$line" | od -An -tx1 | tr -d ' \n')" "$(printf '%s' "$PREFIX/$rel" | od -An -tx1 | tr -d ' \n')"
	expect_eq "cgroup.id is the directory's inode" "$(jq -r .cgroup.id <<<"$line")" "$(stat -c %i "$dir")"
}

# The trigger outside the memcg: a process elsewhere writes into the victim's memory
# through /proc/PID/mem, so the charges (and the OOM) are the victim memcg's.
kill_by_remote_charge() {
	local hook=$1 rel="kubepods/burstable/pod$POD_UID/remote-$1" dir out="$WORK/stream-remote-$1.json"
	local pid poke_pid line addr len
	echo "oom_kill by a remote charge (trigger outside the memcg), --oom-hook $hook"
	dir=$(make_memcg "$rel" $LIMIT)
	start_memsight "$out" --oom-hook "$hook" || return
	spawn_in_memcg "$dir" "$HELPERS/hog" --comm target --max-mib 1 --reserve-mib 128 --address-file "$WORK/addr-$hook" --hold
	pid=$SPAWNED_PID
	wait_for 10 test -s "$WORK/addr-$hook"
	read -r addr len <"$WORK/addr-$hook"
	"$HELPERS/poke" "$pid" "$addr" "$len" &
	poke_pid=$!
	reap "$pid"
	expect_eq "victim was killed" "$REAPED_STATUS" 137
	wait "$poke_pid" 2>/dev/null
	wait_for 10 grep -q '"type":"oom_kill"' "$out"
	stop_memsight
	line=$(grep '"type":"oom_kill"' "$out" | head -1)
	# memsight's last words (its record and loss counts) when the line is missing
	check "an oom_kill line ($(tail -c 300 "$out.err" | tr '\n' ' '))" test -n "$line"
	expect_eq "victim.pid" "$(jq -r .victim.pid <<<"$line")" "$pid"
	expect_eq "trigger is the remote writer" "$(jq -r .trigger.pid <<<"$line")" "$poke_pid"
	check_jq_line "trigger's cgroup is not the victim's" '.trigger.cgroup.id != .cgroup.id' "$line"
	expect_eq "constraint" "$(jq -r .constraint <<<"$line")" memcg
	expect_eq "constraint_cgroup is the victim's memcg" "$(jq -r .constraint_cgroup.path <<<"$line")" "$PREFIX/$rel"
}

# quote, backslash, newline, escape byte: a name a workload is free to choose
HOSTILE_HEX=61226222635c0a641b65
HOSTILE=$(printf 'a"b"c\\\nd\033e')

# Hooks that read the victim at the kill; kernels offer one, the other or both.
AT_KILL=()
for hook in tp_btf fentry; do
	if hook_available $hook; then
		AT_KILL+=($hook)
	else
		skip "--oom-hook $hook on $(uname -r): $(head -c 300 "$WORK/features-$hook.err")"
	fi
done
check "a hook reads the victim at the kill (tp_btf or fentry)" test ${#AT_KILL[@]} -gt 0
check "the classic tracepoint fallback attaches" hook_available tracepoint
hook_available auto
for hook in ${AT_KILL[@]+"${AT_KILL[@]}"}; do kill_once $hook 686f67 hog; done
kill_once auto $HOSTILE_HEX "$HOSTILE"
kill_once tracepoint $HOSTILE_HEX "$HOSTILE"
kill_under_pod_limit
kill_in_strange_cgroup
for hook in ${AT_KILL[@]+"${AT_KILL[@]}"} tracepoint; do kill_by_remote_charge $hook; done
finish
