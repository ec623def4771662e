#!/bin/bash
# `memsight run --pin DIR`: the raw event ring buffer and the counting maps pinned in
# bpffs, the ring buffer read by a separate process with plain libbpf and the raw record
# layout (bpf/memsight.h, installed as memsight/records.h), checked against the kernel's
# own count of the kill and the victim's pid and memcg.
source "$(dirname "$0")/lib.sh"

MIB=$((1 << 20))
echo "memsight run --pin: a separate process reads the raw OOM record with plain libbpf"
BPFFS=/sys/fs/bpf
if ! awk -v m=$BPFFS '$2 == m && $3 == "bpf" { found = 1 } END { exit !found }' /proc/mounts; then
	mount -t bpf bpf $BPFFS 2>/dev/null || not_ok "bpffs mounted at $BPFFS"
fi
pin="$BPFFS/memsight-test-$$"
mkdir -p "$pin"
"$MEMSIGHT" run --pin "$pin" --listen 127.0.0.1:0 --interval 200ms --cgroup "$PREFIX" >"$WORK/pinned.json" 2>"$WORK/pinned.err" &
MEMSIGHT_PID=$!
BG_PIDS+=($MEMSIGHT_PID)
wait_for 20 grep -q agent_stats "$WORK/pinned.json"
for map in events memcg_slots memcg_overflow reclaim_stats; do
	check "pinned $map" test -e "$pin/$map"
done
check "stderr says who reads the events now" grep -q "whoever reads $pin/events" "$WORK/pinned.err"
# the ring is node-wide: the reader waits for the kill in this test's memcg
"$HELPERS/pin_reader" "$pin" 30 "$PREFIX/pinned-victim" >"$WORK/reader.out" 2>"$WORK/reader.err" &
reader=$!
BG_PIDS+=($reader)
wait_for 10 grep -q '^reading' "$WORK/reader.out"
dir=$(make_memcg pinned-victim $((32 * MIB)))
spawn_in_memcg "$dir" "$HELPERS/hog" --comm pinhog
victim=$SPAWNED_PID
reap $victim
expect_eq "the kernel killed it (memory.oom_control/events)" "$(oom_kill_count "$dir")" 1
reap $reader
expect_eq "the reader got an OOM record" "$REAPED_STATUS" 0
rec=$(grep '^oom ' "$WORK/reader.out" | head -1)
[[ $rec =~ \ version=([0-9]+)\ header=([0-9]+)\  ]]
expect_eq "raw record: the layout version the reader was built for (${BASH_REMATCH[2]:-?})" "${BASH_REMATCH[1]:-none}" "${BASH_REMATCH[2]:-?}"
check "raw record: the victim's pid" grep -q " pid=$victim " <<<"$rec"
check "raw record: its comm" grep -q "comm=pinhog " <<<"$rec"
check "raw record: the memcg's id is its directory's inode" grep -q "cgroup_id=$(stat -c %i "$dir") " <<<"$rec"
check "raw record: the memcg's path" grep -qF "path=$PREFIX/pinned-victim " <<<"$rec"
check "raw record: the limit" grep -q "limit=$((32 * MIB))" <<<"$rec"
sleep 0.6
check "memsight left the kill to the reader (no oom_kill line of its own)" sh -c "! grep -q '\"type\":\"oom_kill\"' '$WORK/pinned.json'"
check_jq "... and kept counting: the victim's faults are in its stream" -s --arg p "$PREFIX/pinned-victim" '[.[] | select(.type == "container_stats" and .cgroup.path == $p) | .faults.minor] | add > 1000' "$WORK/pinned.json"
stop_memsight
check "the pins are gone after it exits" sh -c "[ -z \"\$(ls -A '$pin')\" ]"
rmdir "$pin"

finish
