#!/bin/bash
# `memsight recommend` against real Prometheus servers.
#  - A week of memsight's series for five workloads of two pods each (steady, spiky,
#    OOM-killed twice, leaking, an hour old) and one with hostile label values, written
#    by recommend_series.py, loaded with `promtool tsdb create-blocks-from openmetrics`,
#    served by a real Prometheus. Each recommendation is checked against the same
#    figures asked of Prometheus here in PromQL of the test's own (per pod, grouped by the
#    generator's truth, not by memsight's rule) and the README's method applied to them
#    in jq; the pods' grouping against the names the generator gave; table, JSON and
#    YAML, the YAML read by a YAML parser and its `resources` blocks validated against
#    the Kubernetes schemas as the chart's renderings are (tests/chart/validate.js).
#  - A live one: a docker container with a 256 MiB limit running a 48 MiB sawtooth under
#    `memsight run`, scraped every second by a second Prometheus for about 80 seconds;
#    `recommend --window 2m` must give it a limit above the peak the kernel saw
#    (memory.max_usage_in_bytes / memory.peak) and below its own limit.
#  - The errors: Prometheus unreachable, a server that is not Prometheus, no memsight
#    series, none in the window, a namespace with none, bad options.
source "$(dirname "$0")/lib.sh"

MIB=$((1 << 20))
LIVE_WAIT_S=80 # the live case's 2m window needs half of itself (60 s) of history, plus scrapes
export CHART_NODE_MODULES=${CHART_TOOLS:-$ROOT/build/tools/chart}/node_modules

# recommend_to NAME ARGS...: runs recommend; NAME.out, NAME.err and RC.
recommend_to() {
	local name=$1
	shift
	"$MEMSIGHT" recommend "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
	RC=$?
}

# expect_failure DESCRIPTION RC PATTERN NAME: exit code RC and one stderr line matching.
expect_failure() {
	local err="$WORK/$4.err"
	expect_eq "$1: exit $2" "$RC" "$2"
	if [ "$(wc -l <"$err")" -eq 1 ] && grep -q -e "$3" "$err"; then
		ok "$1: $(cat "$err")"
	else
		not_ok "$1: stderr is not one line with '$3': $(head -c 300 "$err")"
	fi
	check "$1: nothing on stdout" test ! -s "$WORK/$4.out"
}

# counted DESCRIPTION SCRIPT ARGS...: a node script's ok/FAIL lines, counted here.
counted() {
	local what=$1 out rc=0 fails
	shift
	echo "-- $what"
	out=$(node "$@") || rc=$?
	grep -e '^  FAIL ' <<<"$out"
	CHECKS=$((CHECKS + $(grep -c -e '^  ok   ' -e '^  FAIL ' <<<"$out" || true)))
	fails=$(grep -c '^  FAIL ' <<<"$out" || true)
	FAILURES=$((FAILURES + fails))
	echo "  ($(grep -c '^  ok   ' <<<"$out" || true) ok)"
	if [ "$rc" -ne 0 ] && [ "$fails" -eq 0 ]; then
		not_ok "$what: $(basename "$1") exited $rc"
	fi
}

for tool in curl jq promtool prometheus python3 node; do
	command -v $tool >/dev/null || not_ok "$tool is installed (make deps installs it)"
done
[ $FAILURES -eq 0 ] || finish
if ! "$ROOT/tests/chart/run.sh" --tools-only >"$WORK/tools.log" 2>&1; then
	not_ok "the chart's schema tools (tests/chart/run.sh --tools-only: $(tail -2 "$WORK/tools.log"))"
	finish
fi

# --- the live case starts first: its history grows while the week is checked ----------
echo "a live container: docker run -m 256m, a 48 MiB sawtooth, memsight run, Prometheus scraping every 1s"
if ! ensure_dockerd || ! build_hog_image; then
	not_ok "docker and the test image (log: $(tail -3 "$WORK/dockerd.log" "$WORK/image.err" 2>/dev/null))"
	finish
fi
LIVE_PROM_PORT=$(free_port)
AGENT_PORT=$(free_port)
LIVE_PROM="http://127.0.0.1:$LIVE_PROM_PORT"
cat >"$WORK/live.yml" <<CONF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: memsight
    static_configs:
      - targets: ["127.0.0.1:$AGENT_PORT"]
CONF
check "Prometheus (live) started" start_prometheus "$LIVE_PROM_PORT" "$WORK/live.yml" "$WORK/live-data"
recommend_to none --prometheus "$LIVE_PROM" --window 5m
expect_failure "before memsight is scraped" 1 "has no memsight series" none

name="memsight-recommend-$$"
$DOCKER run -d -m 256m --memory-swap 256m --network none --name "$name" memsight-test-hog \
	--comm rechog --step-ms 50 --free-at 48 >/dev/null 2>"$WORK/docker.err"
check "the container runs ($(head -c 200 "$WORK/docker.err"))" \
	sh -c "[ \"\$($DOCKER inspect -f '{{.State.Running}}' $name 2>/dev/null)\" = true ]"
pid=$($DOCKER inspect -f '{{.State.Pid}}' "$name")
# Its memory cgroup as the kernel names it (v1: the memory line; v2: the 0:: line).
cg=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ || ($1 == 0 && $2 == "") { print $3; exit }' "/proc/$pid/cgroup")
if [ $CGROUP_V2 -eq 1 ]; then cgdir="/sys/fs/cgroup$cg"; else cgdir="/sys/fs/cgroup/memory$cg"; fi
check "its memcg is found ($cgdir)" test -d "$cgdir"
"$MEMSIGHT" run --listen "127.0.0.1:$AGENT_PORT" --interval 1s --cgroup "$cg" \
	>"$WORK/live-agent.json" 2>"$WORK/live-agent.err" &
BG_PIDS+=($!)
LIVE_START=$SECONDS
check "memsight run serves /metrics" wait_for 30 grep -q 'serving http://' "$WORK/live-agent.err"

# --- a week in a TSDB ------------------------------------------------------------------
echo "a week of series: recommend_series.py -> promtool tsdb create-blocks-from openmetrics"
END=$(($(date +%s) - 1200)) # the newest sample 20 minutes old: a 10m window has none
python3 "$ROOT/tests/integration/recommend_series.py" "$END" "$WORK/week.om" "$WORK/truth.json"
check "the OpenMetrics text is generated ($(wc -l <"$WORK/week.om") lines)" test -s "$WORK/week.om"
check "promtool loads it into blocks" sh -c "promtool tsdb create-blocks-from openmetrics \
	--max-block-duration=168h '$WORK/week.om' '$WORK/week-data' >'$WORK/promtool.log' 2>&1"
printf 'global:\n  scrape_interval: 15s\nscrape_configs: []\n' >"$WORK/week.yml"
WEEK_PORT=$(free_port)
PROM="http://127.0.0.1:$WEEK_PORT"
check "Prometheus (week) started on the blocks" start_prometheus "$WEEK_PORT" "$WORK/week.yml" "$WORK/week-data"

T=$(date +%s)
recommend_to table --prometheus "$PROM"
expect_eq "table: exit 0 ($(head -c 200 "$WORK/table.err"))" "$RC" 0
recommend_to json --prometheus "$PROM" --format json
expect_eq "json: exit 0" "$RC" 0
recommend_to yaml --prometheus "$PROM" --format yaml
expect_eq "yaml: exit 0" "$RC" 0
JSON="$WORK/json.out"
check_jq "every JSON line is an object with the contract's fields" -s 'length > 0 and all(.[];
	has("namespace") and has("workload") and has("container") and has("current_limit_bytes")
	and has("working_set_p99_bytes") and has("working_set_max_bytes") and has("oom_kills")
	and has("leak_suspected") and has("recommended_request_bytes")
	and has("recommended_limit_bytes") and has("reason"))' "$JSON"
expect_eq "six workloads: the five, the hostile one; not the cgroup without a container" \
	"$(jq -s length "$JSON")" 6
expect_eq "grouped as the generator named the pods" \
	"$(jq -sc '[.[] | select(.namespace != "lab") | [.namespace, .workload, .container, .pods]]' "$JSON")" \
	"$(jq -c '[.workloads[] | [.namespace, .workload, .container, (.pods | length)]]' "$WORK/truth.json")"
echo "== each workload against PromQL and the method"

# q QUERY: the first value of an instant query at T, as Prometheus wrote it.
q() {
	curl -s "$PROM/api/v1/query" --data-urlencode "query=$1" --data-urlencode "time=$T" |
		jq -r '.data.result[0].value[1] // "absent"'
}

# What the README's method gives for these figures (jq's doubles, as memsight's).
METHOD='def mib: if . > 0 then ((. / 1048576 - 1e-9) | ceil) * 1048576 else 0 end;
	if $leak >= 1 then {request: null, limit: null}
	elif $history < 86400 then {request: null, limit: null}
	else ($p99 * (1 + 0.15) | mib) as $request
	| ($max * (if $risks > 0 then 1 + 0.25 else 1 + 0.15 end) | mib) as $from_peak
	| (if $kills > 0 then [$from_peak, ($kill_limit * (1 + 0.25) | mib)] | max
	   else $from_peak end) as $limit
	| {request: $request, limit: ([$limit, $request] | max)} end'

check_workload() {
	local w=$1 ns workload container pods sel line p99 max kills risks leak limit kill_limit
	local history expect reason
	ns=$(jq -r .namespace <<<"$w")
	workload=$(jq -r .workload <<<"$w")
	container=$(jq -r .container <<<"$w")
	pods=$(jq -r '.pods | join("|")' <<<"$w")
	sel="{namespace=\"$ns\",container=\"$container\",pod=~\"$pods\"}"
	line=$(jq -c --arg n "$ns" --arg w "$workload" 'select(.namespace == $n and .workload == $w)' "$JSON")
	echo "-- $ns/$workload ($(jq -r .case <<<"$w")): $(jq -r .reason <<<"$line")"
	p99=$(q "max(quantile_over_time(0.99, memsight_memory_working_set_bytes$sel[7d]))")
	max=$(q "max(max_over_time(memsight_memory_working_set_bytes$sel[7d]))")
	kills=$(q "sum(max_over_time(memsight_oom_kills_total$sel[7d]))")
	risks=$(q "sum(max_over_time(memsight_oom_risks_total$sel[7d]))")
	leak=$(q "max(max_over_time(memsight_leak_suspected$sel[7d]))")
	limit=$(q "max(last_over_time(memsight_memory_limit_bytes$sel[7d]))")
	kill_limit=$(q "max(max_over_time(memsight_memory_limit_bytes$sel[7d])
		and on(container_id) max_over_time(memsight_oom_kills_total$sel[7d]) > 0)")
	[ "$kill_limit" = absent ] && kill_limit=0
	# the generator knows when each pod's first sample was; the last is END
	history=$(jq -r --argjson last "$END" '$last - .first' <<<"$w")
	check_jq_line "working_set_p99_bytes is PromQL's highest pod p99 ($p99)" \
		".working_set_p99_bytes == ($p99 | round)" "$line"
	check_jq_line "working_set_max_bytes is PromQL's peak ($max)" ".working_set_max_bytes == ($max | round)" "$line"
	check_jq_line "oom_kills: PromQL's $kills, the generator's $(jq .kills <<<"$w")" \
		".oom_kills == $kills and .oom_kills == $(jq .kills <<<"$w")" "$line"
	check_jq_line "oom_risks: PromQL's $risks, the generator's $(jq .risks <<<"$w")" \
		".oom_risks == $risks and .oom_risks == $(jq .risks <<<"$w")" "$line"
	check_jq_line "leak_suspected: PromQL's $leak, the generator's $(jq .leak <<<"$w")" \
		".leak_suspected == ($leak >= 1) and .leak_suspected == $(jq .leak <<<"$w")" "$line"
	check_jq_line "current_limit_bytes: PromQL's $limit" ".current_limit_bytes == $limit" "$line"
	# history to the first-seen subquery's step (a thousandth of the window) and a scrape
	check_jq_line "history_s within 11 minutes of the generator's $history" \
		"(.history_s - $history) | fabs <= 660" "$line"
	expect=$(jq -nc --argjson p99 "$p99" --argjson max "$max" --argjson kills "$kills" \
		--argjson risks "$risks" --argjson leak "$leak" --argjson kill_limit "$kill_limit" \
		--argjson history "$history" "$METHOD")
	check_jq_line "request and limit as the method gives: $expect" \
		"{request: .recommended_request_bytes, limit: .recommended_limit_bytes} == $expect" "$line"
	case $(jq -r .case <<<"$w") in
	steady) reason='^p99 working set [0-9]+ MiB \\+ 15% margin; limit: peak [0-9]+ MiB \\+ 15%$' ;;
	spiky) reason='^p99 working set [0-9]+ MiB \\+ 15% margin; limit: peak [0-9]+ MiB \\+ 25% \\(1 OOM risk episode\\)$' ;;
	oom) reason='^raised: 2 OOM kills at 512 MiB, limit 512 MiB \\+ 25%; request: p99 working set [0-9]+ MiB \\+ 15% margin$' ;;
	leak) reason='^not recommended: leaking, fix the leak first$' ;;
	history) reason='^too little history: [0-9]+m of the 24h needed$' ;;
	esac
	check_jq_line "the reason says why" ".reason | test(\"$reason\")" "$line"
}

while read -r w; do
	check_workload "$w"
done < <(jq -c '.workloads[]' "$WORK/truth.json")

echo "== the cases, in numbers"
check_jq "spiky: the limit covers the spikes (> 850 MiB), the request the usual 200 MiB (< 300 MiB)" \
	-s '.[] | select(.workload == "search") | .recommended_limit_bytes > 850 * 1048576
		and .recommended_request_bytes < 300 * 1048576' "$JSON"
check_jq "OOM-killed: the limit is raised above the 512 MiB it died at" \
	-s '.[] | select(.workload == "ledger") | .recommended_limit_bytes == 640 * 1048576
		and .current_limit_bytes == 512 * 1048576' "$JSON"
check_jq "kinds from the pod names: Deployment, StatefulSet, DaemonSet" -s \
	'map({(.workload): .kind}) | add | .checkout == "Deployment" and .ledger == "StatefulSet"
		and (."log-agent" | startswith("DaemonSet"))' "$JSON"

echo "== hostile label values"
check_jq "JSON: the hostile names read back exactly" -s \
	'.[] | select(.namespace == "lab") | .workload == "ev\"il\\pod #: x\n"
		and .container == "c\u001b[31mred\u2028x"' "$JSON"
check "table: no control bytes" sh -c "! LC_ALL=C grep -q -P '[\\x00-\\x09\\x0b-\\x1f\\x7f]' '$WORK/table.out'"
expect_eq "table: a header and a line per workload" "$(wc -l <"$WORK/table.out")" 7
check "table: the header" grep -q '^NAMESPACE  WORKLOAD  ' "$WORK/table.out"
check "table: the hostile names with '?' for what can't be shown" \
	grep -qF 'c?[31mred?x' "$WORK/table.out"
for workload in checkout search ledger log-agent pricing; do
	check "table: $workload's line and reason" sh -c \
		"grep -E '^[a-z]+ +$workload ' '$WORK/table.out' | grep -q -F \"\$(jq -r 'select(.workload == \"$workload\") | .reason' '$JSON')\""
done
expect_eq "yaml: a document per workload" "$(grep -c '^---$' "$WORK/yaml.out")" 6
check "yaml: a kubectl line for the Deployment" grep -q \
	"^# kubectl -n shop set resources deployment/checkout -c app --requests=memory=[0-9]*Mi --limits=memory=[0-9]*Mi$" \
	"$WORK/yaml.out"
counted "yaml: parsed and compared with the JSON" "$ROOT/tests/integration/recommend_yaml.js" \
	"$WORK/yaml.out" "$JSON" "$WORK/wrapped.yaml"
counted "yaml: its resources blocks in Deployments, against the Kubernetes schemas" \
	"$ROOT/tests/chart/validate.js" "$WORK/wrapped.yaml"

echo "== --namespace, and what has no data"
recommend_to shop --prometheus "$PROM" --namespace shop --format json
expect_eq "--namespace shop: its three workloads" "$(jq -sc 'map(.workload)' "$WORK/shop.out")" \
	'["checkout","pricing","search"]'
recommend_to nope --prometheus "$PROM" --namespace nope
expect_failure "a namespace without series" 1 "no memsight series of containers in namespace 'nope'" nope
recommend_to stale --prometheus "$PROM" --window 10m
expect_failure "a window without data (the newest sample is 20 minutes old)" 1 \
	"holds no memsight data in the last 10m" stale
recommend_to down --prometheus "http://127.0.0.1:$(free_port)"
expect_failure "Prometheus unreachable" 1 "can't reach Prometheus at http://127.0.0.1:" down
recommend_to notprom --prometheus "http://127.0.0.1:$AGENT_PORT/"
expect_failure "a server that is not Prometheus (memsight's own)" 1 \
	"doesn't answer as a Prometheus server: HTTP 404" notprom
recommend_to creds --prometheus "http://user:s3cret@127.0.0.1:$(free_port)"
check "credentials in the URL stay out of messages" sh -c "! grep -q s3cret '$WORK/creds.err'"
recommend_to badformat --prometheus "$PROM" --format xml
expect_failure "--format xml" 2 "not one of table, json, yaml" badformat
recommend_to badwindow --prometheus "$PROM" --window week
expect_failure "--window week" 2 "invalid duration 'week'" badwindow
recommend_to badurl --prometheus "prometheus:9090"
expect_failure "a URL without a scheme" 2 "is not an http:// or https:// URL" badurl
recommend_to nourl
expect_failure "no --prometheus" 2 "recommend needs --prometheus URL" nourl

# --- back to the live container --------------------------------------------------------
left=$((LIVE_WAIT_S - (SECONDS - LIVE_START)))
echo "the live container: $((SECONDS - LIVE_START)) s of scrapes so far; ${left} s more"
[ "$left" -gt 0 ] && sleep "$left"
recommend_to live --prometheus "$LIVE_PROM" --window 2m --format json
expect_eq "recommend --window 2m: exit 0 ($(head -c 200 "$WORK/live.err"))" "$RC" 0
line=$(jq -c --arg n "$name" 'select(.container == $n)' "$WORK/live.out")
echo "  $line"
if [ $CGROUP_V2 -eq 1 ]; then
	kernel_peak=$(cat "$cgdir/memory.peak" 2>/dev/null || echo 0)
else
	kernel_peak=$(cat "$cgdir/memory.max_usage_in_bytes")
fi
check_jq_line "the container is a workload of its own (no pod, no namespace)" \
	".workload == \"$name\" and .namespace == \"\" and .kind == \"container\" and .pods == 0" "$line"
check_jq_line "recommended: $(jq -r .reason <<<"$line" 2>/dev/null)" \
	'.recommended_request_bytes > 0 and .recommended_limit_bytes >= .recommended_request_bytes' "$line"
check_jq_line "its current limit is docker's -m 256m" ".current_limit_bytes == $((256 * MIB))" "$line"
check_jq_line "its peak working set is the sawtooth's 48 MiB and a little" \
	".working_set_max_bytes >= $((40 * MIB)) and .working_set_max_bytes <= $((64 * MIB))" "$line"
check_jq_line "the limit is above the peak memsight saw" \
	'.recommended_limit_bytes > .working_set_max_bytes' "$line"
check_jq_line "the limit is above the peak the kernel saw ($kernel_peak)" \
	".recommended_limit_bytes > $kernel_peak" "$line"
check_jq_line "the limit is below the container's 256 MiB" \
	".recommended_limit_bytes < $((256 * MIB))" "$line"
check_jq_line "history: most of the time it was scraped" ".history_s >= 60 and .history_s <= 120" "$line"
$DOCKER rm -f "$name" >/dev/null 2>&1

finish
