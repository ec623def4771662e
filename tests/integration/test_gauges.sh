#!/bin/bash
# Usage, limit and working set as `memsight top` shows idle containers, against cgroupfs:
# read by the kernel's cgroup iterator where there is one (Linux 6.1+), from cgroupfs
# where not. `features` and -v must say which path the kernel takes; the figures must
# agree with the kernel's own either way.
source "$(dirname "$0")/lib.sh"

MIB=$((1 << 20))
usage_of() {
	if [ $CGROUP_V2 -eq 1 ]; then cat "$1/memory.current"; else cat "$1/memory.usage_in_bytes"; fi
}
inactive_of() { stat_of "$1" "$([ $CGROUP_V2 -eq 1 ] && echo inactive_file || echo total_inactive_file)"; }
# column N of the last snapshot's row for NAME, in bytes ("48M" -> 50331648, "-" -> -)
column_of() {
	awk -v name="$2" -v n="$3" '/^memsight top/ { s++ } { row[s] = row[s] "\n" $0 } END { print row[s] }' "$1" |
		awk -v name="$2" -v n="$3" '$NF == name { v = $n; m = 1
			if (v == "-") { print "-"; exit }
			if (v ~ /K$/) m = 1024; else if (v ~ /M$/) m = 1048576; else if (v ~ /G$/) m = 1073741824
			sub(/[KMG]$/, "", v); printf "%d\n", v * m; exit }'
}

echo "features: which path the kernel takes"
"$MEMSIGHT" features --json >"$WORK/features.json"
if bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null | grep -q "FUNC 'bpf_iter_cgroup'"; then
	iterator=1
	check_jq "features: gauges from the cgroup iterator (the kernel has one)" \
		'.hooks[] | select(.feature == "gauges") | .status == "attached" and (.fallback | not) and (.hook | startswith("iter/cgroup"))' \
		"$WORK/features.json"
else
	iterator=0
	check_jq "features: gauges from cgroupfs, and why (no cgroup iterator before 6.1)" \
		'.hooks[] | select(.feature == "gauges") | .fallback and (.hook | startswith("cgroupfs")) and (.reason | test("6.1"))' \
		"$WORK/features.json"
fi

# Containers as docker names them: cgroups at docker's paths, state files in a data root
# of the test's own, so top shows them by name (and idle).
docker_root="$WORK/docker"
container() { # container N LIMIT: makes the memcg and its state file, prints the memcg
	local id
	id=$(printf '%064x' "$1")
	mkdir -p "$docker_root/containers/$id"
	printf '{"Name":"/gauges-%d","Config":{"Labels":{}}}\n' "$1" >"$docker_root/containers/$id/config.v2.json"
	make_memcg "docker/$id" "$2"
}
held=$(container 1 $((256 * MIB)))
spawn_in_memcg "$held" "$HELPERS/hog" --max-mib 64 --hold --progress "$WORK/held-progress"
BG_PIDS+=($SPAWNED_PID)
wait_for 30 sh -c "[ \"\$(cat '$WORK/held-progress' 2>/dev/null)\" = $((64 * MIB)) ]"
cache=$(container 2 "")
if block_backed /var/tmp; then
	# written from inside the memcg: its page cache is charged there
	file=$(mktemp /var/tmp/memsight-gauges.XXXXXX)
	spawn_in_memcg "$cache" sh -c 'head -c $1 /dev/urandom >"$0"' "$file" $((96 * MIB))
	reap $SPAWNED_PID
fi
# The kernel flushes its per-CPU statistics (inactive file among them) every 2 s.
sleep 3

"$MEMSIGHT" top --batch --iterations 4 --interval 500ms --cgroup "$PREFIX" --docker-root "$docker_root" \
	-v >"$WORK/top.txt" 2>"$WORK/top.err"
check "top: exits 0" test $? -eq 0
if [ $iterator -eq 1 ]; then
	check "top -v: usage and limit via the cgroup iterator" grep -q "usage and limit via iter/cgroup" "$WORK/top.err"
else
	check "top -v: usage and limit via cgroupfs" grep -q "usage and limit via cgroupfs" "$WORK/top.err"
fi
for c in held cache; do
	dir=${!c}
	usage=$(usage_of "$dir")
	kernel_ws=$((usage - $(inactive_of "$dir")))
	name=gauges-$([ $c = held ] && echo 1 || echo 2)
	# top prints 2-3 significant digits: 5% of the figure, and 1 MiB for small ones
	within "$c: usage column agrees with the kernel's ($usage)" "$(column_of "$WORK/top.txt" "$name" 1)" \
		$((usage * 95 / 100 - MIB)) $((usage * 105 / 100 + MIB))
	within "$c: working set column agrees with usage - inactive file ($kernel_ws)" \
		"$(column_of "$WORK/top.txt" "$name" 10)" $((kernel_ws * 95 / 100 - MIB)) $((kernel_ws * 105 / 100 + MIB))
done
check "held: the limit column is the memcg's 256 MiB" test "$(column_of "$WORK/top.txt" gauges-1 2)" = $((256 * MIB))
check "cache: no limit, '-'" test "$(column_of "$WORK/top.txt" gauges-2 2)" = -
if [ -n "${file:-}" ]; then
	check "cache: the working set leaves out the 96 MiB of inactive page cache" \
		test "$(column_of "$WORK/top.txt" gauges-2 10)" -lt $((32 * MIB))
	rm -f "$file"
else
	skip "page-cache working set: no block-backed file system at /var/tmp"
fi

# /metrics of idle containers (ones that had figures once, while memsight watched): their
# figures are read for a page, at most every 10 s. With the iterator, one walk gives
# usage, limit and working set, and cgroupfs is read only for a cgroup whose usage
# moved: a limit changed by hand on an idle container (no charge, no event) must reach
# /metrics through the walk alone.
echo "/metrics: idle containers through the $([ $iterator -eq 1 ] && echo "cgroup iterator" || echo "cgroupfs fallback")"
"$MEMSIGHT" run --listen 127.0.0.1:0 --interval 1s --cgroup "$PREFIX" --docker-root "$docker_root" \
	-v >"$WORK/run.out" 2>"$WORK/run.err" &
run_pid=$!
BG_PIDS+=($run_pid)
wait_for 20 grep -q 'serving http://' "$WORK/run.err"
addr=$(sed -n 's|.*serving http://\([^/]*\)/metrics.*|\1|p' "$WORK/run.err" | head -1)
# the guests of the kernel matrix have no curl: there, HTTP/1.0 through bash's /dev/tcp
http_get() {
	if command -v curl >/dev/null; then
		curl -s --max-time 5 "http://$addr$1"
	else
		timeout 5 bash -c 'exec 3<>"/dev/tcp/${0%:*}/${0#*:}" && printf "GET %s HTTP/1.0\r\n\r\n" "$1" >&3 &&
			tr -d "\r" <&3 | sed "1,/^\$/d"' "$addr" "$1"
	fi
}
# held_series NAME: the held container's sample of NAME, from a fresh scrape
held_series() {
	http_get /metrics >"$WORK/metrics.txt"
	awk -v name="$1" -v label="cgroup=\"${held#"$MEMCG_ROOT"}\"" \
		'index($0, name "{") == 1 && index($0, label) { print $NF; exit }' "$WORK/metrics.txt"
}
ready() { [ "$(http_get /readyz)" = ready ]; }
wait_for 20 ready
# a short process faults 1 MiB in the held container: it has figures, then none
spawn_in_memcg "$held" "$HELPERS/hog" --max-mib 1
reap $SPAWNED_PID
has_held() { [ -n "$(held_series memsight_memory_limit_bytes)" ]; }
if ! wait_for 10 has_held; then
	echo "  the held container is not on /metrics; memsight run said (address '$addr'):"
	tail -n 5 "$WORK/run.err" | sed 's/^/    /'
	head -c 300 "$WORK/metrics.txt" | sed 's/^/    page: /'
fi
check "/metrics: the held container's limit is its 256 MiB" test "$(held_series memsight_memory_limit_bytes)" = $((256 * MIB))
if [ $CGROUP_V2 -eq 1 ]; then echo $((192 * MIB)) >"$held/memory.max"; else echo $((192 * MIB)) >"$held/memory.limit_in_bytes"; fi
# with the walk, the next page's idle figures are at most 10 s old; from cgroupfs, an
# idle cgroup's limit is read once a minute: a scrape every 2 s until then
limit_now() { sleep 2; [ "$(held_series memsight_memory_limit_bytes)" = "$1" ]; }
wait_for $([ $iterator -eq 1 ] && echo 30 || echo 75) limit_now $((192 * MIB))
check "/metrics: the limit changed by hand on the idle container (192 MiB)" \
	test "$(held_series memsight_memory_limit_bytes)" = $((192 * MIB))
usage=$(usage_of "$held")
within "/metrics: idle usage agrees with the kernel's ($usage)" "$(held_series memsight_memory_usage_bytes)" \
	$((usage - MIB)) $((usage + MIB))
kernel_ws=$((usage - $(inactive_of "$held")))
within "/metrics: idle working set agrees with usage - inactive file ($kernel_ws)" \
	"$(held_series memsight_memory_working_set_bytes)" $((kernel_ws - 2 * MIB)) $((kernel_ws + 2 * MIB))
kill -TERM $run_pid 2>/dev/null
wait $run_pid 2>/dev/null
# -v says, for each pass over idle cgroups, how many the walk had and how many were read
# from cgroupfs; the passes after the limit changed (the first pass has the 1 MiB
# process's last charges to read)
passes=$(sed -n "s|.*/metrics: idle cgroups for this page: \([0-9]*\) in the kernel's walk, \([0-9]*\) read from cgroupfs|\1 \2|p" \
	"$WORK/run.err" | tail -n +2)
check "/metrics -v: passes over idle cgroups after the first ($(echo $passes))" test -n "$passes"
if [ $iterator -eq 1 ]; then
	check "/metrics -v: each had the idle cgroups from the walk and read none from cgroupfs" \
		sh -c "echo '$passes' | awk '\$1 < 1 || \$2 != 0 { bad = 1 } END { exit bad }'"
else
	check "/metrics -v: each read the idle cgroups from cgroupfs (no walk)" \
		sh -c "echo '$passes' | awk '\$1 != 0 || \$2 < 1 { bad = 1 } END { exit bad }'"
fi
finish
