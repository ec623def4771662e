#!/bin/bash
# Working set, time to limit and oom_risk against the kernel's own figures:
# memory.stat (usage minus inactive file) and the time the OOM kill really came.
source "$(dirname "$0")/lib.sh"

MIB=$((1 << 20))
inactive_key() { [ $CGROUP_V2 -eq 1 ] && echo inactive_file || echo total_inactive_file; }
usage_of() {
	if [ $CGROUP_V2 -eq 1 ]; then cat "$1/memory.current"; else cat "$1/memory.usage_in_bytes"; fi
}
block_backed() {
	case $(stat -f -c %T "$1" 2>/dev/null || echo none) in none | tmpfs | ramfs | rootfs) return 1 ;; esac
}
# last_of FILE PATH FIELD: the field of the cgroup's last container_stats line
last_of() {
	jq -s -r --arg p "$2" "[.[] | select(.type == \"container_stats\" and .cgroup.path == \$p)] | last | $3 // empty" "$1"
}
# ws_check NAME DIR RELPATH OUT: memsight's last working set against the kernel's now,
# within 2% of the memcg's usage: a reader's exit after memsight's last line frees its page
# tables and stack (a few hundred KiB), which is most of a page-cache reader's working set
ws_check() {
	local usage kernel mine
	usage=$(usage_of "$2")
	kernel=$((usage - $(stat_of "$2" "$(inactive_key)")))
	mine=$(last_of "$4" "$PREFIX/$3" .memory.working_set_bytes)
	within "$1: working set = usage - $(inactive_key) ($kernel), within 2% of usage" "${mine:-0}" \
		$((kernel - usage / 50)) $((kernel + usage / 50))
}

echo "working set: 200 MiB of anonymous memory held"
anon_dir=$(make_memcg ws/anon $((512 * MIB)))
out="$WORK/ws.json"
start_memsight "$out" || finish
spawn_in_memcg "$anon_dir" "$HELPERS/hog" --max-mib 200 --hold --progress "$WORK/anon-progress"
anon_pid=$SPAWNED_PID
wait_for 30 sh -c "[ \"\$(cat '$WORK/anon-progress' 2>/dev/null)\" = $((200 * MIB)) ]"
if block_backed /var/tmp; then
	echo "working set: a 300 MiB file read into the page cache"
	file=$(mktemp /var/tmp/memsight-outlook.XXXXXX)
	head -c $((300 * MIB)) /dev/urandom >"$file"
	file_dir=$(make_memcg ws/file $((512 * MIB)))
	spawn_in_memcg "$file_dir" "$HELPERS/readmap" "$file"
	reap $SPAWNED_PID
fi
sleep 1
stop_memsight
ws_check "anon" "$anon_dir" ws/anon "$out"
anon=$(last_of "$out" "$PREFIX/ws/anon" .memory.anon_bytes)
within "anon: anon_bytes about the 200 MiB held" "${anon:-0}" $((200 * MIB)) $((208 * MIB))
if [ -n "${file_dir:-}" ]; then
	ws_check "page cache" "$file_dir" ws/file "$out"
	check "page cache: the working set leaves out the inactive cache (under 10% of usage)" \
		test "$(last_of "$out" "$PREFIX/ws/file" .memory.working_set_bytes)" -lt $(($(usage_of "$file_dir") / 10))
	cached=$(last_of "$out" "$PREFIX/ws/file" .memory.file_bytes)
	within "page cache: file_bytes about the 300 MiB read" "${cached:-0}" $((290 * MIB)) $((310 * MIB))
	rm -f "$file"
else
	skip "page-cache working set: no block-backed file system here (the test VMs run from an initramfs)"
fi
check_jq "memory.events: the limit's counters, numbers where the cgroup version keeps them" -s \
	'[.[] | select(.type == "container_stats") | .memory.events.max] | all(type == "number")' "$out"
kill $anon_pid
reap $anon_pid

echo "oom_risk: steady growth toward 256 MiB; a holder at 80%; page cache at its limit"
grow_dir=$(make_memcg risk/grow $((256 * MIB)))
hold_dir=$(make_memcg risk/hold $((256 * MIB)))
# the holder is at its level before memsight looks: holding steady, not growing
spawn_in_memcg "$hold_dir" "$HELPERS/hog" --max-mib 205 --hold --progress "$WORK/hold-progress"
hold_pid=$SPAWNED_PID
wait_for 30 sh -c "[ \"\$(cat '$WORK/hold-progress' 2>/dev/null)\" = $((205 * MIB)) ]"
cache_pid=
if block_backed /var/tmp; then
	big=$(mktemp /var/tmp/memsight-outlook-big.XXXXXX)
	head -c $((400 * MIB)) /dev/urandom >"$big"
	cache_dir=$(make_memcg risk/cache $((256 * MIB)))
	spawn_in_memcg "$cache_dir" sh -c "while :; do cat '$big' >/dev/null; done"
	cache_pid=$SPAWNED_PID
	sleep 3
fi
out="$WORK/risk.json"
start_memsight "$out" --oom-risk-horizon 20s || finish
spawn_in_memcg "$grow_dir" "$HELPERS/hog" --step-ms 100
grow_pid=$SPAWNED_PID
reap $grow_pid
sleep 1
stop_memsight
[ -n "$cache_pid" ] && kill $cache_pid && reap $cache_pid
kill $hold_pid
reap $hold_pid
expect_eq "the grower was OOM-killed (the kernel's count)" "$(oom_kill_count "$grow_dir")" 1
risks=$(jq -s --arg p "$PREFIX/risk/grow" '[.[] | select(.type == "oom_risk" and .cgroup.path == $p)] | length' "$out")
expect_eq "one oom_risk for the grower" "$risks" 1
risk_t=$(jq -s -r --arg p "$PREFIX/risk/grow" '[.[] | select(.type == "oom_risk" and .cgroup.path == $p)][0].ts | sub("\\.[0-9]+Z$"; "Z") | fromdate' "$out")
risk_ns=$(jq -s -r --arg p "$PREFIX/risk/grow" '[.[] | select(.type == "oom_risk" and .cgroup.path == $p)][0].ts | capture("\\.(?<n>[0-9]+)Z$").n' "$out")
kill_t=$(jq -s -r --arg p "$PREFIX/risk/grow" '[.[] | select(.type == "oom_kill" and .cgroup.path == $p)][0].ts | sub("\\.[0-9]+Z$"; "Z") | fromdate' "$out")
kill_ns=$(jq -s -r --arg p "$PREFIX/risk/grow" '[.[] | select(.type == "oom_kill" and .cgroup.path == $p)][0].ts | capture("\\.(?<n>[0-9]+)Z$").n' "$out")
left_ms=$(((kill_t - risk_t) * 1000 + (10#${kill_ns:0:3} - 10#${risk_ns:0:3})))
check "oom_risk at least 10 s before the kill (${left_ms} ms)" test "$left_ms" -ge 10000
said_ms=$(jq -s --arg p "$PREFIX/risk/grow" '[.[] | select(.type == "oom_risk" and .cgroup.path == $p)][0].time_to_limit_s * 1000 | floor' "$out")
within "time_to_limit_s within 35% of the time really left (${left_ms} ms)" "$said_ms" \
	$((left_ms * 65 / 100)) $((left_ms * 135 / 100))
check_jq "oom_risk carries the contract's fields" -s --arg p "$PREFIX/risk/grow" \
	'[.[] | select(.type == "oom_risk" and .cgroup.path == $p)][0] | (.memory.limit_bytes == 268435456) and (.horizon_s == 20) and (.growth_bytes_per_sec > 0) and (.memory.working_set_bytes > 0) and (.container | type == "object")' "$out"
expect_eq "no oom_risk for the holder at 80%" "$(jq -s --arg p "$PREFIX/risk/hold" '[.[] | select(.type == "oom_risk" and .cgroup.path == $p)] | length' "$out")" 0
if [ -n "$cache_pid" ]; then
	expect_eq "no oom_risk for page cache at its limit" "$(jq -s --arg p "$PREFIX/risk/cache" '[.[] | select(.type == "oom_risk" and .cgroup.path == $p)] | length' "$out")" 0
	rm -f "$big"
else
	skip "page cache at its limit: no block-backed file system here (the test VMs run from an initramfs)"
fi

echo "OOM forensics: a 64 MiB memcg, two 8 MiB holders and a grower that is killed"
dir=$(make_memcg forensics $((64 * MIB)))
out="$WORK/forensics.json"
start_memsight "$out" || finish
pids=()
for i in 1 2; do
	spawn_in_memcg "$dir" "$HELPERS/hog" --max-mib 8 --hold --progress "$WORK/hold8-$i"
	pids+=("$SPAWNED_PID")
done
wait_for 10 sh -c "[ \"\$(cat '$WORK/hold8-1' '$WORK/hold8-2' 2>/dev/null | sort -u)\" = $((8 * MIB)) ]"
spawn_in_memcg "$dir" "$HELPERS/hog" --comm forensicgrow --step-ms 50
reap $SPAWNED_PID
sleep 0.5
stop_memsight
kill "${pids[@]}"
for p in "${pids[@]}"; do reap "$p"; done
line=$(jq -c --arg p "$PREFIX/forensics" 'select(.type == "oom_kill" and .cgroup.path == $p)' "$out" | head -1)
expect_eq "the grower was the victim" "$(jq -r .victim.comm <<<"$line")" forensicgrow
expect_eq "tasks: the three processes, largest (the victim) first" \
	"$(jq -r '[.tasks[].comm] | join(",")' <<<"$line")" "forensicgrow,hog,hog"
tasks_match_oom_dump "$line"
expect_eq "memory_stat: the last interval's figures, before the reaper freed the victim" \
	"$(jq -r .memory_stat.read_at <<<"$line")" interval
check_jq_line "memory_stat: read at most an interval and a half before the kill" '.memory_stat.age_s <= 0.3' "$line"
within "memory_stat.anon_bytes is most of the 64 MiB limit" \
	"$(jq -r '.memory_stat.anon_bytes // 0' <<<"$line")" $((48 * MIB)) $((66 * MIB))
within "history: a point per interval of the growth (2.4 s at 200 ms)" \
	"$(jq -r '.history | length' <<<"$line")" 8 60
check_jq_line "history: dated before the kill, oldest first, usage growing to the limit" \
	'(.history | map(.t_s) | (all(. <= 0) and . == sort)) and (.history[-1].usage_bytes > 40 * 1048576)' "$line"

echo "leak_suspect (--leak-window 10s): a leaker, a sawtooth, a page-cache reader, grow-then-hold"
out="$WORK/leak.json"
start_memsight "$out" --leak-window 10s || finish
leak_dir=$(make_memcg leak/leaker $((1024 * MIB)))
saw_dir=$(make_memcg leak/sawtooth $((1024 * MIB)))
hold_dir=$(make_memcg leak/hold $((1024 * MIB)))
pids=()
# keeps 4 MiB a second: 40 MiB a window
spawn_in_memcg "$leak_dir" "$HELPERS/hog" --comm leaker --step-ms 250
leaker_pid=$SPAWNED_PID
pids+=("$SPAWNED_PID")
# 4 MiB a second too, but frees all of it at 24 MiB
spawn_in_memcg "$saw_dir" "$HELPERS/hog" --comm sawtooth --step-ms 250 --free-at 24
pids+=("$SPAWNED_PID")
# 100 MiB at once, then held
spawn_in_memcg "$hold_dir" "$HELPERS/hog" --comm holder --max-mib 100 --hold
pids+=("$SPAWNED_PID")
if block_backed /var/tmp; then
	big=$(mktemp /var/tmp/memsight-outlook-leak.XXXXXX)
	head -c $((200 * MIB)) /dev/urandom >"$big"
	cache_dir=$(make_memcg leak/cache $((1024 * MIB)))
	spawn_in_memcg "$cache_dir" sh -c "while :; do cat '$big' >/dev/null; sleep 1; done"
	pids+=("$SPAWNED_PID")
fi
# two windows and a little: the leaker must be named within them
sleep 25
stop_memsight
kill "${pids[@]}" 2>/dev/null
for p in "${pids[@]}"; do reap "$p"; done
suspects() { jq -s --arg p "$PREFIX/leak/$1" '[.[] | select(.type == "leak_suspect" and .cgroup.path == $p)] | length' "$out"; }
expect_eq "one leak_suspect for the leaker" "$(suspects leaker)" 1
line=$(jq -c --arg p "$PREFIX/leak/leaker" 'select(.type == "leak_suspect" and .cgroup.path == $p)' "$out" | head -1)
expect_eq "the process named is the leaker, by pid" "$(jq -r .process.pid <<<"$line")" "$leaker_pid"
expect_eq "and by comm" "$(jq -r .process.comm <<<"$line")" leaker
within "anon_growth_bytes about 4 MiB/s across the window" "$(jq -r '.anon_growth_bytes' <<<"$line")" $((25 * MIB)) $((45 * MIB))
within "window_s about the 10 s asked" "$(jq -r '.window_s | floor' <<<"$line")" 9 11
expect_eq "no leak_suspect for the sawtooth" "$(suspects sawtooth)" 0
expect_eq "no leak_suspect for grow-then-hold" "$(suspects hold)" 0
if [ -n "${cache_dir:-}" ]; then
	expect_eq "no leak_suspect for the page-cache reader" "$(suspects cache)" 0
	rm -f "$big"
else
	skip "page-cache reader: no block-backed file system here (the test VMs run from an initramfs)"
fi
finish
