#!/bin/bash
# The chart's Grafana dashboard (helm/memsight/files/memsight-dashboard.json) against a real
# Prometheus scraping a real `memsight run`. A Kubernetes-shaped container (runc, its bundle
# laid out as containerd's CRI plugin writes it, so memsight names its namespace, pod and
# container) grows to its limit and is OOM-killed; plain memcgs hold memory and read a file
# through a tight limit. Then every panel's, annotation's and variable's query is run as
# Grafana sends it (dashboard_eval.py), once with the variables picking the pod and once
# picking the plain memcgs by cgroup path: each must run, the panels for what the scenario
# did must have data, and only the test's series may come back.
source "$(dirname "$0")/lib.sh"

MIB=$((1 << 20))
PYTHON=/usr/bin/python3
DASHBOARD=$ROOT/helm/memsight/files/memsight-dashboard.json
# The node label, as the chart's ServiceMonitor copies it from the pod's node name.
NODE_NAME="memsight-dash-node-$$"
NS=memsight-dash
POD="shop-$$-x2k4q"
CTR=cart
POD_UID=5b2e8c1a-3d4f-4a6b-9c8d-7e6f5a4b3c2d
LIMIT=$((96 * MIB))
# $__rate_interval: Grafana's is max($__interval + scrape interval, 4 * scrape interval),
# 4 s at a 1 s scrape interval and 1 s steps; 5 s leaves room for a late scrape.
RATE=5s
STATE=$WORK/containerd-state
RUNC_ID=
READ_FILE=

# runc made the pod's cgroup in every hierarchy (cgroup v1: cpu, pids, ...): once the
# container is deleted, what is left of the test's tree there goes too.
dash_cleanup() {
	local h
	[ -n "$RUNC_ID" ] && runc --root "$WORK/runc" delete -f "$RUNC_ID" >/dev/null 2>&1
	[ -n "$READ_FILE" ] && rm -f "$READ_FILE"
	cleanup
	for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
		[ -d "$h${PREFIX#/}" ] && find "$h${PREFIX#/}" -depth -type d -exec rmdir {} + 2>/dev/null
	done
}
trap dash_cleanup EXIT

reader_scraped() {
	local sel="cgroup=\"$PREFIX/plain/reader\""
	[ -n "$(promql "memsight_page_faults_total{$sel, type=\"major\"} > 0 and on(cgroup)
		memsight_memcg_charged_bytes_total{$sel, kind=\"file\"} > 0 and on(cgroup)
		memsight_reclaim_stall_seconds_count{$sel} > 0")" ]
}

for tool in curl jq prometheus runc $PYTHON; do
	command -v $tool >/dev/null || not_ok "$tool is installed (make deps installs it)"
done
check "the dashboard is JSON with panels" sh -c "jq -e .panels '$DASHBOARD' >/dev/null"
[ $FAILURES -eq 0 ] || finish

echo "memsight run, scraped every second by Prometheus with node=\"$NODE_NAME\""
mkdir -p "$STATE/k8s.io"
"$MEMSIGHT" run --listen 127.0.0.1:0 --interval 200ms --containerd-state "$STATE" \
	--oom-risk-horizon 60s --leak-window 5s >"$WORK/run.json" 2>"$WORK/run.err" &
MEMSIGHT_PID=$!
BG_PIDS+=("$MEMSIGHT_PID")
if ! wait_for 30 grep -q 'serving http://' "$WORK/run.err"; then
	not_ok "memsight serves /metrics (stderr: $(head -c 500 "$WORK/run.err"))"
	finish
fi
ADDR=$(sed -n 's|.*serving http://\([^/]*\)/metrics.*|\1|p' "$WORK/run.err" | head -1)
check "memsight ready" wait_for 30 sh -c "curl -sf http://$ADDR/readyz >/dev/null"
check "Prometheus started" prometheus_scraping "$ADDR" "$NODE_NAME"
scraped() { [ "$(promql 'up{job="memsight"}')" = 1 ]; }
check "Prometheus scrapes memsight (up == 1)" wait_for 30 scraped
[ $FAILURES -eq 0 ] || finish
T_START=$(date +%s)

echo "pod $NS/$POD, container $CTR: grows 10 MiB/s to its $((LIMIT / MIB)) MiB limit and is OOM-killed"
RUNC_ID=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
bundle="$STATE/k8s.io/$RUNC_ID"
pod_rel="kubepods/burstable/pod$POD_UID/$RUNC_ID"
mkdir -p "$bundle"
make_rootfs "$bundle/rootfs"
(cd "$bundle" && runc spec)
jq --arg cg "$PREFIX/$pod_rel" --arg uid "$POD_UID" --arg ns "$NS" --arg pod "$POD" \
	--arg ctr "$CTR" --argjson limit $LIMIT '
	.process.args = ["/hog", "--comm", $ctr, "--delay-ms", "3000", "--step-ms", "100"]
	| .process.terminal = false
	| .root.readonly = false
	| .linux.cgroupsPath = $cg
	| .linux.resources.memory = { "limit": $limit, "swap": $limit }
	| .annotations = {
		"io.kubernetes.cri.container-type": "container",
		"io.kubernetes.cri.container-name": $ctr,
		"io.kubernetes.cri.sandbox-name": $pod,
		"io.kubernetes.cri.sandbox-namespace": $ns,
		"io.kubernetes.cri.sandbox-uid": $uid,
		"io.kubernetes.cri.image-name": "registry.example/shop/cart:1.0"
	}' "$bundle/config.json" >"$bundle/config.new" && mv "$bundle/config.new" "$bundle/config.json"
started_at=$(date +%s)
runc --root "$WORK/runc" run -b "$bundle" "$RUNC_ID" >/dev/null 2>&1 &
runc_pid=$!
BG_PIDS+=("$runc_pid")

echo "plain memcgs: one grows to 48 MiB and holds it, one reads a 128 MiB file twice through a 32 MiB limit"
holder_dir=$(make_memcg plain/holder $((256 * MIB)))
# A counter's first sample gives no rate: the workloads start after their cgroup is seen.
spawn_in_memcg "$holder_dir" "$HELPERS/hog" --delay-ms 3000 --step-ms 100 --max-mib 48 --hold \
	--comm dashhold
holder_pid=$SPAWNED_PID
BG_PIDS+=("$holder_pid")
READS=0
if block_backed /var/tmp; then
	READS=1
	READ_FILE=$(mktemp /var/tmp/memsight-dashboard.XXXXXX)
	reader_dir=$(make_memcg plain/reader $((32 * MIB)))
	# A rate sees a counter move only between two of its samples, so the reader's major-fault,
	# file-charge and reclaim-stall series must be in Prometheus before the reads that count:
	# a 48 MiB read through the 32 MiB limit makes them, and the reads start once they are
	# scraped (however late memsight first names the memcg, or however fast the disk).
	head -c $((48 * MIB)) /dev/urandom >"$READ_FILE"
	spawn_in_memcg "$reader_dir" "$HELPERS/readmap" "$READ_FILE"
	reap $SPAWNED_PID
	check "the reader's major faults, file charges and reclaim stalls are scraped before its reads" \
		wait_for 30 reader_scraped
	head -c $((128 * MIB)) /dev/urandom >"$READ_FILE"
	major_before=$(stat_of "$reader_dir" pgmajfault)
	for round in 1 2; do
		spawn_in_memcg "$reader_dir" "$HELPERS/readmap" "$READ_FILE"
		reap $SPAWNED_PID
		expect_eq "read $round finished" "$REAPED_STATUS" 0
		sleep 1.5
	done
	rm -f "$READ_FILE"
	major_reads=$(($(stat_of "$reader_dir" pgmajfault) - major_before))
	check "the kernel counted the reads' major faults in the reader's memory.stat ($major_reads)" \
		test "$major_reads" -gt 1000
else
	skip "major faults and reclaim stalls: /var/tmp is not block-backed (its page cache can't come from disk)"
fi

reap "$runc_pid"
killed_at=$(date +%s)
expect_eq "the container was OOM-killed (runc exit status)" "$REAPED_STATUS" 137
check "memsight named it (oom_kill line with pod $POD)" wait_for 10 sh -c \
	"grep '\"type\":\"oom_kill\"' '$WORK/run.json' | grep -q '\"pod\":\"$POD\"'"
sleep 3 # three scrapes after the kill
T_END=$(date +%s)
span=$((T_END - T_START))
bpf_stats=$(promql "memsight_bpf_stats_enabled{node=\"$NODE_NAME\"}")

# evaluate PASS VAR=VALUE...: every query of the dashboard into $WORK/PASS.jsonl
evaluate() {
	local pass=$1
	shift
	local args=() kv
	for kv in __rate_interval=$RATE __interval=1s __interval_ms=1000 __range=${span}s \
		__range_s=$span __range_ms=$((span * 1000)) __from=$((T_START * 1000)) \
		__to=$((T_END * 1000)) "$@"; do
		args+=(--var "$kv")
	done
	$PYTHON "$ROOT/tests/integration/dashboard_eval.py" "$DASHBOARD" "http://127.0.0.1:$PROM_PORT" \
		--start "$T_START" --end "$T_END" --step 1 "${args[@]}" >"$WORK/$pass.jsonl" 2>"$WORK/$pass.err"
}

# panel_max PASS TITLE [REF]: the largest value any series of the panel's queries (an
# annotation's with KIND=annotation) reached, "none" when none came back
panel_max() {
	jq -rs --arg k "${KIND:-panel}" --arg t "$2" --arg r "${3:-}" '
		[.[] | select(.kind == $k and .title == $t and ($r == "" or .ref == $r)) | .series[]?] as $s
		| if ($s | length) == 0 then "none" else ([$s[].max | select(. != null)] | max // "null") end' \
		"$WORK/$1.jsonl"
}

# expect_data PASS TITLE [REF] [ABOVE]: series came back (with a value above ABOVE)
expect_data() {
	local got what="$1: $2${3:+ ($3)}"
	got=$(panel_max "$1" "$2" "${3:-}")
	if [ "$got" == none ]; then
		not_ok "$what has data"
	elif [ -n "${4:-}" ] && ! awk -v g="$got" -v a="$4" 'BEGIN { exit !(g + 0 > a + 0) }'; then
		not_ok "$what above $4: max $got"
	else
		ok "$what has data (max $got)"
	fi
}

expect_no_data() {
	expect_eq "$1: $2 has no data" "$(panel_max "$1" "$2")" none
}

# expect_when PASS TITLE LOW HIGH: the panel's largest value, a Unix time in ms, in [LOW, HIGH] s
expect_when() {
	local got
	got=$(panel_max "$1" "$2")
	within "$1: ${KIND:-panel} $2 at the kill (s)" "$(awk -v g="$got" 'BEGIN { printf "%d", g / 1000 }')" "$3" "$4"
}

# all_run PASS: every query ran, and there is one record per query of the dashboard
all_run() {
	local want got bad
	want=$(jq '[(.templating.list[] | select(.type == "query")),
		(.annotations.list[] | select(.datasource.type == "prometheus")),
		(.panels[] | ., (.panels // [])[] | .targets // [] | .[])] | length' "$DASHBOARD")
	got=$(wc -l <"$WORK/$1.jsonl")
	expect_eq "$1: every query of the dashboard evaluated" "$got" "$want"
	bad=$(jq -r 'select(.status != "success") | "\(.kind) \(.title) \(.ref // ""): \(.error)"' "$WORK/$1.jsonl")
	if [ -z "$bad" ]; then
		ok "$1: all $got queries parse and run (Prometheus status success)"
	else
		not_ok "$1: queries that failed: $bad"
	fi
}

echo "queries with the pod picked: node=$NODE_NAME namespace=$NS pod=$POD container=$CTR"
evaluate pod node="$NODE_NAME" namespace="$NS" pod="$POD" container="$CTR" cgroup='.*'
all_run pod
for v in node:"$NODE_NAME" namespace:"$NS" pod:"$POD"; do
	check_jq "variable ${v%%:*} offers ${v#*:}" -s --arg n "${v%%:*}" --arg v "${v#*:}" \
		'any(.[]; .kind == "variable" and .title == $n and (.values | index($v)))' "$WORK/pod.jsonl"
done
check_jq "variable container offers exactly [$CTR] in that pod" -s --arg c "$CTR" \
	'any(.[]; .kind == "variable" and .title == "container" and .values == [$c])' "$WORK/pod.jsonl"
expect_data pod "Usage, working set and limit" A $((8 * MIB))
expect_data pod "Usage, working set and limit" B $((8 * MIB))
expect_eq "pod: limit series is the container's limit" "$(panel_max pod "Usage, working set and limit" C)" $LIMIT
expect_data pod "Anonymous memory and page cache" A $((32 * MIB))
expect_data pod "Working set / limit" "" 0.5
expect_data pod "Time to limit" "" 0
expect_data pod "Minor page faults" "" 100
expect_data pod "Major page faults"
expect_data pod "Charges by kind" A $MIB
expect_data pod "Net charge per container" "" $MIB
expect_data pod "OOM kills" "" 0.5
expect_data pod "OOM kills in range" "" 0.5
expect_when pod "Last OOM kill" "$started_at" "$killed_at"
KIND=annotation expect_when pod "OOM kills" "$started_at" "$killed_at" # its value is the time
expect_data pod "OOM risk episodes" "" 0.5
expect_data pod "OOM risk episodes in range" "" 0.5
expect_data pod "Leak suspects" "" 0
check_jq "pod: the charges are anon" -s \
	'[.[] | select(.title == "Charges by kind" and .ref == "A") | .series[] | select(.max > 0) | .labels.kind] | index("anon")' \
	"$WORK/pod.jsonl"
check_jq "pod: every series with a pod label is the test's pod" -s --arg p "$POD" \
	'[.[] | .series[]?.labels | select(has("pod")) | .pod] | all(. == $p)' "$WORK/pod.jsonl"
check_jq "pod: every series with a cgroup label is the pod's cgroup" -s --arg c "$PREFIX/$pod_rel" \
	'[.[] | .series[]?.labels | select(has("cgroup")) | .cgroup] | all(. == $c)' "$WORK/pod.jsonl"
check_jq "pod: the legend's labels are on the series (namespace, pod, container)" -s \
	--arg n "$NS" --arg p "$POD" --arg c "$CTR" \
	'[.[] | select(.title == "Usage, working set and limit") | .series[].labels] | length > 0 and
	 all(.namespace == $n and .pod == $p and .container == $c)' "$WORK/pod.jsonl"

echo "memsight's own cost and losses on node $NODE_NAME"
expect_data pod "Agent CPU" "" 0
expect_data pod "Agent resident memory" "" $MIB
if [ "$bpf_stats" == 1 ]; then
	expect_data pod "BPF run time" "" 0
	expect_data pod "BPF cost per run" "" 0
else
	skip "BPF run time: kernel.bpf_stats_enabled is off (memsight_bpf_stats_enabled=${bpf_stats:-?})"
fi
for ref in A B C; do expect_data pod "Lost events and counts" $ref; done
expect_data pod "Lost events"
expect_data pod "Agents"

echo "queries with the plain memcgs picked: All, cgroup=~\"$PREFIX/plain/.*\""
evaluate plain node="$NODE_NAME" namespace='$__all' pod='$__all' container='$__all' \
	cgroup="$PREFIX/plain/.*"
all_run plain
expect_data plain "Usage, working set and limit" A $((32 * MIB))
expect_data plain "Usage, working set and limit" B $((32 * MIB))
expect_data plain "Usage, working set and limit" C $((16 * MIB))
expect_data plain "Minor page faults" "" 100
expect_data plain "Charges by kind" A $MIB
expect_data plain "Net charge per container"
if [ $READS == 1 ]; then
	expect_data plain "Major page faults" "" 1
	expect_data plain "Reclaim stall latency" "" 0
	expect_data plain "Time stalled in reclaim" "" 0
	check_jq "plain: file pages charged" -s \
		'[.[] | select(.title == "Charges by kind" and .ref == "A") | .series[] | select(.max > 0) | .labels.kind] | index("file")' \
		"$WORK/plain.jsonl"
	# What Prometheus holds of the reader, for a reader of a failure: every scraped sample.
	[ $FAILURES -eq 0 ] || curl -s "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode \
		"query={__name__=~\"memsight_page_faults_total|memsight_memcg_charged_bytes_total|up\", cgroup=~\"(.*/plain/reader)?\"}[${span}s]" |
		jq -r '.data.result[] | "\(.metric.__name__) \(.metric.type // .metric.kind // ""): \([.values[] | "\(.[0] | floor % 1000)=\(.[1])"] | join(" "))"' >&2
fi
expect_no_data plain "OOM kills"
expect_no_data plain "Last OOM kill"
check_jq "plain: every series with a cgroup label is one of the plain memcgs" -s --arg p "$PREFIX/plain/" \
	'[.[] | .series[]?.labels | select(has("cgroup")) | .cgroup] | length > 0 and all(startswith($p))' \
	"$WORK/plain.jsonl"
check_jq "plain: they have no pod, namespace or container" -s \
	'[.[] | .series[]?.labels | select(has("cgroup"))] | all(has("pod") or has("namespace") or has("container") | not)' \
	"$WORK/plain.jsonl"

# Every panel showed something in one pass or the other (reclaim needs the file reader).
empty=$(jq -rs --slurpfile d "$DASHBOARD" --argjson reads $READS '
	[.[] | select(.kind == "panel" and (.series | length) > 0) | .title] as $full
	| [$d[0].panels[] | ., (.panels // [])[] | select(.type != "row") | .title
	   | select(($full | index(.)) == null)
	   | select($reads == 1 or (. != "Reclaim stall latency" and . != "Time stalled in reclaim"))]
	| join(", ")' "$WORK/pod.jsonl" "$WORK/plain.jsonl")
expect_eq "every panel has data in one of the two passes" "${empty:-all do}" "all do"

kill "$holder_pid" 2>/dev/null
reap "$holder_pid"
stop_memsight
finish
