#!/bin/bash
# make vmtest: the integration suite on other kernels, cgroup v2 and arm64, under qemu.
# Each kernel boots with memsight (cross-built for arm64), the tests and the tools they
# use; `memsight features --json` comes back from each into build/vm/results/<kernel>/.
#
# Usage: tests/vm/run.sh [KERNEL...]   (default: every kernel in tests/vm/kernels.list)
#        TESTS="oom cli" limits the integration tests run inside; VM_JOBS=N boots N
#        guests at a time (default 2).
# A KERNEL may carry kernel parameters after '+': bookworm-amd64+possible_cpus=256 boots
# that kernel with them and runs only the tests that concern them (BIG_NODE_TESTS).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
VM=${VM_DIR:-$ROOT/build/vm}
cd "$ROOT" || exit 1

KERNELS=("$@")
[ ${#KERNELS[@]} -gt 0 ] || mapfile -t KERNELS < <(grep -v '^#' "$HERE/kernels.list" | grep .)
GUEST_TESTS=${TESTS:-oom cli lifecycle faults charges pin footprint outlook gauges profile} # the container tests need dockerd: host only
BIG_NODE_TESTS=${TESTS:-faults footprint}
# outlook holds workloads for minutes of emulated time (4 under arm64's TCG, half that
# under x86's): it runs on the oldest kernel (bullseye-amd64, 5.10), the one whose
# figures come from cgroupfs (memory.stat, no cgroup iterator); the host runs it on the
# iterator, and test_gauges checks the iterator's figures on every kernel that has one.
# The others run the rest, their OOM paths checked by test_oom. (TESTS= given: run what
# it names everywhere.)
SKIP_ON_bookworm_arm64=outlook
SKIP_ON_bookworm_amd64=outlook
SKIP_ON_trixie_amd64=outlook
# gauges and profile take the same paths on both arm64 kernels (the cgroup iterator, the
# perf_event fault hook): bookworm-arm64 runs them, and the matrix stays within its time.
SKIP_ON_trixie_arm64="gauges profile outlook"

"$HERE/fetch.sh" $(printf '%s\n' "${KERNELS[@]%%+*}" | sort -u) || exit 1

# tool_path NAME SYSROOT: where a Debian package put NAME (the host is /usr-merged,
# an unpacked sysroot is not).
tool_path() {
	local d
	for d in usr/bin bin usr/sbin sbin; do
		[ -x "$2/$d/$1" ] && { echo "/$d/$1"; return; }
	done
	echo "vmtest: $1 not found in $2" >&2
	return 1
}

# The test helpers the guest tests run.
HELPERS=(hog poke readmap seccomp_deny pin_reader slow_reader fault_ratio)

# Build once per architecture (both arm64 kernels share one cross build), before any
# guest boots: the guests then run side by side without racing on a build tree.
build_for() { # ARCH
	if [ "$1" = arm64 ]; then
		make --no-print-directory ARCH=aarch64 CROSS_SYSROOT="$VM/sysroot-arm64" \
			OUTPUT=build/aarch64 all "${HELPERS[@]/#/build/aarch64/tests/}"
	else
		make --no-print-directory all "${HELPERS[@]/#/build/tests/}"
	fi
}
for arch in $(printf '%s\n' "${KERNELS[@]%%+*}" | sed 's/.*-//' | sort -u); do
	build_for "$arch" || exit 1
done

# run_guest ENTRY: boot one kernel with the tests; its console goes to $VM/ENTRY.log,
# its exit status to $VM/ENTRY.status.
run_guest() {
	local entry=$1 k=${1%%+*} cmdline='' tests=$GUEST_TESTS skip arch build sysroot
	if [ "$entry" != "$k" ]; then
		cmdline=${entry#*+} cmdline=${cmdline//+/ } tests=$BIG_NODE_TESTS
	fi
	skip=SKIP_ON_${k//-/_}
	if [ -z "${TESTS:-}" ] && [ -n "${!skip:-}" ]; then
		tests=$(for t in $tests; do [[ " ${!skip} " == *" $t "* ]] || printf '%s ' "$t"; done)
	fi
	arch=${k##*-} build=build sysroot=/
	if [ "$arch" = arm64 ]; then
		build=build/aarch64 sysroot=$VM/sysroot-arm64
	fi
	# One vCPU: with two, a guest once died in the perf overflow path on a breakpoint
	# left by live kernel text patching (int3 oops), which multi-threaded TCG emulates
	# racily; one vCPU has no cross-CPU code modification to race with.
	# 2 GiB and a 1 GiB ext4 disk at /var/tmp: the working-set and page-cache cases read
	# files of hundreds of MiB through a real block device's page cache.
	local args=(-k "$VM/kernels/$k" -O "$VM/results/$entry" -s "${VM_CPUS:-1}" -A "$cmdline" -M 2048 -d 1024)
	[ "$arch" = arm64 ] && args+=(-S "$sysroot")
	args+=(-b "$build/memsight:/memsight/build/memsight")
	local helper tool path f start status
	for helper in "${HELPERS[@]}"; do
		args+=(-b "$build/tests/$helper:/memsight/build/tests/$helper")
	done
	for tool in bash jq bpftool setpriv capsh date od stat timeout mktemp unshare; do
		path=$(tool_path $tool "$sysroot") || { echo 1 >"$VM/$entry.status"; return; }
		args+=(-b "$path:/usr/bin/$tool")
	done
	for f in tests/report.sh tests/integration/*.sh; do args+=(-f "$f:/memsight/$f"); done
	rm -rf "$VM/results/$entry"
	start=$SECONDS
	"$HERE/boot.sh" "${args[@]}" "$HERE/guest.sh" "$tests" >"$VM/$entry.log" 2>&1
	status=$?
	echo "(vmtest $entry: $((SECONDS - start)) s, boot included)" >>"$VM/$entry.log"
	echo $status >"$VM/$entry.status"
}

# VM_JOBS guests at a time (default 2): each has one vCPU, one emulating host thread,
# so two fill this machine's two cores and halve the matrix's time. Each guest's log is
# printed whole once it ends, not interleaved with the other's.
declare -A RESULT PID_ENTRY
failed=0
report_one() { # wait for one guest to end; print its log
	local pid entry
	wait -n -p pid
	entry=${PID_ENTRY[$pid]}
	echo "== vmtest $entry"
	cat "$VM/$entry.log"
	RESULT[$entry]=$(cat "$VM/$entry.status" 2>/dev/null || echo 1)
	[ "${RESULT[$entry]}" = 0 ] || failed=$((failed + 1))
}
running=0
for entry in "${KERNELS[@]}"; do
	if [ $running -ge "${VM_JOBS:-2}" ]; then
		report_one
		running=$((running - 1))
	fi
	rm -f "$VM/$entry.status"
	run_guest "$entry" &
	PID_ENTRY[$!]=$entry
	running=$((running + 1))
	echo "(vmtest $entry: started, $running running)"
done
while [ $running -gt 0 ]; do
	report_one
	running=$((running - 1))
done

# kernel x feature: what `features --json` said in each VM. oom_kill is the hook memsight
# chose by itself; the three after it say whether each OOM hook attaches when asked for.
hook_cell() { # FILE: the oom_kill hook attached, or why none could be
	if [ -s "$1" ] && jq -e '.hooks[0].status == "attached"' "$1" >/dev/null 2>&1; then
		echo attached
	else
		echo "unavailable: $(sed -E 's/.*can.t (load|attach) BPF programs: ([^:]*).*/\2 (\1)/' "${1%.json}.err" | head -c 70)"
	fi
}
named_cell() { # FEATURE FILE: the feature's hook attached when asked for by name, or why not
	if [ -s "$2" ] && jq -e --arg f "$1" '.hooks[] | select(.feature == $f) | .status == "attached"' "$2" >/dev/null 2>&1; then
		echo attached
	else
		echo "unavailable: $(sed -E 's/.*(can.t (load|attach) BPF programs: [^:]*|not on this kernel).*/\1/' "${2%.json}.err" | head -c 70)"
	fi
}
echo
echo "| kernel | release | arch | oom_kill (auto) | tp_btf | fentry | tracepoint | containers | faults | faults fentry | faults kprobe | charges | charges fentry | charges kprobe | reclaim | gauges | memory controller | tests |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for k in "${KERNELS[@]}"; do
	r=$VM/results/$k f=$VM/results/$k/features.json
	if [ -s "$f" ]; then
		jq -r --arg k "$k" --arg t "$([ "${RESULT[$k]}" = 0 ] && echo pass || echo "FAIL (${RESULT[$k]})")" \
			--arg tp "$(hook_cell "$r/features-tp_btf.json")" --arg fe "$(hook_cell "$r/features-fentry.json")" \
			--arg cl "$(hook_cell "$r/features-tracepoint.json")" \
			--arg ff "$(named_cell faults "$r/features-faults-fentry.json")" --arg fk "$(named_cell faults "$r/features-faults-kprobe.json")" \
			--arg cf "$(named_cell charges "$r/features-charges-fentry.json")" --arg ck "$(named_cell charges "$r/features-charges-kprobe.json")" '
			def cell(name): (.hooks[] | select(.feature == name)) as $h
				| if $h.status != "attached" then "unavailable"
				  elif $h.fallback then "\($h.hook) (fallback)" else $h.hook end;
			"| \($k) | \(.kernel.release) | \(.kernel.machine) | \(cell("oom_kill")) | \($tp) | \($fe) | \($cl) | \(cell("containers")) | \(cell("faults")) | \($ff) | \($fk) | \(cell("charges")) | \($cf) | \($ck) | \(cell("reclaim")) | \(cell("gauges")) | cgroup \(.cgroup.memory_controller) | \($t) |"' "$f"
	else
		echo "| $k | ? | ? | ? | ? | ? | ? | ? | ? | ? | ? | ? | ? | ? | ? | ? | ? | FAIL (${RESULT[$k]}) |"
	fi
done | tee "$VM/results/matrix.md"
[ $failed -eq 0 ]
