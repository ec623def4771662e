#!/bin/bash
# memsight's memory on this node, whatever its CPU count: peak RSS plus the kernel memory
# of its BPF maps (memlock in /proc/PID/fdinfo of each map fd) at most 64 MiB. The VM
# matrix runs this with possible_cpus=256 too: maps that were per-CPU cost 567 MiB there.
source "$(dirname "$0")/lib.sh"

LIMIT_KIB=$((64 * 1024))
possible=$(cat /sys/devices/system/cpu/possible 2>/dev/null)
# "0-255" or "0,2-3": count them
cpus=$(tr ',' '\n' <<<"$possible" | awk -F- '{ n += ($2 == "" ? 1 : $2 - $1 + 1) } END { print n }')
echo "footprint with $cpus possible CPUs ($possible)"

out="$WORK/footprint.json"
dir=$(make_memcg footprint)
start_memsight "$out" || finish
# Some work for every counting map: faults and charges in a memcg of ours.
spawn_in_memcg "$dir" "$HELPERS/hog" --max-mib 32
reap $SPAWNED_PID
expect_eq "workload finished" "$REAPED_STATUS" 0
sleep 0.6

maps_kib=0
: >"$WORK/maps.txt"
for f in /proc/"$MEMSIGHT_PID"/fdinfo/*; do
	grep -q '^map_type:' "$f" 2>/dev/null || continue
	awk '/^map_type:/ { t = $2 } /^memlock:/ { m = $2 } /^max_entries:/ { e = $2 }
		END { printf "%d %s %d\n", m / 1024, t, e }' "$f" >>"$WORK/maps.txt"
done
maps_kib=$(awk '{ s += $1 } END { print s + 0 }' "$WORK/maps.txt")
peak_kib=$(awk '/^VmHWM:/ { print $2 }' /proc/"$MEMSIGHT_PID"/status)
stop_memsight
echo "  maps by memlock (KiB, type, entries), largest first:"
sort -rn "$WORK/maps.txt" | head -6 | sed 's/^/    /'
check "memsight's maps found ($(wc -l <"$WORK/maps.txt"))" test -s "$WORK/maps.txt"
check "peak RSS read (${peak_kib:-?} KiB)" test "${peak_kib:-0}" -gt 0
echo "  peak RSS $peak_kib KiB + BPF maps $maps_kib KiB = $((peak_kib + maps_kib)) KiB at $cpus possible CPUs"
within "peak RSS + BPF map memory at most 64 MiB (KiB)" $((peak_kib + maps_kib)) 1 $LIMIT_KIB
check_jq "counted the workload's faults meanwhile" -s --arg p "$PREFIX/footprint" \
	'[.[] | select(.type == "container_stats" and .cgroup.path == $p) | .faults.minor] | add >= 8192' "$out"
finish
