#!/bin/bash
# Bad input and missing privileges: exit 2 (usage) or 1 (runtime), one clear line on
# stderr, nothing on stdout, never a crash or a hang.
source "$(dirname "$0")/lib.sh"

# expect_exit DESCRIPTION STATUS STDERR_PATTERN COMMAND...
expect_exit() {
	local what=$1 status=$2 pattern=$3 rc lines
	shift 3
	# -k: a memsight that blocks SIGTERM while it hangs must not hang the test too
	timeout -k 5 20 "$@" >"$WORK/stdout" 2>"$WORK/stderr"
	rc=$?
	lines=$(wc -l <"$WORK/stderr")
	if [ "$rc" -eq "$status" ] && [ "$lines" -eq 1 ] && grep -qE -- "$pattern" "$WORK/stderr" &&
		[ ! -s "$WORK/stdout" ]; then
		ok "$what: exit $rc, $(cat "$WORK/stderr")"
	else
		not_ok "$what: exit $rc (want $status), $lines stderr lines: $(head -c 300 "$WORK/stderr"), stdout $(wc -c <"$WORK/stdout") bytes"
	fi
}

echo "usage errors exit 2"
expect_exit "unknown command" 2 "unknown command 'frobnicate'" "$MEMSIGHT" frobnicate
expect_exit "unknown flag" 2 "unknown option '--frob'" "$MEMSIGHT" stream --frob
expect_exit "--interval banana" 2 "invalid duration 'banana'" "$MEMSIGHT" stream --interval banana
expect_exit "--interval 0s" 2 "greater than zero" "$MEMSIGHT" stream --interval 0s
expect_exit "--duration -5s" 2 "invalid duration '-5s'" "$MEMSIGHT" stream --duration -5s
expect_exit "missing value" 2 "needs a value" "$MEMSIGHT" stream --cgroup
expect_exit "--btf of a missing file" 2 "can't read /nonexistent" "$MEMSIGHT" stream --btf /nonexistent
expect_exit "option for another command" 2 "does not apply" "$MEMSIGHT" stream --json
expect_exit "--fault-samples ' 5'" 2 "--fault-samples: ' 5' is not a number" "$MEMSIGHT" stream --fault-samples " 5"
expect_exit "--fault-samples +5" 2 "--fault-samples: '\+5' is not a number" "$MEMSIGHT" stream --fault-samples +5
expect_exit "-n ' 3'" 2 "--iterations: ' 3' is not a positive number" "$MEMSIGHT" top -n " 3"
# Cut to its 512-byte buffer, the path named another directory and docker went undetected.
long="/$(printf 'h%.0s' $(seq 600))"
expect_exit "--host-root of 601 bytes" 2 "--host-root: the path is 601 bytes long, more than 511" "$MEMSIGHT" stream --host-root "$long"
expect_exit "--docker-root of 601 bytes" 2 "--docker-root: the path is 601 bytes long" "$MEMSIGHT" stream --docker-root "$long"
# A FIFO blocked the open for ever, with SIGTERM blocked: only SIGKILL ended it.
mkfifo "$WORK/fifo.btf"
start=$SECONDS
expect_exit "--btf of a FIFO" 2 "^memsight: --btf: .*/fifo.btf is a FIFO, not a regular file$" "$MEMSIGHT" stream --btf "$WORK/fifo.btf"
within "... refused at once (s)" $((SECONDS - start)) 0 3
expect_exit "--btf /dev/zero" 2 "--btf: /dev/zero is a character device, not a regular file" "$MEMSIGHT" stream --btf /dev/zero
expect_exit "--btf of a directory" 2 "--btf: .* is a directory, not a regular file" "$MEMSIGHT" features --btf "$WORK"

echo "help and version"
check "--help exits 0 and lists stream" sh -c "'$MEMSIGHT' --help | grep -q '^  stream '"
check "help shows every stream option" sh -c "'$MEMSIGHT' help stream | grep -q -- '--cgroup PREFIX'"
check "version" sh -c "'$MEMSIGHT' version | grep -q '^memsight '"
check "version --json parses" sh -c "'$MEMSIGHT' version --json | jq -e '.version | length > 0' >/dev/null"

echo "runtime failures exit 1"
# An unprivileged user: a copy of the binary it may execute.
cp "$MEMSIGHT" "$WORK/memsight" && chmod 755 "$WORK" "$WORK/memsight"
expect_exit "not root" 1 "missing capabilities CAP_BPF and CAP_PERFMON" \
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$WORK/memsight" stream
expect_exit "CAP_BPF alone" 1 "missing capability CAP_PERFMON" \
	capsh --caps="cap_bpf+eip cap_setpcap,cap_setuid,cap_setgid+ep" --keep=1 --user=nobody --addamb=cap_bpf -- -c "exec '$WORK/memsight' stream"
expect_exit "a seccomp filter refusing bpf()" 1 "refused .EPERM. by this process's seccomp filter" \
	"$HELPERS/seccomp_deny" "$MEMSIGHT" stream
# The serving line means ready: a failed --pin says so alone, not after "serving".
expect_exit "--pin outside a bpf file system" 1 "^memsight: --pin: can't pin .*bpf file system" \
	"$MEMSIGHT" run --pin "$WORK" --listen 127.0.0.1:0 --duration 10s

# No kernel BTF: hide /sys/kernel/btf in a private mount namespace.
cp /sys/kernel/btf/vmlinux "$WORK/vmlinux.btf"
expect_exit "no kernel BTF" 1 "kernel BTF not found.*--btf FILE" \
	unshare -m sh -c "mount -t tmpfs none /sys/kernel/btf && exec '$MEMSIGHT' stream --duration 1s"
# --btf serves CO-RE; tp_btf needs the kernel's own BTF, so the classic tracepoints carry it.
unshare -m sh -c "mount -t tmpfs none /sys/kernel/btf && exec '$MEMSIGHT' features --json --btf '$WORK/vmlinux.btf'" >"$WORK/features-btf.json"
check_jq "--btf FILE works without /sys/kernel/btf/vmlinux (classic tracepoints)" \
	--arg btf "$WORK/vmlinux.btf" '.btf == $btf and .hooks[0].status == "attached" and (.hooks[0].hook | startswith("tracepoint/oom/mark_victim")) and (.hooks[0].reason | test("kernel.s own BTF"))' "$WORK/features-btf.json"
head -c 4096 /dev/urandom >"$WORK/garbage.btf"
expect_exit "--btf of a file that isn't BTF" 1 "can't read BTF from" "$MEMSIGHT" stream --btf "$WORK/garbage.btf"

echo "output that can't be written"
expect_exit "stream into a full disk" 1 "can't write to stdout: No space left on device" \
	sh -c "exec '$MEMSIGHT' stream --interval 100ms --duration 2s >/dev/full"
# expect_exit's own stdout check doesn't apply: run these by hand
timeout 20 "$MEMSIGHT" version >/dev/full 2>"$WORK/full.err"
expect_eq "version into a full disk: exit status" $? 1
timeout 20 "$MEMSIGHT" stream --duration 1s >&- 2>"$WORK/closed.err"
expect_eq "stream with stdout closed: exit status" $? 1
check "stream with stdout closed says so" grep -q "stdout is closed" "$WORK/closed.err"

echo "readers that are slow, non-blocking, or leave"
# O_NONBLOCK on the pipe (set by its reader): EAGAIN killed the stream. A full pipe is a
# slow reader: every interval must be there, whole, the intervals adding up to --duration.
"$HELPERS/slow_reader" "$WORK/slow.json" \
	"$MEMSIGHT" stream --interval 100ms --duration 4s --cgroup "$PREFIX" 2>"$WORK/slow.err"
rc=$?
expect_eq "stream into a full non-blocking pipe: exit status ($(head -c 200 "$WORK/slow.err"))" $rc 0
check "... no error" sh -c "! grep -q \"can't write\" '$WORK/slow.err'"
check "... every line is whole JSON" sh -c "jq -e . '$WORK/slow.json' >/dev/null"
within "... agent_stats lines (one per 100 ms but while it waits for room)" \
	"$(grep -c '"type":"agent_stats"' "$WORK/slow.json")" 30 41
within "... their intervals add up to the 4 s duration (ms)" \
	"$(jq -s '[.[] | select(.type == "agent_stats") | .interval_ns] | add / 1e6 | floor' "$WORK/slow.json")" 3900 4200
# A closed pipe ends top --batch as it ends stream (it wrote every interval, unless -n).
into_head 3 "$WORK/head.out" "$MEMSIGHT" top --batch --interval 200ms 2>"$WORK/head.err"
expect_eq "top --batch | head -n 3: memsight's exit status (124: still running after 20 s; $(head -c 200 "$WORK/head.err"))" "$HEAD_STATUS" 0
within "... it ended by itself after the reader closed (ms)" "$HEAD_EXIT_MS" 0 3000
expect_eq "... head got its 3 lines" "$(wc -l <"$WORK/head.out")" 3

echo "features"
"$MEMSIGHT" features --json >"$WORK/features.json"
check_jq "features --json reports an attached oom_kill hook" '.hooks[] | select(.feature == "oom_kill") | .status == "attached"' "$WORK/features.json"
"$MEMSIGHT" features --json --oom-hook tracepoint >"$WORK/features-tp.json"
check_jq "features --oom-hook tracepoint reports the fallback and why" '.hooks[0].fallback and (.hooks[0].reason | test("requested"))' "$WORK/features-tp.json"
finish
