#!/bin/bash
# `memsight run`: /metrics, /healthz and /readyz on a live agent. The page is checked by
# promtool and read back with the Prometheus project's Python parser; the figures are
# compared with the kernel's own accounting and with docker's; a real Prometheus server
# scrapes the agent and answers a query for an OOM kill.
source "$(dirname "$0")/lib.sh"

MIB=$((1 << 20))
# Debian's python3, whose prometheus_client is installed by make deps
PYTHON=/usr/bin/python3
TOMBSTONE_S=12
LOG="$WORK/run.json"

# scrape PATH [CURL ARGS...]: the body; HTTP_STATUS is the status code.
scrape() {
	local path=$1
	shift
	HTTP_STATUS=$(curl -s -o "$WORK/body" -w '%{http_code}' "$@" "http://$ADDR$path")
	cat "$WORK/body"
}

# value SAMPLE LABEL=VALUE...: from a fresh scrape, through the independent parser.
value() {
	scrape /metrics >"$WORK/metrics.txt"
	$PYTHON "$ROOT/tests/integration/prom_value.py" "$WORK/metrics.txt" "$@"
}

# has_sample FILE SAMPLE LABEL=VALUE...: some sample matches.
has_sample() {
	$PYTHON "$ROOT/tests/integration/prom_value.py" "$@" >/dev/null
}

# has_sample_now SAMPLE LABEL=VALUE...: in a fresh scrape, with value 1.
has_sample_now() {
	scrape /metrics >"$WORK/now.txt"
	[ "$($PYTHON "$ROOT/tests/integration/prom_value.py" "$WORK/now.txt" "$@")" = 1 ]
}

for tool in curl promtool prometheus $PYTHON; do
	command -v $tool >/dev/null || not_ok "$tool is installed (make deps installs it)"
done
$PYTHON -c 'import prometheus_client' 2>/dev/null || not_ok "python3-prometheus-client is installed"
[ $FAILURES -eq 0 ] || finish

echo "memsight run --listen 127.0.0.1:0: the endpoints"
"$MEMSIGHT" run --listen 127.0.0.1:0 --interval 200ms --tombstone ${TOMBSTONE_S}s >"$LOG" 2>"$LOG.err" &
MEMSIGHT_PID=$!
BG_PIDS+=("$MEMSIGHT_PID")
wait_for 20 grep -q 'serving http://' "$LOG.err"
ADDR=$(sed -n 's|.*serving http://\([^/]*\)/metrics.*|\1|p' "$LOG.err" | head -1)
check "the bound address is printed ($ADDR)" test -n "$ADDR"
wait_for 20 sh -c "curl -sf http://$ADDR/readyz >/dev/null"
expect_eq "/readyz once attached" "$(scrape /readyz)" ready
expect_eq "/healthz while the loop turns" "$(scrape /healthz)" ok
scrape /nope >/dev/null
expect_eq "an unknown path is 404" "$HTTP_STATUS" 404
scrape /metrics -X POST >/dev/null
expect_eq "POST is 405" "$HTTP_STATUS" 405
expect_eq "HEAD /metrics is 200" "$(curl -s -I -o /dev/null -w '%{http_code}' "http://$ADDR/metrics")" 200
check "Content-Type is the exposition format" sh -c "curl -sI http://$ADDR/metrics | grep -qi '^Content-Type: text/plain; version=0.0.4'"
check "JSON lines still stream on stdout" wait_for 5 grep -q '"type":"agent_stats"' "$LOG"

# The server as Python's HTTP client and raw sockets find it, against RFC 9112: one
# connection for several requests, pipelined ones answered in order, 1.0 closed after
# one, and each refusal answered whole before the close (not lost to a reset).
echo "the HTTP server, read by another client"
$PYTHON "$ROOT/tests/integration/http_protocol.py" "$ADDR" >"$WORK/http.txt" 2>&1
http_case() { sed -n "s|^$1: ||p" "$WORK/http.txt"; }
expect_eq "three requests on one keep-alive connection" "$(http_case keep-alive)" "200 200 200 on 1 connection(s)"
expect_eq "pipelined GET, HEAD, GET answered in order" "$(http_case pipelined)" "200 ok, 200 -, 200 ready"
expect_eq "HTTP/1.0 without keep-alive: answered, then closed" "$(http_case http/1.0)" "200 closed"
expect_eq "a request head over 8 KiB: 431" "$(http_case 'head over 8 KiB')" "431 closed"
expect_eq "a path of 300 bytes: 414" "$(http_case 'path of 300 bytes')" "414 closed"
expect_eq "HTTP/2.0 in the request line: 505" "$(http_case HTTP/2.0)" "505 closed"
expect_eq "HTTP/1.1 without Host: 400" "$(http_case 'no Host')" "400 closed"
expect_eq "POST with a 100 KB body: 405, read whole" "$(http_case 'POST with 100 KB')" "405 closed"

# A real Prometheus scrapes the agent every second from here on.
check "Prometheus started" prometheus_scraping "$ADDR"

echo "page faults and memory of a test memcg against memory.stat"
rel="kubepods/burstable/pod-metrics/faulter"
dir=$(make_memcg "$rel" $((256 * MIB)))
before=$(stat_of "$dir" pgfault)
spawn_in_memcg "$dir" "$HELPERS/hog" --max-mib 64 --hold --progress "$WORK/progress"
hog=$SPAWNED_PID
wait_for 30 sh -c "[ \"\$(cat '$WORK/progress' 2>/dev/null)\" = $((64 * MIB)) ]"
sleep 0.6 # three intervals: the counts are in
kernel=$(($(stat_of "$dir" pgfault) - before))
minor=$(value memsight_page_faults_total cgroup="$PREFIX/$rel" type=minor)
major=$(value memsight_page_faults_total cgroup="$PREFIX/$rel" type=major)
within "minor+major within 2% of memory.stat pgfault delta ($kernel)" $((minor + major)) $((kernel * 98 / 100)) $((kernel * 102 / 100))
if [ $CGROUP_V2 -eq 1 ]; then usage=$(cat "$dir/memory.current"); else usage=$(cat "$dir/memory.usage_in_bytes"); fi
within "usage gauge within 1 MiB of the kernel's ($usage)" "$(value memsight_memory_usage_bytes cgroup="$PREFIX/$rel")" $((usage - MIB)) $((usage + MIB))
expect_eq "limit gauge is the memcg's limit" "$(value memsight_memory_limit_bytes cgroup="$PREFIX/$rel")" $((256 * MIB))
within "anon charged covers the 64 MiB held" "$(value memsight_memcg_charged_bytes_total cgroup="$PREFIX/$rel" kind=anon)" $((64 * MIB)) $((72 * MIB))
kill "$hog"
reap "$hog"

echo "hostile cgroup names: quotes, backslashes, braces, malformed UTF-8"
# (the kernel refuses a newline in a cgroup name; the unit tests cover its escape)
evil=$'evil"} 1 fake_metric{x="\\\xff'
mkdir "$MEMCG_ROOT$PREFIX/$evil"
spawn_in_memcg "$MEMCG_ROOT$PREFIX/$evil" "$HELPERS/hog" --max-mib 8
reap $SPAWNED_PID
sleep 0.6
scrape /metrics >"$WORK/evil.txt"
check "promtool check metrics passes" promtool check metrics <"$WORK/evil.txt"
check "no injected sample" sh -c "! grep -q '^fake_metric' '$WORK/evil.txt'"
expected="$PREFIX/${evil%$'\xff'}"$'\xef\xbf\xbd'
check "the name reads back exactly, malformed byte as U+FFFD" has_sample "$WORK/evil.txt" memsight_page_faults_total cgroup="$expected" type=minor
rmdir "$MEMCG_ROOT$PREFIX/$evil"

echo "a docker container OOM-killed"
if ! ensure_dockerd || ! build_hog_image; then
	not_ok "docker and the test image (log: $(tail -3 "$WORK/dockerd.log" "$WORK/image.err" 2>/dev/null))"
	finish
fi
name="memsight-metrics-$$"
$DOCKER run -m 32m --memory-swap 32m --network none --name "$name" memsight-test-hog --comm metricshog >/dev/null 2>&1
expect_eq "container exited 137 (killed)" $? 137
id=$($DOCKER inspect -f '{{.Id}}' "$name")
check "docker says it was OOM-killed" sh -c "[ \"\$($DOCKER inspect -f '{{.State.OOMKilled}}' $name)\" = true ]"
$DOCKER rm -f "$name" >/dev/null 2>&1
sleep 0.6
scrape /metrics >"$WORK/oom.txt"
check "promtool check metrics passes" promtool check metrics <"$WORK/oom.txt"
expect_eq "memsight_oom_kills_total for the container" "$($PYTHON "$ROOT/tests/integration/prom_value.py" "$WORK/oom.txt" memsight_oom_kills_total container_id="$id" container="$name")" 1
# 32 MiB filled before the kill: at least half of it page by page
within "its minor faults cover what it filled" "$($PYTHON "$ROOT/tests/integration/prom_value.py" "$WORK/oom.txt" memsight_page_faults_total container_id="$id" type=minor)" 4096 1000000
expect_eq "marked exited" "$($PYTHON "$ROOT/tests/integration/prom_value.py" "$WORK/oom.txt" memsight_container_info container_id="$id" runtime=docker exited=true)" 1
scraped() { [ "$(promql 'up{job="memsight"}')" = 1 ]; }
check "Prometheus has scraped memsight (up == 1)" wait_for 20 scraped
kills=
for _ in $(seq 1 50); do
	kills=$(promql "memsight_oom_kills_total{container_id=\"$id\"}")
	[ "$kills" = 1 ] && break
	sleep 0.2
done
expect_eq "Prometheus answers a query for the kill" "$kills" 1
expect_eq "... with the container's name as a label" "$(curl -s "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=memsight_oom_kills_total{container_id=\"$id\"}" | jq -r '.data.result[0].metric.container')" "$name"

echo "series go once the tombstone ($TOMBSTONE_S s) expires"
check "the container's series are gone" wait_for $((TOMBSTONE_S + 10)) sh -c "! curl -s http://$ADDR/metrics | grep -q '$id'"
check "the test memcg's series stay" sh -c "curl -s http://$ADDR/metrics | grep -q 'faulter'"
stop_memsight

echo "an OOM kill is on /metrics at once, not at the end of the interval (--interval 1h)"
"$MEMSIGHT" run --listen 127.0.0.1:0 --interval 1h --cgroup "$PREFIX" >"$WORK/slow.json" 2>"$WORK/slow.err" &
MEMSIGHT_PID=$!
BG_PIDS+=("$MEMSIGHT_PID")
wait_for 20 grep -q 'serving http://' "$WORK/slow.err"
ADDR=$(sed -n 's|.*serving http://\([^/]*\)/metrics.*|\1|p' "$WORK/slow.err" | head -1)
wait_for 20 sh -c "curl -sf http://$ADDR/readyz >/dev/null"
dir=$(make_memcg killed-now $((32 * MIB)))
spawn_in_memcg "$dir" "$HELPERS/hog" --comm killednow
reap $SPAWNED_PID
expect_eq "the kernel killed it" "$(oom_kill_count "$dir")" 1
check "memsight_oom_kills_total is 1 within seconds" wait_for 5 has_sample_now memsight_oom_kills_total cgroup="$PREFIX/killed-now"
stop_memsight

echo "/metrics is rendered for a scrape, at most once per interval; new figures on the next"
# -v logs each render: their count tells a page made anew from one served again
"$MEMSIGHT" run -v --listen 127.0.0.1:0 --interval 2s --cgroup "$PREFIX" >"$WORK/once.json" 2>"$WORK/once.err" &
MEMSIGHT_PID=$!
BG_PIDS+=("$MEMSIGHT_PID")
wait_for 20 grep -q 'serving http://' "$WORK/once.err"
ADDR=$(sed -n 's|.*serving http://\([^/]*\)/metrics.*|\1|p' "$WORK/once.err" | head -1)
wait_for 20 sh -c "curl -sf http://$ADDR/readyz >/dev/null"
renders() { grep -c '/metrics: .* rendered' "$WORK/once.err"; }
# minor_now: the test memcg's minor faults in a fresh scrape (nothing when absent)
minor_now() {
	scrape /metrics >"$WORK/once-now.txt"
	$PYTHON "$ROOT/tests/integration/prom_value.py" "$WORK/once-now.txt" memsight_page_faults_total cgroup="$PREFIX/scrape-once" type=minor 2>/dev/null
}
minor_above() { [ "$(minor_now)" -gt "$1" ] 2>/dev/null; }
dir=$(make_memcg scrape-once $((64 * MIB)))
spawn_in_memcg "$dir" "$HELPERS/hog" --max-mib 4
reap $SPAWNED_PID
check "the memcg's faults reach the page" wait_for 10 minor_above 0
before=$(renders)
sleep 4.5
expect_eq "no render while nobody scrapes (two intervals)" "$(renders)" "$before"
# Two scrapes a few ms apart, in one 2 s interval: one page, made at most once (the
# first of an interval makes it). Should an interval end between them, they try again.
once=
for _ in 1 2 3; do
	before=$(renders)
	scrape /metrics >"$WORK/once-1.txt"
	scrape /metrics >"$WORK/once-2.txt"
	made=$(($(renders) - before))
	if [ $made -le 1 ] && cmp -s "$WORK/once-1.txt" "$WORK/once-2.txt"; then
		once=$made
		break
	fi
done
check "two scrapes in one interval get the same page, rendered at most once" test -n "$once"
check "... which is a whole page (promtool)" promtool check metrics <"$WORK/once-2.txt"
faults=$(minor_now)
spawn_in_memcg "$dir" "$HELPERS/hog" --max-mib 4
reap $SPAWNED_PID
check "a scrape after the next interval shows the new faults (more than $faults)" wait_for 10 minor_above "$faults"
stop_memsight

echo "/healthz fails when the main loop stalls (stdout blocked: a stuck log pipeline)"
mkfifo "$WORK/stuck"
sleep 600 <"$WORK/stuck" & # holds the pipe open, never reads
BG_PIDS+=($!)
"$MEMSIGHT" run --listen 127.0.0.1:0 --interval 20ms --cgroup / >"$WORK/stuck" 2>"$WORK/stuck.err" &
MEMSIGHT_PID=$!
BG_PIDS+=("$MEMSIGHT_PID")
wait_for 20 grep -q 'serving http://' "$WORK/stuck.err"
ADDR=$(sed -n 's|.*serving http://\([^/]*\)/metrics.*|\1|p' "$WORK/stuck.err" | head -1)
check "healthy at first" wait_for 10 sh -c "[ \"\$(curl -s http://$ADDR/healthz)\" = ok ]"
check "503 once the loop has stalled 10 s" wait_for 30 sh -c "curl -s -o /dev/null -w '%{http_code}' http://$ADDR/healthz | grep -q 503"
scrape /healthz >/dev/null
check "the reason says how long" grep -q 'main loop last turned' "$WORK/body"
kill -KILL "$MEMSIGHT_PID"

finish
