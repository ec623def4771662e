#!/bin/bash
# The agent's memory and start-up with N memcgs on the node: N real memcgs at docker's
# cgroupfs paths (as bench/top_refresh.sh makes them), then `memsight stream` and
# `memsight run --listen 127.0.0.1:0`, each alone. Per command: peak RSS (VmHWM, start-up
# included), VmRSS and its RssAnon/RssFile/RssShmem split, and private RSS
# (Private_Clean + Private_Dirty of /proc/PID/smaps_rollup) after SETTLE seconds; then
# the wall time from exec to the first agent_stats line with --interval 10ms (start-up to
# attached, plus the name walk and one 10 ms interval), ROUNDS runs, median.
# Usage: sudo bench/memory.sh [N] (default 1000); BIN=, SETTLE= (10), ROUNDS= (7).
set -eu
cd "$(dirname "$0")/.."
n=${1:-1000}
bin=${BIN:-build/memsight}
settle=${SETTLE:-10}
rounds=${ROUNDS:-7}
root=/sys/fs/cgroup/memory
grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null && root=/sys/fs/cgroup
base="/memsight-bench-memory-$$"
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	find "$root$base" -depth -type d -exec rmdir {} + 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$root$base/docker"
for i in $(seq 1 "$n"); do
	mkdir "$root$base/docker/$(printf '%064x' "$i")"
done
echo "memcgs on the node: $(find "$root" -type d | wc -l) ($n of them this bench's), $bin"

# kib FIELD FILE: the value of a "Field:  N kB" line
kib() { awk -v f="$1:" '$1 == f { print $2 }' "$2"; }

# memory_of ARGS...: starts memsight ARGS, lets it settle, prints one line of figures.
memory_of() {
	"$bin" "$@" >/dev/null 2>"$tmp/err" &
	pid=$!
	sleep "$settle"
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "memsight $* exited early: $(cat "$tmp/err")" >&2
		exit 1
	fi
	cp /proc/$pid/status "$tmp/status"
	cp /proc/$pid/smaps_rollup "$tmp/rollup"
	kill "$pid"
	wait "$pid" || true
	pid=
	printf '%-32s peak %6s  rss %6s (anon %6s file %6s shmem %4s)  private %6s KiB\n' \
		"$*" "$(kib VmHWM "$tmp/status")" "$(kib VmRSS "$tmp/status")" \
		"$(kib RssAnon "$tmp/status")" "$(kib RssFile "$tmp/status")" \
		"$(kib RssShmem "$tmp/status")" \
		$(($(kib Private_Clean "$tmp/rollup") + $(kib Private_Dirty "$tmp/rollup")))
}

# first_stats_ms ARGS...: ms from exec to the first agent_stats line on stdout.
first_stats_ms() {
	local start line
	rm -f "$tmp/fifo"
	mkfifo "$tmp/fifo"
	start=$(date +%s%N)
	"$bin" "$@" --interval 10ms >"$tmp/fifo" 2>/dev/null &
	pid=$!
	exec 3<"$tmp/fifo"
	while IFS= read -r -u 3 line; do
		case $line in *'"type":"agent_stats"'*) break ;; esac
	done
	echo $((($(date +%s%N) - start) / 1000000))
	kill "$pid"
	cat <&3 >/dev/null
	exec 3<&-
	wait "$pid" || true
	pid=
}

for cmd in "stream" "run --listen 127.0.0.1:0"; do
	# shellcheck disable=SC2086 # the command's words
	memory_of $cmd
done
for cmd in "stream" "run --listen 127.0.0.1:0"; do
	# shellcheck disable=SC2086
	times=$(for _ in $(seq "$rounds"); do first_stats_ms $cmd; done | sort -n)
	printf '%-32s exec to first agent_stats (ms, %s runs, sorted): %s; median %s\n' "$cmd" \
		"$rounds" "$(echo $times)" "$(sed -n "$(((rounds + 1) / 2))p" <<<"$times")"
done
