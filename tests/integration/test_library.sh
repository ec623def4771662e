#!/bin/bash
# libmemsight as an outside program uses it: `make install` into a fresh prefix, a
# consumer compiled only against the installed header and `pkg-config --static`, the
# same OOM kill seen by the consumer and by `memsight stream`, a slow callback that
# costs counted losses and not a hang. (`run --pin` is test_pin.sh: it runs in the VMs too.)
source "$(dirname "$0")/lib.sh"

MIB=$((1 << 20))
PFX="$WORK/prefix"

echo "make install PREFIX=... and a consumer built against it"
check "make install" make -s -C "$ROOT" install PREFIX="$PFX"
for f in bin/memsight lib/libmemsight.a include/memsight.h include/memsight/records.h lib/pkgconfig/memsight.pc; do
	check "installs $f" test -f "$PFX/$f"
done
export PKG_CONFIG_PATH="$PFX/lib/pkgconfig"
static_libs=$(pkg-config --libs --static memsight)
for lib in -lmemsight -lbpf -lelf -lz; do
	check "pkg-config --static names $lib" grep -qw -- "$lib" <<<"$static_libs"
done
check "only the API is global in the archive" sh -c "[ \"\$(nm -g --defined-only '$PFX/lib/libmemsight.a' | awk 'NF == 3 { print \$3 }' | sort | tr '\n' ' ')\" = 'memsight_close memsight_event_json memsight_fd memsight_open memsight_poll ' ]"
# shellcheck disable=SC2046
check "the consumer compiles with the installed header and pkg-config alone" \
	cc -Wall -Wextra -Werror -o "$WORK/consumer" "$ROOT/tests/library/consumer.c" $(pkg-config --cflags --libs --static memsight)
[ -x "$WORK/consumer" ] || finish

echo "an OOM kill in a test container, through the callback and through memsight stream"
if ! ensure_dockerd || ! build_hog_image; then
	not_ok "docker and the test image (log: $(tail -3 "$WORK/dockerd.log" "$WORK/image.err" 2>/dev/null))"
else
	name="memsight-lib-$$"
	"$WORK/consumer" --prefix /docker --seconds 25 >"$WORK/consumer.out" 2>"$WORK/consumer.err" &
	consumer=$!
	BG_PIDS+=($consumer)
	"$MEMSIGHT" stream --cgroup /docker --interval 200ms >"$WORK/stream.json" 2>"$WORK/stream.err" &
	MEMSIGHT_PID=$!
	BG_PIDS+=($MEMSIGHT_PID)
	wait_for 20 grep -q '^ready' "$WORK/consumer.out"
	wait_for 20 grep -q agent_stats "$WORK/stream.json"
	$DOCKER run -m 32m --memory-swap 32m --network none --name "$name" memsight-test-hog --comm libhog >/dev/null 2>&1
	expect_eq "the container was OOM-killed (137)" $? 137
	id=$($DOCKER inspect -f '{{.Id}}' "$name")
	$DOCKER rm -f "$name" >/dev/null 2>&1
	check "the callback received the kill" wait_for 10 sh -c "grep '^oom ' '$WORK/consumer.out' | grep -q 'container_id=$id'"
	line=$(grep '^oom ' "$WORK/consumer.out" | grep "container_id=$id" | head -1)
	check "decoded: the victim's comm" grep -q 'comm=libhog ' <<<"$line"
	check "decoded: the container's name and runtime" grep -q "name=$name runtime=docker" <<<"$line"
	check "decoded: a memcg constraint at the 32 MiB limit" grep -q "constraint=memcg limit=$((32 * MIB))" <<<"$line"
	wait_for 10 sh -c "grep '\"type\":\"oom_kill\"' '$WORK/stream.json' | grep -q '$id'"
	stop_memsight
	mine=$(grep '^json ' "$WORK/consumer.out" | grep "$id" | head -1 | cut -c6-)
	theirs=$(grep '"type":"oom_kill"' "$WORK/stream.json" | grep "$id" | head -1)
	check "memsight_event_json's line is valid JSON" sh -c "printf '%s' \"\$1\" | jq -e . >/dev/null" _ "$mine"
	# Two processes date the same kernel timestamp with their own clock offsets: ts may
	# differ by the offsets' jitter. The forensics are each agent's own observations (when it
	# read the memcg, the intervals it saw before the kill): present in both, not equal.
	# Every other byte must match.
	check "... and the line memsight stream printed, but for ts and forensics" test "$(jq -cS 'del(.ts, .memory_stat, .history)' <<<"$mine")" = "$(jq -cS 'del(.ts, .memory_stat, .history)' <<<"$theirs")"
	check "both carry memory_stat and history" sh -c "printf '%s\n%s\n' \"\$1\" \"\$2\" | jq -se 'all(has(\"memory_stat\") and has(\"history\"))' >/dev/null" _ "$mine" "$theirs"
	within "ts within 1 ms of the CLI's" "$(($(date -d "$(jq -r .ts <<<"$mine")" +%s%N) - $(date -d "$(jq -r .ts <<<"$theirs")" +%s%N)))" -1000000 1000000
	kill "$consumer" 2>/dev/null
fi

echo "memsight_close gives everything back"
"$WORK/consumer" --prefix "$PREFIX" --seconds 1 >"$WORK/close.out" 2>"$WORK/close.err"
expect_eq "the consumer ran and exited cleanly" $? 0
# a mapping left behind keeps its map alive in the kernel for the process's lifetime
check "no BPF map still mapped, no BPF fd still open ($(grep '^closed' "$WORK/close.out"))" grep -qx 'closed bpf_mappings=0 bpf_fds=0' "$WORK/close.out"

echo "a callback that sleeps: losses are counted, nothing hangs"
if ! "$MEMSIGHT" features --json --fault-samples 1 | jq -e '.hooks[] | select(.feature == "fault_samples") | .status == "attached"' >/dev/null 2>&1; then
	skip "slow consumer: fault samples need exceptions:page_fault_user (x86, 5.12+): not on $(uname -r) $(uname -m)"
else
	dir=$(make_memcg storm)
	spawn_in_memcg "$dir" sh -c 'while :; do "$0" --max-mib 64; done' "$HELPERS/hog"
	storm=$SPAWNED_PID
	BG_PIDS+=($storm)
	start=$(date +%s%N)
	"$WORK/consumer" --prefix "$PREFIX" --seconds 4 --fault-samples 100000 --sleep-ms 100 >"$WORK/slow.out" 2>"$WORK/slow.err"
	status=$?
	took=$((($(date +%s%N) - start) / 1000000))
	expect_eq "the consumer ran and exited cleanly" $status 0
	within "it returned on time: 4 s asked, ms taken" $took 3900 6000
	last=$(grep '^agent ' "$WORK/slow.out" | tail -1)
	lost=$(sed -n 's/.*lost=\([0-9]*\).*/\1/p' <<<"$last")
	within "the kernel's drops were counted ($last)" "${lost:-0}" 1 1000000000
	within "the slow callback was called" "$(sed -n 's/.*samples=\([0-9]*\).*/\1/p' <<<"$last")" 1 1000000
	# the workload never waited for the consumer: it still finishes 64 MiB runs
	before=$(stat_of "$dir" pgfault)
	sleep 1
	within "the storm kept faulting meanwhile (pgfault per second)" $(($(stat_of "$dir" pgfault) - before)) 1000 1000000000
	kill "$storm" 2>/dev/null
fi

finish
