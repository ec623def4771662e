#!/bin/bash
# How every test script reports (sourced): one line per check, "  ok   ..." or
# "  FAIL ...", counted in CHECKS and FAILURES for the script's summary.
FAILURES=0
CHECKS=0

ok() {
	CHECKS=$((CHECKS + 1))
	echo "  ok   $*"
}

not_ok() {
	CHECKS=$((CHECKS + 1))
	FAILURES=$((FAILURES + 1))
	echo "  FAIL $*"
}

# expect_eq DESCRIPTION ACTUAL EXPECTED
expect_eq() {
	if [ "$2" == "$3" ]; then ok "$1 ($2)"; else not_ok "$1: got '$2', expected '$3'"; fi
}

# within DESCRIPTION VALUE LOW HIGH (integers, inclusive)
within() {
	if [ "$2" -ge "$3" ] 2>/dev/null && [ "$2" -le "$4" ]; then
		ok "$1 ($2 in [$3, $4])"
	else
		not_ok "$1: $2 not in [$3, $4]"
	fi
}

skip() {
	echo "  SKIP $*"
}

