#!/bin/bash
# The soak: memsight run for MINUTES with everything at once: memcg churn (RATE/s, every
# 50th OOM-killed), a long-lived memcg faulting without pause, a scrape of /metrics every
# second, and a reader of its JSON lines that takes them in bursts every 2 s. At the start,
# the middle and the end: RSS, CPU over the last stretch, records lost, and exactness
# (every finished churned memcg's faults against its own memory.stat pgfault).
#
# Usage: sudo bench/soak.sh [MINUTES] [RATE]   (defaults 30 and 20; needs build/memsight,
#        build/tests/churn and build/tests/hog: make all build/tests/churn build/tests/hog)
set -u
cd "$(dirname "$0")/.."
minutes=${1:-30} rate=${2:-20}
root=/sys/fs/cgroup/memory
grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null && root=/sys/fs/cgroup
prefix=/memsight-soak-$$
work=$(mktemp -d)
pids=()
mkdir -p "$root$prefix/churn" "$root$prefix/storm"
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for d in "$root$prefix"/churn/* "$root$prefix/storm"; do
		[ -d "$d" ] && { while read -r p; do kill -KILL "$p" 2>/dev/null; done <"$d/cgroup.procs"; rmdir "$d"; }
	done 2>/dev/null
	rmdir "$root$prefix/churn" "$root$prefix" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# The reader: takes what is there every 2 s, as a log shipper on a busy node might.
python3 -c '
import os, sys, time
out = open(sys.argv[1], "ab", buffering=0)
while True:
    time.sleep(2)
    try:
        data = os.read(0, 1 << 24)
    except BlockingIOError:
        continue
    if not data:
        break
    out.write(data)
' "$work/out.json" < <(build/memsight run --listen 127.0.0.1:0 --interval 1s --tombstone 60s \
	--cgroup "$prefix" 2>"$work/err" & echo $! >"$work/pid"; wait) &
pids+=($!)
for _ in $(seq 100); do grep -qs 'serving http://' "$work/err" && break; sleep 0.1; done
pid=$(cat "$work/pid")
addr=$(sed -n 's|.*serving http://\([^/]*\)/metrics.*|\1|p' "$work/err" | head -1)
hz=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
rss_kib() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status"; }

(exec sh -c 'echo $$ >"$1/cgroup.procs" && while :; do "$2" --max-mib 64 >/dev/null; done' sh "$root$prefix/storm" build/tests/hog) &
pids+=($!)
(while :; do curl -s -o /dev/null "http://$addr/metrics"; sleep 1; done) &
pids+=($!)
build/tests/churn "$root$prefix/churn" $((rate * minutes * 60)) 2 "$rate" 50 >"$work/kernel.txt" &
pids+=($!)

# checkpoint NAME: one row of figures
last_ticks=$(ticks) last_s=$(date +%s)
checkpoint() {
	local t s cpu lost off done
	t=$(ticks) s=$(date +%s)
	cpu=$(awk -v t=$((t - last_ticks)) -v hz="$hz" -v w=$((s - last_s)) 'BEGIN { printf "%.2f", t * 100 / hz / (w ? w : 1) }')
	last_ticks=$t last_s=$s
	lost=$(grep '"type":"agent_stats"' "$work/out.json" | tail -1 | jq -c '{events: .events.lost_total, oom_kills: .events.oom_kills_lost_total, counts: .counting.lost_total}')
	# finished memcgs whose last interval is out: all but the newest 100
	head -n -100 "$work/kernel.txt" | awk '{ print $1, $2 }' | sort >"$work/k.txt"
	jq -r --arg p "$prefix/churn/" 'select(.type == "container_stats" and (.cgroup.path // "" | startswith($p))) | [(.cgroup.path | ltrimstr($p)), .faults.minor + .faults.major] | @tsv' "$work/out.json" |
		awk -F'\t' '{ f[$1] += $2 } END { for (n in f) print n, f[n] }' | sort >"$work/r.txt"
	done=$(wc -l <"$work/k.txt")
	off=$(join -a 1 "$work/k.txt" "$work/r.txt" | awk '$2 != $3' | wc -l)
	printf '| %s | %s | %s%% | %s KiB | %s | %s of %s differ |\n' "$1" "$(date -u +%H:%M:%S)" "$cpu" "$(rss_kib)" "$lost" "$off" "$done"
}

echo "soak: $minutes min, churn $rate memcgs/s (every 50th OOM-killed), a faulting memcg, a scrape a second, a reader in 2 s bursts; $(uname -r)"
echo "| point | time | CPU since last | RSS | lost | churned memcgs' faults vs pgfault |"
echo "|---|---|---|---|---|---|"
sleep 60
checkpoint "start (1 min)"
sleep $((minutes * 30 - 60))
checkpoint "middle"
sleep $((minutes * 30))
checkpoint "end"
curl -s "http://$addr/metrics" >"$work/metrics.txt"
promtool check metrics <"$work/metrics.txt" >/dev/null 2>&1 && echo "promtool check metrics: ok" || echo "promtool check metrics: FAILED"
echo "OOM kills: kernel $(awk '$4 == 1' "$work/kernel.txt" | wc -l), oom_kill lines $(grep -c '"type":"oom_kill"' "$work/out.json")"
