#!/bin/bash
# The log pipeline for real: `memsight stream` piped into syslog-ng (Debian's
# syslog-ng-core) running the configuration the README shows
# (tests/integration/syslog-ng-memsight.conf) in the foreground, with its own persist, pid
# and control files (the machine's system logger is not touched). Two real OOM kills in
# memcgs this test makes, one with a hostile comm and cgroup name; the records syslog-ng
# writes are read back field by field and compared with memsight's own line, the kernel's
# OOM kill count and what the test knows of the workload (its comm, its memcg, the limit).
source "$(dirname "$0")/lib.sh"

CONF=$ROOT/tests/integration/syslog-ng-memsight.conf
MIB=$((1 << 20))
LIMIT=$((64 * MIB))
# quote, quote, backslash, newline, escape byte: a name a workload is free to choose
HOSTILE_COMM_HEX=61226222635c0a641b65
# the kernel refuses a newline and a slash in a cgroup name, nothing else
HOSTILE_CGROUP=$(printf 'we"ird\\ na\tme\033[31m \xc3\xa9')

hex() { od -An -tx1 | tr -d ' \n'; }

# same_bytes DESCRIPTION HEX EXPECTED_HEX SHOWN
same_bytes() {
	if [ "$2" == "$3" ]; then ok "$1 ($4)"; else not_ok "$1: got hex $2, expected $3"; fi
}

# shipper STATE_DIR LOG_DIR: syslog-ng as the test runs it, reading its standard input.
# Called in a subshell (a pipeline, &), which it becomes: its pid is syslog-ng's.
shipper() {
	mkdir -p "$1" "$2"
	MEMSIGHT_LOG_DIR=$2 exec syslog-ng -F --no-caps -f "$CONF" \
		-R "$1/persist" -p "$1/pid" -c "$1/ctl"
}

# exited_within SECONDS PID: waits for PID to end; its status in EXIT_STATUS.
exited_within() {
	if wait_for "$1" sh -c "! kill -0 $2 2>/dev/null"; then
		{ wait "$2"; } 2>/dev/null
		EXIT_STATUS=$?
		return 0
	fi
	EXIT_STATUS=timeout
	return 1
}

# The configuration on canned lines first: a line that is not JSON and one cut short go to
# rejected.log (so an empty one later means something), a 200 KiB line (past syslog-ng's
# 64 KiB default: the configuration's log-msg-size lets it through) is parsed whole, and
# null numbers leave their field out.
config_on_canned_lines() {
	local logs=$WORK/canned-logs long
	echo "the configuration on canned lines"
	check "syslog-ng --syntax-only accepts $(basename "$CONF")" \
		syslog-ng --syntax-only --no-caps -f "$CONF"
	long=$(head -c $((200 * 1024)) /dev/zero | tr '\0' x)
	{
		echo 'not json'
		echo '{"v":1,"type":"oom_kill","victim":{"pid":1'
		printf '{"v":1,"type":"oom_kill","memcg":{"usage_bytes":5,"limit_bytes":null},"victim":{"comm":"%s"}}\n' "$long"
	} | shipper "$WORK/canned-state" "$logs" 2>"$WORK/canned.err"
	expect_eq "syslog-ng exits 0 at the end of its input" "$?" 0
	expect_eq "both malformed lines rejected" "$(cat "$logs/rejected.log" 2>/dev/null)" \
		"$(printf 'not json\n{"v":1,"type":"oom_kill","victim":{"pid":1')"
	expect_eq "the 200 KiB line parsed whole" \
		"$(jq -r '.victim_comm | length' "$logs/oom-kills.json" 2>/dev/null)" $((200 * 1024))
	check_jq "a null limit leaves memcg_limit_bytes out, usage stays a number" \
		'(has("memcg_limit_bytes") | not) and .memcg_usage_bytes == 5' "$logs/oom-kills.json"
}

# start_pipeline: memsight -> tee (memsight's own lines, to compare) -> syslog-ng.
start_pipeline() {
	LOGS=$WORK/logs
	mkfifo "$WORK/to-tee" "$WORK/to-shipper"
	shipper "$WORK/syslog-ng" "$LOGS" <"$WORK/to-shipper" 2>"$WORK/syslog-ng.err" &
	SHIPPER_PID=$!
	tee "$WORK/memsight.json" <"$WORK/to-tee" >"$WORK/to-shipper" &
	TEE_PID=$!
	"$MEMSIGHT" stream --interval 200ms --cgroup "$PREFIX" >"$WORK/to-tee" 2>"$WORK/memsight.err" &
	MEMSIGHT_PID=$!
	BG_PIDS+=("$MEMSIGHT_PID" "$TEE_PID" "$SHIPPER_PID")
	if ! wait_for 20 grep -qs '"type":"agent_stats"' "$WORK/memsight.json"; then
		not_ok "memsight attached (stderr: $(head -c 500 "$WORK/memsight.err"))"
		return 1
	fi
	check "syslog-ng running" kill -0 "$SHIPPER_PID"
}

# kill_in NAME COMM_HEX: one OOM kill of the hog named COMM_HEX in a new memcg NAME with
# a 64 MiB limit; KILLED_PID[NAME] and KILLED_DIR[NAME] say which, KERNEL_KILLS adds the
# kernel's own count.
declare -A KILLED_PID KILLED_DIR
KERNEL_KILLS=0
kill_in() {
	local dir before after
	dir=$(make_memcg "$1" $LIMIT)
	before=$(oom_kill_count "$dir")
	spawn_in_memcg "$dir" "$HELPERS/hog" --comm-hex "$2"
	reap "$SPAWNED_PID"
	expect_eq "workload in $(printf '%q' "$1") killed by SIGKILL" "$REAPED_STATUS" 137
	after=$(oom_kill_count "$dir")
	expect_eq "the kernel counted one OOM kill in it" $((after - before)) 1
	KERNEL_KILLS=$((KERNEL_KILLS + after - before))
	KILLED_PID[$1]=$SPAWNED_PID
	KILLED_DIR[$1]=$dir
}

stop_pipeline() {
	kill -TERM "$MEMSIGHT_PID"
	exited_within 10 "$MEMSIGHT_PID"
	expect_eq "memsight exits 0 on SIGTERM" "$EXIT_STATUS" 0
	exited_within 10 "$TEE_PID"
	# End of input: syslog-ng writes what it holds and exits by itself.
	exited_within 15 "$SHIPPER_PID"
	expect_eq "syslog-ng exits 0 when memsight's stream ends" "$EXIT_STATUS" 0
	[ "$EXIT_STATUS" == 0 ] || echo "       syslog-ng: $(head -c 500 "$WORK/syslog-ng.err")"
}

# check_kill NAME COMM_HEX: the record syslog-ng wrote for the kill in memcg NAME.
check_kill() {
	local name=$1 comm_hex=$2 pid=${KILLED_PID[$1]} dir=${KILLED_DIR[$1]} path record line
	path="$PREFIX/$name"
	echo "the kill in $(printf '%q' "$path")"
	record=$(jq -c --arg p "$path" 'select(.cgroup_path == $p)' "$LOGS/oom-kills.json")
	line=$(jq -c --arg p "$path" 'select(.type == "oom_kill" and .cgroup.path == $p)' \
		"$WORK/memsight.json")
	expect_eq "one record for the memcg in oom-kills.json" "$(jq -s length <<<"$record")" 1
	expect_eq "one oom_kill line for it from memsight" "$(jq -s length <<<"$line")" 1
	[ -n "$record" ] && [ -n "$line" ] || return

	# field NAME JQ_OF_RECORD JQ_OF_LINE [EXPECTED]: equal bytes in both, and to EXPECTED.
	# Compared as bytes (hex), shown quoted.
	field() {
		local got want shown
		got=$(jq -j "$2" <<<"$record" | hex)
		want=$(jq -j "$3" <<<"$line" | hex)
		shown=$(printf '%q' "$(jq -j "$2" <<<"$record")")
		same_bytes "$1: syslog-ng's field = memsight's" "$got" "$want" "$shown"
		[ -z "${4:-}" ] ||
			same_bytes "$1: the known value" "$got" "$(printf '%s' "$4" | hex)" "$shown"
	}
	field type .type .type oom_kill
	field victim_comm .victim_comm .victim.comm
	same_bytes "victim_comm: the known value" "$(jq -j .victim_comm <<<"$record" | hex)" \
		"$comm_hex" "$(printf '%q' "$(jq -j .victim_comm <<<"$record")")"
	field victim_pid .victim_pid .victim.pid "$pid"
	field cgroup_path .cgroup_path .cgroup.path "$path"
	field cgroup_id .cgroup_id .cgroup.id "$(stat -c %i "$dir")"
	field memcg_limit_bytes .memcg_limit_bytes .memcg.limit_bytes $LIMIT
	field memcg_usage_bytes .memcg_usage_bytes .memcg.usage_bytes
	field constraint .constraint .constraint memcg
	field constraint_cgroup_path .constraint_cgroup_path .constraint_cgroup.path "$path"
	field trigger_pid .trigger_pid .trigger.pid "$pid"
	field trigger_comm .trigger_comm .trigger.comm
	field victim_rss_anon_bytes .victim_rss_anon_bytes .victim.rss_anon_bytes
	field ts .ts .ts
	field node .node .node
	field container_runtime .container_runtime .container.runtime none
	check_jq_line "numbers are JSON numbers (pid, cgroup id, usage, limit)" \
		'[.victim_pid, .cgroup_id, .memcg_usage_bytes, .memcg_limit_bytes] | map(type) == ["number","number","number","number"]' \
		"$record"
	check_jq_line "memsight's null container name: no container_name field" \
		'has("container_name") | not' "$record"
	check_jq_line "(memsight's container.name is null)" '.container.name == null' "$line"
}

# Everything else memsight wrote is in events.json, nested, one record per line.
check_routing() {
	local lines kills events stats_line stats_record
	echo "routing: every line memsight wrote, once, in the right file"
	check_jq "every record in oom-kills.json is one JSON object" 'type == "object"' "$LOGS/oom-kills.json"
	check_jq "every record in events.json is one JSON object" 'type == "object"' "$LOGS/events.json"
	check "nothing rejected" test ! -s "$LOGS/rejected.log"
	lines=$(wc -l <"$WORK/memsight.json")
	kills=$(wc -l <"$LOGS/oom-kills.json")
	events=$(wc -l <"$LOGS/events.json")
	expect_eq "memsight's lines = oom-kills.json + events.json" "$lines" $((kills + events))
	expect_eq "oom kill records = the kernel's count of kills in the test's memcgs" \
		"$kills" "$KERNEL_KILLS"
	expect_eq "no oom_kill in events.json" "$(jq -s 'map(select(.type == "oom_kill")) | length' "$LOGS/events.json")" 0
	expect_eq "container_stats records = memsight's container_stats lines" \
		"$(jq -s 'map(select(.type == "container_stats")) | length' "$LOGS/events.json")" \
		"$(jq -s 'map(select(.type == "container_stats")) | length' "$WORK/memsight.json")"
	# A container_stats line of the hostile memcg, found by its id and time.
	stats_line=$(jq -c --arg p "$PREFIX/$HOSTILE_CGROUP" \
		'select(.type == "container_stats" and .cgroup.path == $p)' "$WORK/memsight.json" | tail -1)
	stats_record=$(jq -c --argjson l "${stats_line:-null}" \
		'select(.ts == $l.ts and .cgroup.id == ($l.cgroup.id | tostring))' "$LOGS/events.json")
	expect_eq "a container_stats record of the hostile memcg: its cgroup.path" \
		"$(jq -j .cgroup.path <<<"$stats_record" | hex)" "$(printf '%s' "$PREFIX/$HOSTILE_CGROUP" | hex)"
	expect_eq "... its memory.limit_bytes (a string: syslog-ng 3.38 keeps no types)" \
		"$(jq -r .memory.limit_bytes <<<"$stats_record")" $LIMIT
	expect_eq "... its faults.minor as memsight wrote it" \
		"$(jq -r .faults.minor <<<"$stats_record")" "$(jq -r .faults.minor <<<"$stats_line")"
}

# The README shows the configuration the test runs, as it is.
readme_shows_config() {
	awk '/^<!-- begin tests\/integration\/syslog-ng-memsight.conf -->$/ { on = 1; next }
		/^<!-- end tests\/integration\/syslog-ng-memsight.conf -->$/ { on = 0 }
		on' "$ROOT/README.md" | sed '1d;$d' | cmp -s - "$CONF"
}
check "README.md shows $(basename "$CONF") as it is" readme_shows_config

if ! command -v syslog-ng >/dev/null; then
	not_ok "syslog-ng installed (Debian's syslog-ng-core: sudo make deps)"
	finish
fi
config_on_canned_lines
echo "memsight stream | tee | syslog-ng, two OOM kills"
if start_pipeline; then
	kill_in api-worker 6a617661 # "java"
	kill_in "$HOSTILE_CGROUP" $HOSTILE_COMM_HEX
	wait_for 10 sh -c "[ \$(grep -c '\"type\":\"oom_kill\"' '$WORK/memsight.json') -ge 2 ]"
	sleep 0.5 # a container_stats line after the kills, and a third kill line if one were wrong
	stop_pipeline
	check_kill api-worker 6a617661
	check_kill "$HOSTILE_CGROUP" $HOSTILE_COMM_HEX
	check_routing
fi
finish
