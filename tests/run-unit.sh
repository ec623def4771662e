#!/bin/bash
# Runs the cmocka unit test binaries given as arguments and prints a summary.
set -u
groups=0 failed_groups=0 passed=0 failed=0
for bin in "$@"; do
	groups=$((groups + 1))
	out=$("$bin" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ "$rc" -ne 0 ]; then
		failed_groups=$((failed_groups + 1))
		[ -z "$f" ] && failed=$((failed + 1)) # crashed before its summary
	fi
done
echo "unit: $groups groups, $passed tests passed, $failed failed"
[ "$failed_groups" -eq 0 ]
