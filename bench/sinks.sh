#!/bin/bash
# The highest event rate each of memsight's sinks sustains with no loss. Two kinds of record
# come through the kernel's ring buffers, each offered at rates that double from step to
# step, every step a fresh agent:
#   fault_sample  `--fault-samples RATE` (node-wide, as the kernel's per-second budget is),
#                 while a hog in this bench's memcg faults 128 MiB after 128 MiB, up to
#                 ~70,000 faults a second here, so the budget sets the rate until the hog,
#                 sharing 2 CPUs with the agent and the machine's other work, falls short;
#                 STEP_S seconds measured per step;
#   oom_kill      build/tests/churn makes RATE memcgs a second for OOM_S seconds under this
#                 bench's cgroup, each with an 8 MiB limit and a child that touches 64 MiB,
#                 so each is an OOM kill; the kernel's count is churn's children killed.
#                 The agents are filtered to this bench's cgroup (--cgroup).
# Sinks, each counted by its own reader:
#   json     `memsight stream` into a pipe; an awk reader counts the lines of each type;
#   metrics  `memsight run` (stdout to /dev/null), /metrics scraped every second by curl:
#            oom_kill, the sum of memsight_oom_kills_total over the bench's cgroups;
#            fault_sample (no series of its own), the page's counters: delivered, records
#            received less filtered (the agent's count); offered, memsight_bpf_runs_total of
#            the samplers less memsight_fault_samples_suppressed_total; and a scrape that
#            fails or takes over 1 s counts as a loss;
#            its window is 2 * STEP_S, as its edges are timed by scrapes (within ~0.3 s);
#   library  build/bench/consumer (tests/library/consumer.c linked with build/libmemsight.a),
#            its callbacks counted (it also formats each OOM kill's JSON line).
# offered: fault_sample, the samples the kernel took (the sampling programs' runs, kernel
#   bpf_stats, less the samples over the budget) between two of the agent's agent_stats,
#   against the reader's count between the same two; oom_kill, the kernel's kills.
# A step has no loss when the reader got all of it (fault_sample: within what the ring holds
# at either edge; see step()), the agent counted no drops of that kind and no scrape was
# missed. A step whose offer fell below 90% of the rate asked says so: the workload, not
# the sink, set that rate. A sink's stepping ends at its first loss.
# agent%: the agent's CPU (100 = one core; fault_sample: over the window, from its
# agent_stats; oom_kill: over the churn, from /proc; the library: the consumer process,
# callbacks included); reader%: the json reader's (awk).
#
# Usage: sudo make bench-sinks   or   sudo bench/sinks.sh [SINKS]   (default "json metrics
#        library"; needs build/memsight, build/tests/hog, build/tests/churn, build/bench/consumer)
#        SAMPLE_RATES= ("2000 4000 8000 16000 32000 64000"), OOM_RATES= ("4 8 16 32 64"),
#        STEP_S= (5), OOM_S= (5), KINDS= ("fault_sample oom_kill"), BIN= (build/memsight)
set -eu
cd "$(dirname "$0")/.."
sinks=${1:-json metrics library}
bin=${BIN:-build/memsight}
consumer=build/bench/consumer
SAMPLE_RATES=${SAMPLE_RATES:-2000 4000 8000 16000 32000 64000}
OOM_RATES=${OOM_RATES:-4 8 16 32 64}
STEP_S=${STEP_S:-5} OOM_S=${OOM_S:-5}
KINDS=${KINDS:-fault_sample oom_kill}
for f in "$bin" build/tests/hog build/tests/churn "$consumer"; do
	[ -x "$f" ] || {
		echo "sinks.sh: no $f (make all build/tests/hog build/tests/churn build/bench/consumer)" >&2
		exit 2
	}
done
root=/sys/fs/cgroup/memory
grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null && root=/sys/fs/cgroup
base="/memsight-bench-sinks-$$"
work=$(mktemp -d)
pid='' reader='' load='' scraper=''
cleanup() {
	[ -z "$scraper" ] || kill "$scraper" 2>/dev/null || true
	stop_agent
	stop_faulting
	find "$root$base" -depth -type d -exec rmdir {} + 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$root$base"

# The agent (SIGINT: a clean stop, its last records out) and its reader, waited for.
stop_agent() {
	[ -z "$pid" ] || { kill -INT "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }
	[ -z "$reader" ] || wait "$reader" 2>/dev/null || true
	pid='' reader=''
}

# The fault load: hogs one after another in a memcg of the bench's.
start_faulting() {
	mkdir -p "$root$base/faults"
	sh -c 'echo $$ >"$1/cgroup.procs" && while :; do "$2" --max-mib 128 >/dev/null; done' \
		sh "$root$base/faults" build/tests/hog &
	load=$!
	sleep 1
}
stop_faulting() {
	[ -n "$load" ] || return 0
	kill "$load" 2>/dev/null || true
	wait "$load" 2>/dev/null || true
	xargs -r kill <"$root$base/faults/cgroup.procs" 2>/dev/null || true # its last hog
	load=''
	sleep 0.5
}

# Snapshots, one a line, cumulative: "delivered offered lost seconds cpu_seconds".
# window FILE: "offered delivered lost seconds agent%" between the first and the last.
window() {
	awk 'NR == 1 { d = $1; o = $2; l = $3; s = $4; c = $5 }
		{ D = $1; O = $2; L = $3; S = $4; C = $5 }
		END {
			if (NR < 2) { print 0, 0, 0, 0, 0; exit }
			printf "%d %d %d %.2f %.0f\n", O - o, D - d, L - l, S - s, (S > s ? 100 * (C - c) / (S - s) : 0)
		}' "$1"
}

# json_reader TYPE: the json sink's reader. Counts the lines of TYPE; at each agent_stats, a
# snapshot (offered: fault samples the kernel took, the samplers' runs less those over the
# budget), the OOM kills lost and the records filtered out as a sixth and seventh field; at the end, the count in $work/total. Its
# own CPU time, in seconds, goes to $work/reader.cpu.
json_reader() {
	local TIMEFORMAT='%U %S'
	{ time awk -v kind="\"type\":\"$1\"" -v total="$work/total" '
		function field(name) {
			if (!match($0, "\"" name "\":[0-9]+"))
				return 0
			return substr($0, RSTART + length(name) + 3, RLENGTH - length(name) - 3)
		}
		function sampler_runs(rest, runs, m) {
			rest = $0
			while (match(rest, /"name":"fault_sample_[a-z]+","id":[0-9]+,"run_count":[0-9]+/)) {
				m = substr(rest, RSTART, RLENGTH)
				sub(/.*:/, "", m)
				runs += m
				rest = substr(rest, RSTART + RLENGTH)
			}
			return runs
		}
		index($0, kind) { n++; next }
		/"type":"agent_stats"/ {
			s += field("interval_ns") / 1e9
			print n, sampler_runs() - field("samples_suppressed_total"), field("lost_total"), s,
				(field("cpu_user_ns") + field("cpu_system_ns")) / 1e9, field("oom_kills_lost_total"),
				field("filtered_total")
			fflush()
		}
		END { print n + 0 >total }' 2>/dev/null; } 2>"$work/reader.cpu"
}
reader_pct() { awk -v s="$1" 'END { printf "%.0f", (s > 0 ? 100 * ($1 + $2) / s : 0) }' "$work/reader.cpu"; }

# metrics_scrape: one scrape of $addr, "epoch_s http_code time_total"; the page in $work/page
metrics_scrape() {
	local out
	out=$(curl -s -m 1 -o "$work/page" -w '%{http_code} %{time_total}' "http://$addr/metrics" || true)
	echo "$(date +%s.%N) ${out:-000 1}"
}
# page_value NAME: a metric without labels from the last page (0 when absent)
page_value() { awk -v n="$1" '$1 == n { v = $2 } END { print v + 0 }' "$work/page"; }
# the bench's OOM kills on the last page
page_oom_kills() {
	grep "^memsight_oom_kills_total{.*cgroup=\"$base/" "$work/page" | awk '{ s += $NF } END { print s + 0 }'
}
# scrape_line: one scrape, appended to $work/scrapes as a snapshot line and
# "epoch_s http_code time_total" (counters "-" when it failed); prints the offered count
scrape_line() {
	local at code took received filtered lost taken cpu
	read -r at code took <<<"$(metrics_scrape)"
	if [ "$code" != 200 ]; then
		echo "- - - $at - $code $took" >>"$work/scrapes"
		echo -
		return
	fi
	received=$(page_value memsight_events_received_total)
	filtered=$(page_value memsight_events_filtered_total)
	lost=$(page_value memsight_events_lost_total)
	taken=$(awk '$1 ~ /^memsight_bpf_runs_total\{program="fault_sample_/ { s += $2 }
		$1 == "memsight_fault_samples_suppressed_total" { s -= $2 } END { print s + 0 }' "$work/page")
	cpu=$(awk '$1 ~ /^memsight_cpu_seconds_total\{/ { s += $2 } END { print s + 0 }' "$work/page")
	echo "$((received - filtered)) $taken $lost $at $cpu $code $took" >>"$work/scrapes"
	echo "$taken"
}
# scrape_edge: scrapes every 0.1 s until the counters move, so a window's edge falls just
# after an interval's agent_stats (a page's counters are those of the last one)
scrape_edge() {
	local first now
	first=$(scrape_line)
	for _ in $(seq 30); do
		sleep 0.1
		now=$(scrape_line)
		[ "$now" = "$first" ] || break
	done
}
# scrape_every_second SECONDS: an edge, a scrape a second, an edge; the first and the edges'
# last lines are kept in $work/snaps (the window), every 1-s scrape in $work/cadence
scrape_every_second() {
	local next
	: >"$work/scrapes"
	scrape_edge
	tail -1 "$work/scrapes" >"$work/edges"
	next=$(date +%s.%N)
	for _ in $(seq 1 "$1"); do
		next=$(awk -v n="$next" 'BEGIN { printf "%.3f", n + 1 }')
		sleep "$(awk -v n="$next" -v t="$(date +%s.%N)" 'BEGIN { d = n - t; printf "%.3f", (d > 0 ? d : 0) }')"
		scrape_line >/dev/null
		tail -1 "$work/scrapes" >>"$work/cadence"
	done
	scrape_edge
	tail -1 "$work/scrapes" >>"$work/edges"
	awk '$1 != "-" { print $1, $2, $3, $4, $5 }' "$work/edges" >"$work/snaps"
}
# scrapes of the 1-s cadence that failed or took over a second
missed_scrapes() { awk '$6 != 200 || $7 > 1 { m++ } END { print m + 0 }' "$work/cadence"; }

# start_run ARGS...: `memsight run` on a free port; sets pid and addr
start_run() {
	"$bin" run --listen 127.0.0.1:0 --interval 1s "$@" >/dev/null 2>"$work/err" &
	pid=$!
	for _ in $(seq 100); do grep -qs 'serving http://' "$work/err" && break; sleep 0.1; done
	addr=$(sed -n 's|.*serving http://\([^/]*\)/metrics.*|\1|p' "$work/err" | head -1)
	[ -n "$addr" ] || { cat "$work/err" >&2; exit 1; }
	for _ in $(seq 100); do curl -sf "http://$addr/readyz" >/dev/null && break; sleep 0.1; done
}

# fault_SINK RATE: one run with --fault-samples RATE; prints
# "offered delivered lost seconds missed_scrapes agent% reader%"
fault_json() {
	local w
	rm -f "$work/fifo" && mkfifo "$work/fifo"
	json_reader fault_sample <"$work/fifo" >"$work/snaps" &
	reader=$!
	"$bin" stream --interval 1s --fault-samples "$1" --duration "$((STEP_S + 2))s" \
		>"$work/fifo" 2>"$work/err" &
	pid=$!
	wait "$pid" || true
	pid=''
	stop_agent
	w=$(window "$work/snaps")
	echo "${w% *} 0 ${w##* } $(reader_pct "$(awk '{ s = $4 } END { print s }' "$work/snaps")")"
}
fault_library() {
	local w
	"$consumer" --seconds "$((STEP_S + 2))" --fault-samples "$1" >"$work/lib.out" 2>"$work/err" || true
	# the consumer's agent lines: lost samples interval_ns cpu_ns sampler_runs suppressed
	sed -n 's/^agent received=[0-9]* lost=\([0-9]*\) samples=\([0-9]*\) .* interval_ns=\([0-9]*\) cpu_ns=\([0-9]*\) sampler_runs=\([0-9]*\) suppressed=\([0-9]*\) .*/\1 \2 \3 \4 \5 \6/p' \
		"$work/lib.out" | awk '{ s += $3 / 1e9; print $2, $5 - $6, $1, s, $4 / 1e9 }' >"$work/snaps"
	w=$(window "$work/snaps")
	echo "${w% *} 0 ${w##* } -"
}
fault_metrics() {
	local w
	start_run --fault-samples "$1"
	: >"$work/cadence"
	# the scrapes' clock: each edge within a scrape's time of its interval, so twice as long
	scrape_every_second $((STEP_S * 2))
	stop_agent
	w=$(window "$work/snaps")
	echo "${w% *} $(missed_scrapes) ${w##* } -"
}

ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)

# oom_SINK RATE: RATE * OOM_S memcgs OOM-killed at RATE a second under the bench's cgroup;
# prints "offered delivered lost seconds missed_scrapes agent% reader% filtered" (offered:
# the kernel's kills; filtered: records the agent left out by --cgroup, other cgroups' kills; seconds: what churn took, less its 2.5 s wait before the last removals)
# Sets killed, churn_s and agent_pct (the agent's CPU over the churn, from /proc).
churn_ooms() {
	local dir="$root$base/oom-$1" t0 t1 c0 c1
	mkdir -p "$dir"
	t0=$(date +%s%N) c0=$(ticks)
	build/tests/churn "$dir" $(($2 * OOM_S)) 2 "$2" 1 >"$work/kernel.txt"
	t1=$(date +%s%N) c1=$(ticks)
	churn_s=$(awk -v t=$((t1 - t0)) 'BEGIN { printf "%.2f", t / 1e9 - 2.5 }')
	agent_pct=$(awk -v c=$((c1 - c0)) -v hz="$hz" -v t=$((t1 - t0)) 'BEGIN { printf "%.0f", 100 * c / hz / (t / 1e9) }')
	killed=$(awk '$4 == 1' "$work/kernel.txt" | wc -l)
	rmdir "$dir"
}
oom_json() {
	local lost filtered
	rm -f "$work/fifo" && mkfifo "$work/fifo"
	json_reader oom_kill <"$work/fifo" >"$work/snaps" &
	reader=$!
	"$bin" stream --interval 1s --cgroup "$base" >"$work/fifo" 2>"$work/err" &
	pid=$!
	for _ in $(seq 50); do [ -s "$work/snaps" ] && break; sleep 0.1; done
	churn_ooms json "$1"
	sleep 2
	stop_agent
	# the reader's count at the end; the OOM kills lost at the last agent_stats
	read -r lost filtered <<<"$(awk '{ l = $6; f = $7 } END { print l + 0, f + 0 }' "$work/snaps")"
	echo "$killed $(cat "$work/total") $lost $churn_s 0 $agent_pct - $filtered"
}
oom_library() {
	local delivered lost filtered
	# --seconds: an upper bound; stopped 2 s after the churn (it flushes every line)
	"$consumer" --prefix "$base" --seconds 600 >"$work/lib.out" 2>"$work/err" &
	pid=$!
	for _ in $(seq 50); do grep -qs '^ready' "$work/lib.out" && break; sleep 0.1; done
	churn_ooms library "$1"
	sleep 2
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=''
	delivered=$(grep -c '^oom ' "$work/lib.out" || true)
	lost=$(sed -n 's/^agent .* oom_kills_dropped=\([0-9]*\).*/\1/p' "$work/lib.out" | tail -1)
	filtered=$(sed -n 's/^agent .* filtered=\([0-9]*\) .*/\1/p' "$work/lib.out" | tail -1)
	echo "$killed $delivered ${lost:-0} $churn_s 0 $agent_pct - ${filtered:-0}"
}
oom_metrics() {
	start_run --cgroup "$base" --tombstone 10m
	: >"$work/cadence"
	scrape_every_second $((OOM_S * 2 + 6)) &
	scraper=$!
	churn_ooms metrics "$1"
	wait "$scraper"
	scraper=''
	sleep 2 # a page rendered after the last kill (a page is kept for an interval)
	metrics_scrape >/dev/null
	echo "$killed $(page_oom_kills) $(page_value memsight_oom_kills_lost_total) $churn_s \
		$(missed_scrapes) $agent_pct - $(page_value memsight_events_filtered_total)"
	stop_agent
}

# step KIND SINK RATE: one step's table row; returns 1 when the step lost events.
# oom_kill: the kernel's kills against the reader's count, and the agent's OOM kills lost.
# fault_sample: the kernel's samples taken (bpf_stats runs of the sampling programs less
# the samples over the budget, both in the agent's agent_stats) against the reader's count
# between the same two agent_stats. The records still in the ring at either edge (hundreds
# at 32,000 a second when the agent waits on the pipe) make offered - delivered move either
# way, so the loss is the kernel's: a step loses when the agent counted drops and the
# samples delivered fell short by at least half of them (lost counts every ring, node-wide:
# the memcg ring overflows when another session makes hundreds of memcgs at once, which
# costs no sample), or when the difference passes 2% (a sink dropping what it received).
step() {
	local offered delivered lost seconds missed agent reader_cpu filtered rate verdict
	"${1%%_*}_$2" "$3" >"$work/result"
	read -r offered delivered lost seconds missed agent reader_cpu filtered <"$work/result"
	rate=$(awk -v o="$offered" -v s="$seconds" 'BEGIN { printf "%.0f", (s > 0 ? o / s : 0) }')
	if [ "$missed" != 0 ] || awk -v o="$offered" -v d="$delivered" -v l="$lost" -v k="$1" 'BEGIN {
			u = o - d; a = u < 0 ? -u : u
			exit !(k == "oom_kill" ? u != 0 || l != 0 : a > 20 + o / 50 || (l > 0 && u >= l / 2)) }'; then
		verdict=LOSS
	elif awk -v r="$rate" -v a="$3" 'BEGIN { exit !(r < 0.9 * a) }'; then
		verdict="no loss, offer short of the rate asked"
	else
		verdict="no loss"
	fi
	printf '  %-12s %-8s %7s %9s %8s %9s %5s %6s %6s %6s %6s %7s  %s\n' "$1" "$2" "$3" "$rate" \
		"$offered" "$delivered" $((offered - delivered)) "$lost" "$missed" "$seconds" \
		"$agent" "$reader_cpu" "$verdict"
	# a missing OOM kill: left out as another cgroup's (unnamed when read), or never read?
	[ -z "$filtered" ] || [ "$verdict" != LOSS ] ||
		echo "    the agent left out $filtered records as not under $base (--cgroup)"
	echo "$1 $2 $3 $rate $verdict" >>"$work/verdicts"
	[ "$verdict" != LOSS ]
}

echo "memsight sinks, highest event rate with no loss: $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
echo "  fault_sample: ${STEP_S} s windows; oom_kill: ${OOM_S} s of churn; offered/delivered: counts; unacc = offered - delivered"
printf '  %-12s %-8s %7s %9s %8s %9s %5s %6s %6s %6s %6s %7s  %s\n' kind sink asked/s offered/s \
	offered delivered unacc lost missed s agent% reader% verdict
: >"$work/verdicts"
for kind in $KINDS; do
	[ "$kind" != fault_sample ] || start_faulting
	rates=$SAMPLE_RATES
	[ "$kind" != oom_kill ] || rates=$OOM_RATES
	for sink in $sinks; do
		for r in $rates; do
			step "$kind" "$sink" "$r" || break
		done
	done
	[ "$kind" != fault_sample ] || stop_faulting
done

echo "highest step with no loss (asked/s, and the rate offered), and the first step with loss:"
for kind in $KINDS; do
	for sink in $sinks; do
		awk -v k="$kind" -v s="$sink" '$1 == k && $2 == s {
				if ($5 == "LOSS") { if (!loss) loss = $3 " (" $4 "/s)" }
				else if (!loss && NF == 6) best = $3 " (" $4 "/s)"
				else if (!loss) short = $3 " (" $4 "/s offered)"
			}
			END {
				printf "  %-12s %-8s %-20s first loss: %s%s\n", k, s, best ? best : "none", loss ? loss : "none",
					short && !loss ? "; the workload fell short of the rate asked at " short : ""
			}' "$work/verdicts"
	done
done
