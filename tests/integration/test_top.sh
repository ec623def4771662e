#!/bin/bash
# `memsight top` in a real terminal (tmux, fixed size) and in --batch: rows for test
# memcgs with known workloads, sort keys, the filter, an OOM-killed container kept on
# screen, narrow terminals, TERM=dumb, hostile names, and a clean exit on q.
source "$(dirname "$0")/lib.sh"

MIB=$((1 << 20))
# The test's own tmux server (not the user's), kept alive by a session of its own: a
# server whose last session is killed exits, and a new-session racing that exit fails.
TMUX_SOCKET="memsight-test-$$"
SESSION="memsight-top-$$"
if ! command -v tmux >/dev/null; then
	not_ok "tmux is installed (make deps installs it)"
	finish
fi

tmux -L $TMUX_SOCKET new-session -d -s keepalive "sleep 3600"
trap 'cleanup_tmux; cleanup' EXIT
# pane: the visible screen of the test's tmux session.
pane() { tmux -L $TMUX_SOCKET capture-pane -t "$SESSION" -p; }
# row_of TEXT: the screen line (1-based) of the first row containing TEXT, or nothing.
row_of() { pane | grep -nF -- "$1" | head -1 | cut -d: -f1; }
# column N of the row containing TEXT, as a number ("40.2k" -> 40200, "128M" -> bytes).
column_of() {
	pane | grep -F -- "$1" | head -1 | awk -v n="$2" '{
		v = $n; m = 1
		if (v ~ /k$/) m = 1000; else if (v ~ /K$/) m = 1024; else if (v ~ /M$/) m = 1048576
		else if (v ~ /G$/) m = 1073741824
		sub(/[kKMG]$/, "", v); printf "%d\n", v * m }'
}
start_top() { # start_top WIDTH HEIGHT ARGS...
	local w=$1 h=$2
	shift 2
	tmux -L $TMUX_SOCKET kill-session -t "$SESSION" 2>/dev/null
	tmux -L $TMUX_SOCKET new-session -d -s "$SESSION" -x "$w" -y "$h" \
		"$(printf '%q ' "$MEMSIGHT" top "$@"); echo \"exit=\$?\" >'$WORK/top.exit'; sleep 600"
}
quit_top() {
	tmux -L $TMUX_SOCKET send-keys -t "$SESSION" q
	wait_for 10 test -s "$WORK/top.exit"
}
cleanup_tmux() {
	tmux -L $TMUX_SOCKET kill-server 2>/dev/null
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TMUX_SOCKET"
}

echo "two workloads, clearly different fault rates and sizes"
fast=$(make_memcg fast)
slow=$(make_memcg slow)
spawn_in_memcg "$fast" sh -c 'while :; do "$0" --max-mib 64; done' "$HELPERS/hog"
BG_PIDS+=($SPAWNED_PID)
spawn_in_memcg "$slow" "$HELPERS/hog" --max-mib 128 --hold --progress "$WORK/slow-progress"
BG_PIDS+=($SPAWNED_PID)
spawn_in_memcg "$slow" sh -c 'while :; do "$0" --max-mib 1; sleep 0.5; done' "$HELPERS/hog"
BG_PIDS+=($SPAWNED_PID)
wait_for 30 sh -c "[ \"\$(cat '$WORK/slow-progress' 2>/dev/null)\" = $((128 * MIB)) ]"

start_top 160 30 --cgroup "$PREFIX" --interval 500ms
check "the fast workload's row appears" wait_for 10 sh -c "tmux -L $TMUX_SOCKET capture-pane -t $SESSION -p | grep -qF '$PREFIX/fast'"
sleep 1.2 # two refreshes with both workloads in full swing
within "its minor faults per second are non-zero" "$(column_of "$PREFIX/fast" 5)" 1000 100000000
check "the header names the node and memory" sh -c "tmux -L $TMUX_SOCKET capture-pane -t $SESSION -p | head -1 | grep -q 'memory .* total'"
check "the footer lists the sort keys" sh -c "tmux -L $TMUX_SOCKET capture-pane -t $SESSION -p | tail -1 | grep -q 'f faults'"
within "sorted by usage (the default): the 128 MiB holder first" "$(($(row_of "$PREFIX/fast") - $(row_of "$PREFIX/slow")))" 1 100
usage=$(cat "$slow/memory.usage_in_bytes" 2>/dev/null || cat "$slow/memory.current")
within "its usage column agrees with the kernel's ($usage)" "$(column_of "$PREFIX/slow" 1)" $((usage * 9 / 10)) $((usage * 11 / 10))
tmux -L $TMUX_SOCKET send-keys -t "$SESSION" f
sleep 0.3
within "f: sorted by faults, the fast workload first" "$(($(row_of "$PREFIX/slow") - $(row_of "$PREFIX/fast")))" 1 100
check "f: the sort column is marked" sh -c "tmux -L $TMUX_SOCKET capture-pane -t $SESSION -p | grep -q '[*]MINFLT/s'"
tmux -L $TMUX_SOCKET send-keys -t "$SESSION" u
sleep 0.3
within "u: back to usage order" "$(($(row_of "$PREFIX/fast") - $(row_of "$PREFIX/slow")))" 1 100
tmux -L $TMUX_SOCKET send-keys -t "$SESSION" / s l o w Enter
sleep 0.3
check "/slow: the filter keeps the slow row" sh -c "tmux -L $TMUX_SOCKET capture-pane -t $SESSION -p | grep -qF '$PREFIX/slow'"
check "/slow: and hides the fast one" sh -c "! tmux -L $TMUX_SOCKET capture-pane -t $SESSION -p | grep -qF '$PREFIX/fast'"
tmux -L $TMUX_SOCKET send-keys -t "$SESSION" / Escape
sleep 0.3
check "Esc clears the filter" sh -c "tmux -L $TMUX_SOCKET capture-pane -t $SESSION -p | grep -qF '$PREFIX/fast'"
tmux -L $TMUX_SOCKET send-keys -t "$SESSION" h
sleep 0.3
check "h shows the help" sh -c "tmux -L $TMUX_SOCKET capture-pane -t $SESSION -p | grep -q 'sort by page faults per second'"
tmux -L $TMUX_SOCKET send-keys -t "$SESSION" x
sleep 0.3
tmux -L $TMUX_SOCKET send-keys -t "$SESSION" ' '
sleep 0.3
check "space pauses" sh -c "tmux -L $TMUX_SOCKET capture-pane -t $SESSION -p | sed -n 2p | grep -q PAUSED"
tmux -L $TMUX_SOCKET send-keys -t "$SESSION" ' '
tmux -L $TMUX_SOCKET resize-window -t "$SESSION" -x 100 -y 20 2>/dev/null || tmux -L $TMUX_SOCKET resize-pane -t "$SESSION" -x 100 -y 20
sleep 0.8
check "after a resize to 100 columns no line is wider" sh -c "! tmux -L $TMUX_SOCKET capture-pane -t $SESSION -p | awk 'length > 100' | grep -q ."
check "... and the table is still there" sh -c "tmux -L $TMUX_SOCKET capture-pane -t $SESSION -p | grep -q 'MINFLT/s'"
quit_top
expect_eq "q exits with status 0" "$(cat "$WORK/top.exit")" exit=0
check "the terminal is restored (not in the alternate screen)" sh -c "[ \"\$(tmux -L $TMUX_SOCKET display -p -t $SESSION '#{alternate_on}')\" = 0 ]"
check "... and the table is gone from it" sh -c "! tmux -L $TMUX_SOCKET capture-pane -t $SESSION -p | grep -q 'MINFLT/s'"

echo "a 60-column terminal: the least important columns go first"
rm -f "$WORK/top.exit"
start_top 60 20 --cgroup "$PREFIX" --interval 500ms
wait_for 10 sh -c "tmux -L $TMUX_SOCKET capture-pane -t $SESSION -p | grep -q 'USAGE'"
sleep 0.6
check "no line is wider than 60" sh -c "! tmux -L $TMUX_SOCKET capture-pane -t $SESSION -p | awk 'length > 60' | grep -q ."
check "USAGE and %LIM stay" sh -c "tmux -L $TMUX_SOCKET capture-pane -t $SESSION -p | grep 'USAGE' | grep -q '%LIM'"
check "LIMIT and LASTOOM are dropped" sh -c "! tmux -L $TMUX_SOCKET capture-pane -t $SESSION -p | grep 'USAGE' | grep -qE 'LIMIT |LASTOOM'"
quit_top

echo "--batch against the same workloads"
"$MEMSIGHT" top --batch --iterations 4 --interval 500ms --cgroup "$PREFIX" >"$WORK/batch.txt" 2>"$WORK/batch.err"
expect_eq "exits 0 after 4 snapshots" $? 0
expect_eq "4 snapshots" "$(grep -c '^memsight top' "$WORK/batch.txt")" 4
last=$(awk '/^memsight top/ { n++ } n == 4' "$WORK/batch.txt")
batch_col() { awk -v p="$1" -v n="$2" 'index($0, p) { v = $n; m = 1
	if (v ~ /k$/) m = 1000; else if (v ~ /K$/) m = 1024; else if (v ~ /M$/) m = 1048576; else if (v ~ /G$/) m = 1073741824
	sub(/[kKMG]$/, "", v); printf "%d\n", v * m; exit }' <<<"$last"; }
fast_rate=$(batch_col "$PREFIX/fast" 5)
slow_rate=$(batch_col "$PREFIX/slow" 5)
within "the fast workload faults at least 5x the slow one ($fast_rate vs $slow_rate)" "$fast_rate" $((slow_rate * 5 + 1)) 1000000000
usage=$(cat "$slow/memory.usage_in_bytes" 2>/dev/null || cat "$slow/memory.current")
within "the holder's usage agrees with the kernel's ($usage)" "$(batch_col "$PREFIX/slow" 1)" $((usage * 9 / 10)) $((usage * 11 / 10))
check "no terminal control bytes in --batch" sh -c "! grep -q \$'\\e' '$WORK/batch.txt'"

echo "TERM=dumb on a terminal: plain snapshots, said on stderr"
rm -f "$WORK/top.exit"
tmux -L $TMUX_SOCKET kill-session -t "$SESSION" 2>/dev/null
tmux -L $TMUX_SOCKET new-session -d -s "$SESSION" -x 160 -y 40 \
	"TERM=dumb $(printf '%q ' "$MEMSIGHT") top --iterations 2 --interval 300ms --cgroup $PREFIX 2>'$WORK/dumb.err'; echo \"exit=\$?\" >'$WORK/top.exit'; sleep 600"
wait_for 15 test -s "$WORK/top.exit"
expect_eq "exits 0" "$(cat "$WORK/top.exit")" exit=0
check "stderr says why" grep -q 'TERM is dumb' "$WORK/dumb.err"
expect_eq "two plain snapshots on the terminal" "$(pane | grep -c '^memsight top')" 2
check "the rows are there" sh -c "tmux -L $TMUX_SOCKET capture-pane -t $SESSION -p | grep -qF '$PREFIX/fast'"

echo "a hostile cgroup name can't reach the terminal"
evil=$(make_memcg $'evil\e[31mRED\e]0;title\a')
spawn_in_memcg "$evil" sh -c 'while :; do "$0" --max-mib 4; sleep 0.1; done' "$HELPERS/hog"
BG_PIDS+=($SPAWNED_PID)
rm -f "$WORK/top.exit"
start_top 160 30 --cgroup "$PREFIX" --interval 300ms
check "its row shows the escape as '?'" wait_for 10 sh -c "tmux -L $TMUX_SOCKET capture-pane -t $SESSION -p | grep -qF 'evil?[31mRED?]0;title?'"
check "no colour reached the pane" sh -c "! tmux -L $TMUX_SOCKET capture-pane -e -t $SESSION -p | grep -q \$'\\e\\[31m'"
quit_top

echo "an OOM-killed container stays on screen, marked"
if ! ensure_dockerd || ! build_hog_image; then
	not_ok "docker and the test image (log: $(tail -3 "$WORK/dockerd.log" "$WORK/image.err" 2>/dev/null))"
	cleanup_tmux
	finish
fi
name="memsight-top-$$"
rm -f "$WORK/top.exit"
start_top 160 30 --cgroup /docker --interval 300ms
wait_for 10 sh -c "tmux -L $TMUX_SOCKET capture-pane -t $SESSION -p | grep -q 'USAGE'"
$DOCKER run -m 32m --memory-swap 32m --network none --name "$name" memsight-test-hog --comm tophog >/dev/null 2>&1
expect_eq "the container was killed (137)" $? 137
$DOCKER rm -f "$name" >/dev/null 2>&1
tmux -L $TMUX_SOCKET send-keys -t "$SESSION" o
check "its row is there after it exited, marked with its kill" wait_for 10 sh -c "tmux -L $TMUX_SOCKET capture-pane -t $SESSION -p | grep -F '$name' | grep -qF '[exited: OOM-killed]'"
expect_eq "its OOM column counts the kill" "$(column_of "$name" 8)" 1
check "LASTOOM says how long ago" sh -c "tmux -L $TMUX_SOCKET capture-pane -t $SESSION -p | grep -F '$name' | awk '{ print \$9 }' | grep -qE '^[0-9]+s$'"
quit_top
cleanup_tmux
finish
