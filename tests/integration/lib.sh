#!/bin/bash
# Shared helpers for memsight's integration tests (sourced, not run).
# Every test creates its own cgroups under a unique prefix and filters to it:
# the machine runs other workloads.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MEMSIGHT=${MEMSIGHT:-$ROOT/build/memsight}
HELPERS=$ROOT/build/tests
TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "/tmp/memsight-$TEST_NAME.XXXXXX")
PREFIX="/memsight-test-$TEST_NAME-$$"
BG_PIDS=()
source "$ROOT/tests/report.sh"

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# check_jq DESCRIPTION FILTER FILE: passes when jq -e FILTER holds for FILE (one document
# per line; with -s they are slurped into an array first).
check_jq() {
	local what=$1
	shift
	if jq -e "$@" >/dev/null 2>&1; then ok "$what"; else not_ok "$what: jq -e $*"; fi
}

# check_jq_line DESCRIPTION FILTER JSON_TEXT
check_jq_line() {
	# jq 1.6 -e exits 0 on no input at all: an empty line must not pass
	if [ -n "$3" ] && jq -e "$2" >/dev/null 2>&1 <<<"$3"; then
		ok "$1"
	else
		not_ok "$1: jq -e '$2' on ${3:-an empty line}"
	fi
}

# wait_for SECONDS COMMAND...: polls every 0.1 s.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
}

# The memory controller's root: v1 hierarchy here, v2 on most nodes (and in the VMs).
memcg_root() {
	if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
		echo /sys/fs/cgroup
	else
		echo /sys/fs/cgroup/memory
	fi
}
MEMCG_ROOT=$(memcg_root)
if [ "$MEMCG_ROOT" == /sys/fs/cgroup ]; then CGROUP_V2=1; else CGROUP_V2=0; fi

# make_memcg RELPATH [LIMIT_BYTES]: creates PREFIX/RELPATH, prints its directory.
make_memcg() {
	local dir="$MEMCG_ROOT$PREFIX/$1" part path="$MEMCG_ROOT" parts
	if [ $CGROUP_V2 -eq 1 ]; then
		# v2: a controller reaches a child only when every ancestor enables it
		IFS=/ read -ra parts <<<"${PREFIX#/}/$1"
		for part in "${parts[@]}"; do
			echo +memory >"$path/cgroup.subtree_control" 2>/dev/null
			path="$path/$part"
			mkdir -p "$path"
		done
	else
		mkdir -p "$dir"
	fi
	if [ -n "${2:-}" ]; then
		if [ $CGROUP_V2 -eq 1 ]; then
			echo "$2" >"$dir/memory.max"
			echo 0 >"$dir/memory.swap.max" 2>/dev/null
		else
			echo "$2" >"$dir/memory.limit_in_bytes"
			echo 0 >"$dir/memory.swappiness"
		fi
	fi
	echo "$dir"
}

# stat_of DIR KEY: one figure of the memcg's memory.stat.
stat_of() { awk -v k="$2" '$1 == k { print $2 }' "$1/memory.stat"; }

# free_port: a TCP port on 127.0.0.1 nobody listens on (the kernel's pick).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_prometheus PORT CONFIG DATA: a real server on 127.0.0.1:PORT, once it is ready.
start_prometheus() {
	prometheus --config.file="$2" --storage.tsdb.path="$3" --storage.tsdb.retention.time=30d \
		--web.listen-address="127.0.0.1:$1" >"$3.log" 2>&1 &
	BG_PIDS+=($!)
	wait_for 60 sh -c "curl -sf http://127.0.0.1:$1/-/ready >/dev/null"
}

# prometheus_scraping TARGET [NODE]: a real Prometheus scraping TARGET (host:port) every
# second, job "memsight"; with NODE, as the chart's ServiceMonitor does it (the target's
# labels kept, a node label added). Sets PROM_PORT.
prometheus_scraping() {
	PROM_PORT=$(free_port)
	{
		printf 'global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n'
		printf 'scrape_configs:\n  - job_name: memsight\n'
		[ -n "${2:-}" ] && printf '    honor_labels: true\n'
		printf '    static_configs:\n      - targets: ["%s"]\n' "$1"
		[ -n "${2:-}" ] && printf '        labels:\n          node: "%s"\n' "$2"
	} >"$WORK/prometheus.yml"
	start_prometheus "$PROM_PORT" "$WORK/prometheus.yml" "$WORK/prom-data"
}

# promql QUERY: the first result's value from the Prometheus at PROM_PORT, or nothing.
promql() {
	curl -s "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // empty' 2>/dev/null
}

# block_backed DIR: DIR's file system keeps its pages on a disk (tmpfs pages never come from one,
# so reading them back makes no major faults and no reclaim of clean page cache).
block_backed() {
	case $(stat -f -c %T "$1" 2>/dev/null || echo none) in none | tmpfs | ramfs | rootfs) return 1 ;; esac
}

# has_btf KIND NAME: the running kernel's own BTF holds it, by bpftool's dump (not by
# memsight's probe, which the tests check against it); dumped once per test.
has_btf() {
	if [ ! -s "$WORK/kernel-btf.txt" ]; then
		bpftool btf dump file /sys/kernel/btf/vmlinux >"$WORK/kernel-btf.txt" 2>&1 ||
			not_ok "bpftool can't dump the kernel's BTF: $(head -c 200 "$WORK/kernel-btf.txt")"
	fi
	grep -q "^\[[0-9]*\] $1 '$2'" "$WORK/kernel-btf.txt"
}

# oom_kill_count DIR: the kernel's own count of OOM kills in that memcg.
oom_kill_count() {
	if [ $CGROUP_V2 -eq 1 ]; then
		awk '$1 == "oom_kill" { print $2 }' "$1/memory.events"
	else
		awk '$1 == "oom_kill" { print $2 }' "$1/memory.oom_control"
	fi
}

# spawn_in_memcg DIR COMMAND...: starts the command inside the memcg, in the background;
# SPAWNED_PID is its pid (the shell that joins the memcg execs the command).
spawn_in_memcg() {
	local dir=$1
	shift
	(exec sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$dir" "$@") &
	SPAWNED_PID=$!
}

# reap PID: waits for it and sets REAPED_STATUS, without bash's job notices.
reap() {
	{ wait "$1"; } 2>/dev/null
	REAPED_STATUS=$?
}

# start_memsight OUTFILE ARGS...: starts `memsight stream` and waits until it is attached
# (its first agent_stats line). Sets MEMSIGHT_PID.
start_memsight() {
	local out=$1
	shift
	"$MEMSIGHT" stream --interval 200ms --cgroup "$PREFIX" "$@" >"$out" 2>"$out.err" &
	MEMSIGHT_PID=$!
	BG_PIDS+=("$MEMSIGHT_PID")
	if ! wait_for 20 grep -qs '"type":"agent_stats"' "$out"; then
		not_ok "memsight attached (stderr: $(head -c 500 "$out.err"))"
		return 1
	fi
}

# into_head N OUTFILE CMD...: CMD's stdout into `head -n N >OUTFILE`, under a 20 s
# timeout. Sets HEAD_STATUS (CMD's exit status; 124: still running after 20 s) and
# HEAD_EXIT_MS (ms from head's close to CMD's exit). Timed from the close, not from exec:
# start-up takes seconds on a busy node, and in an emulated VM.
into_head() {
	local n=$1 out=$2 closed
	shift 2
	timeout -k 5 20 "$@" | { head -n "$n" >"$out"; date +%s%3N >"$out.closed"; }
	HEAD_STATUS=${PIPESTATUS[0]}
	closed=$(cat "$out.closed" 2>/dev/null || echo 0)
	HEAD_EXIT_MS=$(($(date +%s%3N) - closed))
}

stop_memsight() {
	kill -TERM "$MEMSIGHT_PID" 2>/dev/null
	wait "$MEMSIGHT_PID" 2>/dev/null
}

remove_memcgs() {
	local root="$MEMCG_ROOT$PREFIX"
	[ -d "$root" ] || return 0
	# Deepest first; a memcg can only go once it is empty.
	find "$root" -depth -type d | while read -r d; do
		if [ -f "$d/cgroup.procs" ]; then
			while read -r pid; do kill -KILL "$pid" 2>/dev/null; done <"$d/cgroup.procs"
		fi
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			rmdir "$d" 2>/dev/null && break
			sleep 0.2
		done
	done
}

DOCKER=/usr/bin/docker # Debian's client, matching Debian's dockerd
DOCKERD_PID=

# ensure_dockerd: starts Debian's dockerd when none answers (no bridge: nothing here
# needs a network); it is stopped again at exit. Returns 1 when it can't be had.
ensure_dockerd() {
	command -v dockerd >/dev/null && [ -x $DOCKER ] || return 1
	$DOCKER info >/dev/null 2>&1 && return 0
	dockerd --iptables=false --bridge=none >"$WORK/dockerd.log" 2>&1 &
	DOCKERD_PID=$!
	wait_for 30 sh -c "$DOCKER info >/dev/null 2>&1"
}

# make_rootfs DIR: busybox and the static hog, enough for a test container.
make_rootfs() {
	local dir=$1
	mkdir -p "$dir/bin" "$dir/proc" "$dir/dev" "$dir/sys" "$dir/tmp"
	cp /bin/busybox "$dir/bin/busybox"
	cp "$HELPERS/hog-static" "$dir/hog"
}

# build_hog_image: docker image memsight-test-hog (the hog as entrypoint), built
# locally from busybox-static: no registry is reachable.
build_hog_image() {
	make_rootfs "$WORK/image"
	printf 'FROM scratch\nCOPY . /\nENTRYPOINT ["/hog"]\n' >"$WORK/image/Dockerfile"
	$DOCKER build -q -t memsight-test-hog "$WORK/image" >/dev/null 2>"$WORK/image.err"
}

cleanup() {
	local pid
	for pid in "${BG_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
		{ wait "$pid"; } 2>/dev/null # no job notices
	done
	remove_memcgs
	if [ -n "$DOCKERD_PID" ]; then
		kill "$DOCKERD_PID" 2>/dev/null
		wait "$DOCKERD_PID" 2>/dev/null
	fi
	if [ "${KEEP_WORK:-0}" = 1 ] && [ "$FAILURES" -gt 0 ]; then
		echo "$TEST_NAME: its files kept in $WORK (KEEP_WORK=1)" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

finish() {
	if [ $FAILURES -eq 0 ]; then
		echo "$TEST_NAME: $CHECKS checks passed"
		exit 0
	fi
	echo "$TEST_NAME: $FAILURES of $CHECKS checks FAILED"
	exit 1
}

# tasks_match_oom_dump LINE: each of the kill's tasks has the rss the kernel's own OOM task
# dump (vm.oom_dump_tasks, in the kernel log) gave it, within 10%.
tasks_match_oom_dump() {
	local pid dumped mine page
	page=$(getconf PAGESIZE 2>/dev/null) || page=4096 # the test VMs have no getconf; their kernels use 4 KiB pages
	for pid in $(jq -r '.tasks[].pid' <<<"$1"); do
		dumped=$(dmesg | sed -nE "s/.*\[ *$pid\] +[0-9]+ +[0-9]+ +[0-9]+ +([0-9]+) .*/\1/p" | tail -1)
		mine=$(jq -r --argjson p "$pid" '.tasks[] | select(.pid == $p) | .rss_bytes' <<<"$1")
		if [ -z "$dumped" ]; then
			not_ok "tasks: pid $pid in the kernel's OOM task dump (dmesg)"
			continue
		fi
		within "tasks: pid $pid rss within 10% of the kernel's dump ($((dumped * page)))" "$mine" \
			$((dumped * page * 90 / 100)) $((dumped * page * 110 / 100))
	done
}
