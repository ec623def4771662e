#!/bin/bash
# What listing a memcg's processes costs (oom_kill.tasks, leak_suspect.process): the task
# program's in-kernel run time per listing, with P extra sleeping processes on the node
# (the walk visits every process, whichever memcg it is after). K OOM kills in a 32 MiB
# memcg each run one listing. Figures from bpf_stats (memsight turns them on while it runs).
# Usage: sudo bench/task_walk.sh [P] [K]   (default 5000, 10)
set -eu
cd "$(dirname "$0")/.."
extra=${1:-5000}
kills=${2:-10}
root=/sys/fs/cgroup/memory
grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null && root=/sys/fs/cgroup
dir="$root/memsight-bench-walk-$$"
make -s build/memsight build/tests/hog
pids=()
cleanup() {
	kill "${pids[@]}" 2>/dev/null || true
	wait 2>/dev/null || true
	rmdir "$dir" 2>/dev/null || true
}
trap cleanup EXIT

for _ in $(seq 1 "$extra"); do
	sleep 600 &
	pids+=($!)
done
mkdir "$dir"
if [ "$root" = /sys/fs/cgroup ]; then echo $((32 << 20)) >"$dir/memory.max"; else echo $((32 << 20)) >"$dir/memory.limit_in_bytes"; fi
build/memsight stream --interval 1s >/dev/null 2>&1 &
mpid=$!
pids+=($mpid)
sleep 3
for _ in $(seq 1 "$kills"); do
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$dir" build/tests/hog >/dev/null 2>&1 || true
done
sleep 1
procs=$(find /proc -maxdepth 1 -name '[0-9]*' | wc -l)
bpftool prog show -j | jq -r --argjson k "$kills" --argjson p "$procs" '
	.[] | select(.name == "oom_tasks_walk" or .name == "oom_tasks") |
	"\(.name): \(.run_time_ns) ns over \(.run_cnt) runs; per listing \(.run_time_ns / $k | floor) ns; " +
	"per process on the node (\($p)) \(.run_time_ns / $k / $p * 10 | floor / 10) ns"'
