#!/bin/bash
# Runs every integration test (root: they load BPF programs and make cgroups).
# TESTS="oom cli" runs a subset; KEEP_WORK=1 keeps a failed test's files (its memsight logs).
set -u
cd "$(dirname "$0")"

if [ "$(id -u)" -ne 0 ]; then
	echo "integration: needs root (sudo make test)" >&2
	exit 1
fi
# Classic tracepoints (the OOM fallback) attach through tracefs.
if [ ! -d /sys/kernel/tracing/events ]; then
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null ||
		echo "integration: can't mount tracefs; tracepoint-mode tests will fail" >&2
fi

tests=()
if [ -n "${TESTS:-}" ]; then
	for t in $TESTS; do tests+=("test_$t.sh"); done
else
	tests=(test_*.sh)
fi

failed=()
for t in "${tests[@]}"; do
	echo "== ${t%.sh}"
	start=$SECONDS
	if ! bash "$t"; then
		failed+=("${t%.sh}")
	fi
	echo "(${t%.sh}: $((SECONDS - start)) s)" # where a suite's time goes, in CI's log
done
echo "integration: $((${#tests[@]} - ${#failed[@]})) of ${#tests[@]} test files passed${failed:+; failed: ${failed[*]}}"
[ ${#failed[@]} -eq 0 ]
