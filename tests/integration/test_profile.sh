#!/bin/bash
# memsight profile end to end. Each answer is known by construction or read by
# another tool:
#  - fault_ratio faults three pages in fault_three_pages() for each one in
#    fault_one_page(): the profile must name both in 3:1 within 15% (sampling
#    noise at ~5000 samples is about 2%; the rest is slack for a busy machine), and
#    together they must hold at least 90% of the samples (main, _start and libc
#    fault a few pages too). Checked in the folded output, and in the pprof file as
#    `go tool pprof -top` reads it, whose total must equal memsight's own count.
#    Once with the x86 tracepoints and once with the perf_event fallback (arm64's).
#  - a Go program's growRecordCache (frame pointers by default) is named.
#  - a static binary that exists only in a docker container's file system resolves.
#  - --cgroup over a container running two processes: both, with the container's name.
source "$(dirname "$0")/lib.sh"

GO=${GO:-go}
# The kernel matrix's guests (tests/vm) have neither Go nor dockerd: there, the kernel's
# side (both hooks, the ratio, the stacks, signals) is checked; pprof through Go, the Go
# program and the containers run on the host.
IN_VM=${MEMSIGHT_TEST_VM:-0}
export GOCACHE="$WORK/go-cache" GOFLAGS=-mod=mod GO111MODULE=off

# sum_leaf FOLDED FUNCTION: samples of the stacks whose leaf is FUNCTION.
sum_leaf() { awk -v f="$2" '{ n = split($1, fr, ";"); if (fr[n] == f) s += $NF } END { print s + 0 }' "$1"; }
sum_all() { awk '{ s += $NF } END { print s + 0 }' "$1"; }

# ratio_checks WHAT THREE ONE TOTAL: 3:1 within 15%, together at least 90% of TOTAL.
ratio_checks() {
	local what=$1 three=$2 one=$3 total=$4
	if [ "$one" -le 0 ]; then
		not_ok "$what: fault_one_page has no samples (fault_three_pages $three)"
		return
	fi
	within "$what: fault_three_pages : fault_one_page = 3:1 within 15% (x100)" \
		$((three * 100 / one)) 255 345
	within "$what: the two hold at least 90% of $total samples (%)" \
		$(((three + one) * 100 / (total > 0 ? total : 1))) 90 100
}

# The summary's "N of M faults sampled".
sampled_of() { sed -nE 's/.*profile: ([0-9]+) of [0-9]+ faults sampled.*/\1/p' "$1" | tail -1; }

# tag_values KEY: the values `go tool pprof -tags` lists under KEY, one a line.
tag_values() { awk -v k=" $1:" 'index($0, k) == 1 { s = 1; next } /^ [a-z_]+:/ { s = 0 } s && NF { print $NF }'; }

# go tool pprof -top's flat count for FUNCTION (faults, the default sample type).
pprof_flat() { awk -v f="$2" '$NF == f { print $1; exit }' "$1"; }

ratio_case() {
	local hook=$1 pid folded="$WORK/ratio-$1.folded" pb="$WORK/ratio-$1.pb.gz" top three one
	echo "fault_ratio 3:1, --fault-hook $hook"
	"$HELPERS/fault_ratio" 20 >"$WORK/ratio-$hook.pid" &
	BG_PIDS+=($!)
	wait_for 5 test -s "$WORK/ratio-$hook.pid"
	pid=$(cat "$WORK/ratio-$hook.pid")
	# the same process, profiled twice at once: folded on stdout, pprof to a file
	"$MEMSIGHT" profile --pid "$pid" --duration 6s --fault-hook "$hook" >"$folded" 2>"$folded.err" &
	local folded_pid=$!
	"$MEMSIGHT" profile --pid "$pid" --duration 6s --fault-hook "$hook" --output "$pb" 2>"$pb.err"
	expect_eq "profile --output exits 0" $? 0
	wait "$folded_pid"
	expect_eq "profile (folded) exits 0" $? 0
	# minor and major faults of the workload so far (/proc/PID/stat fields 10 and 12)
	local faults
	faults=$(awk '{ sub(/.*\) /, ""); print "minflt " $8 ", majflt " $10 }' "/proc/$pid/stat" 2>/dev/null)
	kill "$pid" 2>/dev/null

	local failures=$FAILURES
	ratio_checks "folded" "$(sum_leaf "$folded" fault_three_pages)" \
		"$(sum_leaf "$folded" fault_one_page)" "$(sum_all "$folded")"
	if [ "$FAILURES" != "$failures" ]; then
		echo "  the heaviest stacks, the summary, the workload's faults ($faults) and memory:"
		grep -E '^(MemTotal|MemAvailable):' /proc/meminfo | sed 's/^/    /'
		awk '{ print $NF, $0 }' "$folded" | sort -rn | head -n 8 | cut -d' ' -f2- | cut -c1-300 | sed 's/^/    /'
		sed 's/^/    /' "$folded.err"
	fi
	check "folded: main is the caller of both (frame pointers walked)" \
		sh -c "grep -q ';main;fault_three_pages ' '$folded' && grep -q ';main;fault_one_page ' '$folded'"
	check "folded: the root frame is the process name" sh -c "! grep -v '^fault_ratio;' '$folded' | grep -q ."

	check "the pprof file is whole gzip" gunzip -t "$pb"
	if [ "$IN_VM" = 1 ]; then
		return # no Go toolchain in the VMs' root file system: the host reads the file
	fi
	top="$WORK/ratio-$hook.top"
	if ! $GO tool pprof -top "$pb" >"$top" 2>"$top.err"; then
		not_ok "go tool pprof reads the file: $(head -3 "$top.err")"
		return
	fi
	ok "go tool pprof reads the file"
	three=$(pprof_flat "$top" fault_three_pages)
	one=$(pprof_flat "$top" fault_one_page)
	ratio_checks "go tool pprof -top" "${three:-0}" "${one:-0}" \
		"$(sed -nE 's/.*Total samples = ([0-9]+).*/\1/p' "$top")"
	expect_eq "go tool pprof's total is memsight's sampled count" \
		"$(sed -nE 's/.*Total samples = ([0-9]+).*/\1/p' "$top")" "$(sampled_of "$pb.err")"
	check "pprof keeps the executable's GNU build ID" \
		grep -q "Build ID: $(readelf -n "$HELPERS/fault_ratio" | sed -nE 's/.*Build ID: ([0-9a-f]+).*/\1/p')" "$top"
}

# Stopped by a signal, no --duration: what was gathered is written, exit 0.
signal_case() {
	local sig=$1 pid out="$WORK/signal-$1.folded" prof
	echo "stopped by SIG$sig"
	"$HELPERS/fault_ratio" 10 >"$WORK/signal-$sig.pid" &
	BG_PIDS+=($!)
	wait_for 5 test -s "$WORK/signal-$sig.pid"
	pid=$(cat "$WORK/signal-$sig.pid")
	"$MEMSIGHT" profile --pid "$pid" >"$out" 2>"$out.err" &
	prof=$!
	sleep 2
	kill -"$sig" "$prof"
	reap "$prof"
	expect_eq "exit status after SIG$sig" "$REAPED_STATUS" 0
	kill "$pid" 2>/dev/null
	check "the profile gathered so far is written" grep -q ';fault_three_pages [0-9]' "$out"
	check "a summary line on stderr (not a terminal: no progress lines)" \
		sh -c "grep -c 'faults sampled' '$out.err' | grep -qx 1 && ! grep -q 'profiling' '$out.err'"
}

# Short-lived processes (0.3 s each, one after another) in a memcg of this test's: their
# maps are read on their first sample (the new-process ring), so their frames are named.
short_lived_case() {
	local dir out="$WORK/short.folded" prof total named
	echo "--cgroup over short-lived processes"
	dir=$(make_memcg short)
	"$MEMSIGHT" profile --cgroup "$PREFIX/short" --duration 8s >"$out" 2>"$out.err" &
	prof=$!
	sleep 1
	for _ in $(seq 15); do
		spawn_in_memcg "$dir" "$HELPERS/fault_ratio" 0.3 >/dev/null
		reap "$SPAWNED_PID"
	done
	reap "$prof"
	expect_eq "profile --cgroup exits 0" "$REAPED_STATUS" 0
	total=$(sum_all "$out")
	named=$(($(sum_leaf "$out" fault_three_pages) + $(sum_leaf "$out" fault_one_page)))
	within "samples whose leaf is named, of $total (%)" $((named * 100 / (total > 0 ? total : 1))) 80 100
	ratio_checks "short-lived" "$(sum_leaf "$out" fault_three_pages)" \
		"$(sum_leaf "$out" fault_one_page)" "$total"
}

# On a terminal (script(1) gives it one): a progress line redrawn each second.
progress_case() {
	local pid out="$WORK/progress.txt"
	echo "progress on a terminal"
	"$HELPERS/fault_ratio" 6 >"$WORK/progress.pid" &
	BG_PIDS+=($!)
	wait_for 5 test -s "$WORK/progress.pid"
	pid=$(cat "$WORK/progress.pid")
	script -qec "'$MEMSIGHT' profile --pid $pid --duration 3s -o '$WORK/progress.pb.gz'" /dev/null >"$out" 2>&1
	kill "$pid" 2>/dev/null
	within "progress lines redrawn in place (\\r, one a second)" \
		"$(grep -o $'\r\e\\[Kmemsight: profiling [0-9]*s: [0-9]* faults seen' "$out" | wc -l)" 2 6
	check "then the summary" grep -q 'faults sampled from 1 processes' "$out"
}

# Bad input: one line on stderr, exit 2.
usage_case() {
	local args
	echo "usage errors"
	for args in "profile" "profile --pid 1 --cgroup /" "profile --pid x" "profile --pid 1 --rate 0" \
		"profile --pid 1 --format svg"; do
		# shellcheck disable=SC2086
		"$MEMSIGHT" $args >/dev/null 2>"$WORK/usage.err"
		expect_eq "memsight $args: exit 2" $? 2
		expect_eq "memsight $args: one line" "$(wc -l <"$WORK/usage.err")" 1
	done
	"$MEMSIGHT" profile --pid 4194000 >/dev/null 2>"$WORK/nopid.err"
	expect_eq "a process that is not there: exit 1" $? 1
	check "... and it says /proc can't show it" grep -q "can't read /proc/4194000/maps" "$WORK/nopid.err"
}

# Faults taken in the kernel (read() into fresh pages) carry the syscall's kernel stack,
# without the tracing frames (the BPF program, bpf_trace_run, perf's event path).
kernel_stack_case() {
	local hook=$1 pid out="$WORK/kernel-$1.folded"
	echo "kernel-mode faults, --fault-hook $hook"
	cat >"$WORK/kread.py" <<-'EOF'
		import mmap, os, sys, time
		print(os.getpid(), flush=True)
		fd, m = os.open("/dev/zero", os.O_RDONLY), mmap.mmap(-1, 4 << 20)
		end = time.time() + float(sys.argv[1])
		while time.time() < end:
		    os.readv(fd, [m])
		    m.madvise(mmap.MADV_DONTNEED)
	EOF
	python3 "$WORK/kread.py" 8 >"$WORK/kread-$hook.pid" &
	BG_PIDS+=($!)
	wait_for 5 test -s "$WORK/kread-$hook.pid"
	pid=$(cat "$WORK/kread-$hook.pid")
	"$MEMSIGHT" profile --pid "$pid" --duration 2s --fault-hook "$hook" >"$out" 2>"$out.err"
	kill "$pid" 2>/dev/null
	check "the readv syscall's kernel path, leaf last: ...;do_syscall_64_[k];...;read_iter_zero_[k];..." \
		grep -q 'do_syscall_64_\[k\];.*read_iter_zero_\[k\]' "$out"
	check "no tracing frames (bpf_*, perf_*, __traceiter_*) in kernel stacks" \
		sh -c "! grep -Eq ';(__?_?bpf|__?_?perf|__traceiter)_[^;]*_\[k\]' '$out'"
}

go_case() {
	local pid out="$WORK/go.folded" total named
	echo "a Go program's allocating function"
	if ! $GO build -o "$WORK/goalloc" "$ROOT/tests/integration/goalloc.go" 2>"$WORK/go-build.err"; then
		not_ok "go build goalloc.go: $(head -3 "$WORK/go-build.err")"
		return
	fi
	"$WORK/goalloc" >"$WORK/go.pid" &
	BG_PIDS+=($!)
	wait_for 5 test -s "$WORK/go.pid"
	pid=$(cat "$WORK/go.pid")
	"$MEMSIGHT" profile --pid "$pid" --duration 4s >"$out" 2>"$out.err"
	expect_eq "profile exits 0" $? 0
	kill "$pid" 2>/dev/null
	total=$(sum_all "$out")
	named=$(awk '$1 ~ /;main\.growRecordCache;/ || $1 ~ /;main\.growRecordCache$/ { s += $NF } END { print s + 0 }' "$out")
	within "main.growRecordCache is on the stack of most samples (% of $total)" \
		$((named * 100 / (total > 0 ? total : 1))) 80 100
	check "Go's runtime frames named too (runtime.mallocgc)" grep -q 'runtime\.mallocgc' "$out"
}

# An image holding only the static fault_ratio at a path the host doesn't have.
build_faulter_image() {
	local dir="$WORK/faulter-image"
	mkdir -p "$dir/app" "$dir/bin" "$dir/proc" "$dir/dev" "$dir/sys"
	cp "$HELPERS/fault_ratio-static" "$dir/app/memsight-test-faulter"
	cp /bin/busybox "$dir/bin/busybox"
	printf 'FROM scratch\nCOPY . /\n' >"$dir/Dockerfile"
	$DOCKER build -q -t memsight-test-faulter "$dir" >/dev/null 2>"$WORK/faulter-image.err"
}

docker_case() {
	local name="memsight-profile-$$" pid out="$WORK/docker.folded"
	echo "a process in a docker container, its binary only in the container"
	if ! ensure_dockerd; then
		not_ok "dockerd started (log: $(tail -3 "$WORK/dockerd.log" 2>/dev/null))"
		return 1
	fi
	check "image built" build_faulter_image
	check "the binary is not on the host" test ! -e /app/memsight-test-faulter
	$DOCKER run -d --network none --name "$name" memsight-test-faulter \
		/app/memsight-test-faulter 30 >/dev/null 2>"$WORK/docker-run.err"
	pid=$($DOCKER inspect -f '{{.State.Pid}}' "$name" 2>/dev/null)
	if [ -z "$pid" ] || [ "$pid" = 0 ]; then
		not_ok "container started: $(head -2 "$WORK/docker-run.err")"
		return 1
	fi
	"$MEMSIGHT" profile --pid "$pid" --duration 4s >"$out" 2>"$out.err"
	expect_eq "profile exits 0" $? 0
	ratio_checks "container process" "$(sum_leaf "$out" fault_three_pages)" \
		"$(sum_leaf "$out" fault_one_page)" "$(sum_all "$out")"
	$DOCKER rm -f "$name" >/dev/null 2>&1
}

cgroup_case() {
	local name="memsight-profile-two-$$" id cg pb="$WORK/cgroup.pb.gz" tags="$WORK/cgroup.tags" pids p
	echo "--cgroup over a container with two processes"
	$DOCKER run -d --network none --name "$name" --entrypoint /bin/busybox memsight-test-faulter \
		sh -c '/app/memsight-test-faulter 30 & exec /app/memsight-test-faulter 30' \
		>/dev/null 2>"$WORK/docker-run2.err"
	id=$($DOCKER inspect -f '{{.Id}}' "$name" 2>/dev/null)
	p=$($DOCKER inspect -f '{{.State.Pid}}' "$name" 2>/dev/null)
	if [ -z "$id" ] || [ -z "$p" ] || [ "$p" = 0 ]; then
		not_ok "container started: $(head -2 "$WORK/docker-run2.err")"
		return
	fi
	# its memory cgroup, as the kernel names it (v1: the memory line; v2: the 0:: line)
	cg=$(awk -F: '$2 == "memory" || ($1 == "0" && $2 == "") { print $3; exit }' "/proc/$p/cgroup")
	wait_for 5 sh -c "[ \$(wc -l <'$MEMCG_ROOT$cg/cgroup.procs') -ge 2 ]"
	pids=$(sort -n "$MEMCG_ROOT$cg/cgroup.procs" | tr '\n' ' ')
	expect_eq "two processes in the container's cgroup" "$(wc -w <<<"$pids")" 2
	"$MEMSIGHT" profile --cgroup "$cg" --duration 4s --output "$pb" 2>"$pb.err"
	expect_eq "profile --cgroup exits 0" $? 0
	$DOCKER rm -f "$name" >/dev/null 2>&1
	if ! $GO tool pprof -tags "$pb" >"$tags" 2>"$tags.err"; then
		not_ok "go tool pprof -tags reads the file: $(head -3 "$tags.err")"
		return
	fi
	for p in $pids; do
		if tag_values pid <"$tags" | grep -qx "$p"; then
			ok "pid $p has samples (go tool pprof -tags)"
		else
			not_ok "pid $p has samples: go tool pprof -tags lists pids $(tag_values pid <"$tags" | tr '\n' ' ')"
		fi
	done
	expect_eq "every sample is labelled with the container's name" \
		"$(tag_values container <"$tags" | tr '\n' ' ')" "$name "
}

if [ -d /sys/kernel/tracing/events/exceptions/page_fault_user ]; then
	ratio_case tp_btf
else
	skip "--fault-hook tp_btf: no exceptions:page_fault_user tracepoint (x86 only)"
fi
ratio_case perf_event
signal_case INT
signal_case TERM
usage_case
if [ "$IN_VM" = 1 ]; then
	echo "  (in the VM: go tool pprof, the Go program and the containers are the host run's)"
	finish
fi
progress_case
short_lived_case
[ -d /sys/kernel/tracing/events/exceptions/page_fault_user ] && kernel_stack_case tp_btf
kernel_stack_case perf_event
go_case
if docker_case; then
	cgroup_case
fi
finish
