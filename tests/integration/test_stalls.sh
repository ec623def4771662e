#!/bin/bash
# memsight stopped (SIGSTOP: a stuck node, a debugger, a throttled pod) while the kernel
# goes on: what happened meanwhile must arrive afterwards, or be counted as lost.
source "$(dirname "$0")/lib.sh"

KILLS=${KILLS:-150}
MEMSIGHTS=${MEMSIGHTS:-200}

# KILLS OOM kills while memsight is stopped: every one arrives once it runs again.
oom_burst_case() {
	local out="$WORK/burst.json" pids=() dir kernel=0 i
	echo "$KILLS OOM kills while memsight is stopped"
	start_memsight "$out" || return
	kill -STOP "$MEMSIGHT_PID"
	for i in $(seq "$KILLS"); do
		dir=$(make_memcg "burst/k$i" $((8 << 20)))
		spawn_in_memcg "$dir" "$HELPERS/hog" --max-mib 64
		pids+=("$SPAWNED_PID")
	done
	for i in "${pids[@]}"; do reap "$i"; done 2>/dev/null
	for i in $(seq "$KILLS"); do
		kernel=$((kernel + $(oom_kill_count "$MEMCG_ROOT$PREFIX/burst/k$i")))
	done
	sleep 1
	kill -CONT "$MEMSIGHT_PID"
	wait_for 20 sh -c "[ \$(grep -c '\"type\":\"oom_kill\"' '$out') -ge $kernel ]"
	sleep 0.5
	stop_memsight
	expect_eq "the kernel killed one hog per memcg" "$kernel" "$KILLS"
	expect_eq "oom_kill lines after the stall" "$(jq -s --arg p "$PREFIX/burst/" '[.[] | select(.type == "oom_kill" and (.cgroup.path | startswith($p)))] | length' "$out")" "$kernel"
	expect_eq "distinct victims among them" "$(jq -r --arg p "$PREFIX/burst/" 'select(.type == "oom_kill" and (.cgroup.path | startswith($p))) | .cgroup.path' "$out" | sort -u | wc -l)" "$kernel"
	expect_eq "none counted lost" "$(jq -s '[.[] | select(.type == "agent_stats")] | last | .events.oom_kills_lost_total' "$out")" 0
}

# More memcgs made while memsight is stopped than its cgroup ring buffer holds: the lost
# records are noticed and the cgroups named from cgroupfs, so under --cgroup their
# counts are still reported, by name.
lost_names_case() {
	local out="$WORK/names.json" pids=() dir i named lost
	echo "$MEMSIGHTS memcgs made while memsight is stopped (more records than its ring holds)"
	start_memsight "$out" || return
	kill -STOP "$MEMSIGHT_PID"
	for i in $(seq "$MEMSIGHTS"); do
		dir=$(make_memcg "names/n$i")
		spawn_in_memcg "$dir" "$HELPERS/hog" --max-mib 2 --hold
		pids+=("$SPAWNED_PID")
	done
	sleep 1
	kill -CONT "$MEMSIGHT_PID"
	sleep 1.5
	for i in "${pids[@]}"; do kill -TERM "$i" 2>/dev/null; reap "$i"; done
	stop_memsight
	lost=$(jq -s '[.[] | select(.type == "agent_stats")] | last | .events.lost_total' "$out")
	check "records were lost while stopped ($lost): the case is real" test "$lost" -gt 0
	named=$(jq -r --arg p "$PREFIX/names/" 'select(.type == "container_stats" and (.cgroup.path // "" | startswith($p))) | .cgroup.path' "$out" | sort -u | wc -l)
	expect_eq "memcgs whose faults were reported by name" "$named" "$MEMSIGHTS"
}

oom_burst_case
lost_names_case
finish
