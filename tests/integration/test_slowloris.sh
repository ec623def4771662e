#!/bin/bash
# `memsight run` under a slowloris: 64 connections from the probes' own address
# (127.0.0.1, as a hostNetwork pod shares the kubelet's) that send a request line and
# then a header every 2-5 s, never finishing. /healthz and /metrics must keep answering
# within 2 s (a kubelet probe's budget), and the trickling connections must be closed
# by the server's deadline rather than held for as long as they trickle.
source "$(dirname "$0")/lib.sh"

LORIS_CONNECTIONS=64
LORIS_SECONDS=30
DEADLINE_S=10 # EXCHANGE_DEADLINE_S in user/http_server.c

echo "64 slowloris connections on 127.0.0.1: /healthz and /metrics keep answering"
"$MEMSIGHT" run --listen 127.0.0.1:0 --interval 1s --cgroup "$PREFIX" --duration 120s \
	>"$WORK/run.json" 2>"$WORK/run.err" &
MEMSIGHT_PID=$!
BG_PIDS+=("$MEMSIGHT_PID")
wait_for 30 grep -q 'serving http://' "$WORK/run.err"
ADDR=$(sed -n 's|.*serving http://\([^/]*\)/metrics.*|\1|p' "$WORK/run.err" | head -1)
if [ -z "$ADDR" ]; then
	not_ok "memsight run started (stderr: $(head -c 500 "$WORK/run.err"))"
	finish
fi
check "ready before the attack" wait_for 20 sh -c "curl -sf http://$ADDR/readyz >/dev/null"

python3 "$ROOT/tests/integration/slowloris.py" "${ADDR##*:}" $LORIS_CONNECTIONS $LORIS_SECONDS \
	>"$WORK/loris.out" 2>"$WORK/loris.err" &
loris=$!
BG_PIDS+=($loris)
check "the $LORIS_CONNECTIONS connections are open" wait_for 10 grep -q "^holding $LORIS_CONNECTIONS" "$WORK/loris.out"

# One probe of each a second while the attack lasts; each must be a 200 within 2 s.
probes=0
failed=()
while kill -0 $loris 2>/dev/null; do
	for path in /healthz /metrics; do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$ADDR$path")
		probes=$((probes + 1))
		[ "$code" = 200 ] || failed+=("$path:$code@${SECONDS}s")
	done
	sleep 1
done
reap $loris
expect_eq "the slowloris helper ran to its end (stderr: $(head -c 200 "$WORK/loris.err"))" "$REAPED_STATUS" 0
within "probes made during the attack" $probes $((LORIS_SECONDS / 2)) $((LORIS_SECONDS * 2 + 4))
expect_eq "probes that got no 200 within 2 s (${failed[*]:0:6})" ${#failed[@]} 0

# opened=N closed_by_server=M longest_s=X
figures=$(tail -1 "$WORK/loris.out")
closed=$(sed -n 's/.*closed_by_server=\([0-9]*\).*/\1/p' <<<"$figures")
longest=$(sed -n 's/.*longest_s=\([0-9]*\).*/\1/p' <<<"$figures")
# every connection outlives the deadline once in 30 s: at least one closing each
within "trickling connections closed by the server ($figures)" "${closed:-0}" $LORIS_CONNECTIONS $((LORIS_CONNECTIONS * 20))
# the reaper looks once a second; 2 s of slack for a loaded machine
within "... within the ${DEADLINE_S} s deadline, bytes or not (longest, s)" "${longest:-999}" $((DEADLINE_S - 1)) $((DEADLINE_S + 2))
check "memsight still runs" kill -0 "$MEMSIGHT_PID"
expect_eq "/healthz after the attack" "$(curl -s --max-time 2 "http://$ADDR/healthz")" ok
stop_memsight

finish
