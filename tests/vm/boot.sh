#!/bin/bash
# Boots a kernel under qemu (TCG: no KVM needed) with a busybox initramfs, runs one
# script inside, streams its output here and exits with its status.
#
# Usage: tests/vm/boot.sh -k KERNEL_DIR [options] SCRIPT [ARGS...]
#   -k DIR       a Debian linux-image package unpacked with dpkg-deb -x
#   -a ARCH      amd64 | arm64 (default: from DIR's name)
#   -b SRC[:DST] copy ELF SRC, its shared libraries (from the sysroot) and its loader
#   -f SRC:DST   copy a file or folder into the guest
#   -m MODULE    insmod MODULE and what it depends on, before the script
#   -O DIR       the guest's /out comes back into DIR (tar over the console)
#   -M MB        memory (1024); -s N cpus (2); -T SEC timeout (900)
#   -A ARGS      more kernel command line (e.g. possible_cpus=256)
#   -d MB        an ext4 disk of MB MiB (NVMe, built into Debian's cloud kernels) at
#                /var/tmp: a block-backed file system, so page cache is page cache
#   -S DIR       sysroot for -b (default / for amd64, build/vm/sysroot-arm64 for arm64)
#   -v           print the whole console log on stderr
# Exit: the script's status; 124 on timeout; 125 when the guest never reported an end
# (a panic or a hang): the console's tail is printed then.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
VM=${VM_DIR:-$(cd "$HERE/../.." && pwd)/build/vm}
ARCH='' KDIR='' MEM=1024 SMP=2 TIMEOUT=900 VERBOSE=0 OUTDIR='' SYSROOT='' CMDLINE='' DISK_MB=0
BINS=() FILES=() MODS=()
while getopts "k:a:b:f:m:O:M:s:T:S:A:d:v" o; do
	case $o in
	k) KDIR=$OPTARG ;; a) ARCH=$OPTARG ;; b) BINS+=("$OPTARG") ;; f) FILES+=("$OPTARG") ;;
	m) MODS+=("$OPTARG") ;; O) OUTDIR=$OPTARG ;; M) MEM=$OPTARG ;; s) SMP=$OPTARG ;;
	T) TIMEOUT=$OPTARG ;; S) SYSROOT=$OPTARG ;; A) CMDLINE=$OPTARG ;; d) DISK_MB=$OPTARG ;;
	v) VERBOSE=1 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
SCRIPT=${1:?usage: boot.sh -k KERNEL_DIR [options] SCRIPT [ARGS...]}
shift
[ -d "$KDIR" ] || { echo "boot: -k $KDIR is not an unpacked kernel" >&2; exit 2; }
[ -n "$ARCH" ] || case $KDIR in *arm64*) ARCH=arm64 ;; *) ARCH=amd64 ;; esac
VMLINUZ=$(ls "$KDIR"/boot/vmlinuz-* | head -1)
KVER=${VMLINUZ##*/vmlinuz-}
MODDIR=$KDIR/lib/modules/$KVER
[ -d "$MODDIR" ] || MODDIR=$KDIR/usr/lib/modules/$KVER
case $ARCH in
amd64)
	BUSYBOX=/bin/busybox
	SYSROOT=${SYSROOT:-/}
	TRIPLET=x86_64-linux-gnu
	QEMU=(qemu-system-x86_64 -M pc -cpu "${VM_CPU:-max}")
	CONSOLE=ttyS0
	;;
arm64)
	SYSROOT=${SYSROOT:-$VM/sysroot-arm64}
	BUSYBOX=$SYSROOT/bin/busybox
	TRIPLET=aarch64-linux-gnu
	# cortex-a57 emulates about 3x faster than "max" under TCG
	QEMU=(qemu-system-aarch64 -M virt -cpu "${VM_CPU:-cortex-a57}")
	CONSOLE=ttyAMA0
	;;
*) echo "boot: unknown arch $ARCH" >&2; exit 2 ;;
esac

WORK=$(mktemp -d "${TMPDIR:-/tmp}/memsight-vm.XXXXXX")
ROOTFS=$WORK/root
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$ROOTFS"/usr/{bin,sbin,lib,lib64} "$ROOTFS"/{dev,proc,sys,tmp,run,out,modules,etc,root}
for l in bin sbin lib lib64; do ln -s usr/$l "$ROOTFS/$l"; done # merged /usr, as Debian
mknod "$ROOTFS/dev/console" c 5 1
mknod "$ROOTFS/dev/null" c 1 3
cp "$BUSYBOX" "$ROOTFS/usr/bin/busybox"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' >"$ROOTFS/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$ROOTFS/etc/group"

# --- ELF files with their libraries, for the guest's arch ------------------------------
guest_path() {
	local p=${1#/}
	case $p in lib/* | lib64/* | bin/* | sbin/*) p=usr/$p ;; esac
	echo "$p"
}
find_lib() {
	local d
	for d in lib/$TRIPLET usr/lib/$TRIPLET lib usr/lib lib64 usr/lib64; do
		[ -e "$SYSROOT/$d/$1" ] && { echo "/$d/$1"; return; }
	done
	echo "boot: library $1 not found in $SYSROOT" >&2
	return 1
}
declare -A COPIED
copy_elf() { # GUEST_PATH [SOURCE]
	local dst=$1 src=${2:-$SYSROOT/${1#/}} interp lib
	[ -n "${COPIED[$dst]:-}" ] && return
	COPIED[$dst]=1
	mkdir -p "$(dirname "$ROOTFS/$(guest_path "$dst")")"
	cp -L "$src" "$ROOTFS/$(guest_path "$dst")"
	interp=$(readelf -lW "$src" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
	[ -n "$interp" ] && copy_elf "$interp"
	for lib in $(readelf -dW "$src" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		copy_elf "$(find_lib "$lib")"
	done
}
for b in ${BINS[@]+"${BINS[@]}"}; do
	src=${b%%:*} dst=${b#*:}
	[ "$dst" = "$b" ] && dst=$src
	[ -e "$SYSROOT/${src#/}" ] && [ "$SYSROOT" != / ] && src=$SYSROOT/${src#/}
	copy_elf "$dst" "$src"
done
for f in ${FILES[@]+"${FILES[@]}"}; do
	mkdir -p "$ROOTFS/$(dirname "${f#*:}")"
	cp -a "${f%%:*}" "$ROOTFS/${f#*:}"
done

# --- modules: dependencies from each module's own modinfo ------------------------------
ORDER=()
add_module() {
	local m=$1 f dep x
	for x in ${ORDER[@]+"${ORDER[@]}"}; do [ "$x" = "$m" ] && return; done
	f=$(find "$MODDIR" -name "$m.ko*" -o -name "${m//_/-}.ko*" | head -1)
	if [ -z "$f" ]; then
		grep -q "/$m.ko" "$MODDIR/modules.builtin" 2>/dev/null && return
		echo "boot: module $m not in $KVER" >&2
		return 1
	fi
	case $f in
	*.xz) xz -dc "$f" >"$ROOTFS/modules/$m.ko" ;;
	*.zst) zstd -qdc "$f" >"$ROOTFS/modules/$m.ko" ;;
	*) cp "$f" "$ROOTFS/modules/$m.ko" ;;
	esac
	for dep in $(strings "$ROOTFS/modules/$m.ko" | sed -n 's/^depends=//p' | tr , ' '); do
		add_module "$dep"
	done
	ORDER+=("$m")
}
for m in ${MODS[@]+"${MODS[@]}"}; do add_module "$m"; done
printf '%s\n' ${ORDER[@]+"${ORDER[@]}"} >"$ROOTFS/modules/order"

cp "$SCRIPT" "$ROOTFS/test"
chmod +x "$ROOTFS/test"
printf '%q ' "$@" >"$ROOTFS/test.args"
cat >"$ROOTFS/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox --install -s /bin 2>/dev/null
export PATH=/usr/local/bin:/usr/bin:/usr/sbin:/bin:/sbin HOME=/root TMPDIR=/tmp
echo "@@VM-INIT uptime=$(cut -d' ' -f1 /proc/uptime) kernel=$(uname -r)"
mkdir -p /sys/fs/cgroup /sys/kernel/tracing /sys/fs/bpf /sys/kernel/debug /dev/pts /dev/shm
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tracefs tracefs /sys/kernel/tracing
mount -t bpf bpf /sys/fs/bpf
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /dev/shm
mount -t devpts devpts /dev/pts
ip link set lo up # tests serve and scrape /metrics on 127.0.0.1
for m in $(cat /modules/order); do insmod /modules/$m.ko || echo "@@VM-WARN insmod $m failed"; done
mkdir -p /var/tmp
if [ -f /disk.want ]; then # the NVMe namespace appears asynchronously after boot
	for i in $(seq 100); do [ -b /dev/nvme0n1 ] && break; sleep 0.1; done
	mount -t ext4 /dev/nvme0n1 /var/tmp || echo "@@VM-WARN no disk at /var/tmp"
fi
echo "@@VM-BEGIN"
eval "/test $(cat /test.args)" </dev/null
rc=$?
echo "@@VM-END rc=$rc uptime=$(cut -d' ' -f1 /proc/uptime)"
if [ -n "$(ls -A /out)" ]; then
	echo 1 >/proc/sys/kernel/printk
	echo "@@VM-OUT-BEGIN"
	tar -C /out -czf - . | base64
	echo "@@VM-OUT-END"
fi
sync
poweroff -f
INIT
chmod +x "$ROOTFS/init"
DISK=()
if [ "$DISK_MB" -gt 0 ]; then
	truncate -s "${DISK_MB}M" "$WORK/disk.img"
	mkfs.ext4 -q -F "$WORK/disk.img"
	touch "$ROOTFS/disk.want"
	DISK=(-drive "file=$WORK/disk.img,if=none,format=raw,id=scratch,cache=unsafe"
		-device "nvme,drive=scratch,serial=memsight-scratch")
fi

# The host busybox packs the archive whatever the guest arch.
(cd "$ROOTFS" && find . | /bin/busybox cpio -o -H newc -R 0:0 2>/dev/null | gzip -1) >"$WORK/initrd.gz"

LOG=$WORK/console.log
start=$(date +%s%N)
set +e
timeout --foreground -k 5 "$TIMEOUT" "${QEMU[@]}" -smp "$SMP" -m "$MEM" -nodefaults \
	-no-user-config -display none -no-reboot -serial "file:$LOG" -kernel "$VMLINUZ" \
	-initrd "$WORK/initrd.gz" -append "console=$CONSOLE panic=-1 quiet $CMDLINE" \
	${DISK[@]+"${DISK[@]}"} </dev/null
qemu_rc=$?
set -e
wall=$((($(date +%s%N) - start) / 1000000))
tr -d '\r' <"$LOG" >"$LOG.txt"
[ $VERBOSE = 1 ] && cat "$LOG.txt" >&2
sed -n '/^@@VM-BEGIN$/,/^@@VM-END /{/^@@VM-/d;p}' "$LOG.txt"
if [ -n "$OUTDIR" ] && grep -q '^@@VM-OUT-END' "$LOG.txt"; then
	mkdir -p "$OUTDIR"
	sed -n '/^@@VM-OUT-BEGIN/,/^@@VM-OUT-END/{/^@@VM-/d;p}' "$LOG.txt" | base64 -d | tar -xzf - -C "$OUTDIR"
fi
init_at=$(sed -n 's/^@@VM-INIT uptime=\([0-9.]*\).*/\1/p' "$LOG.txt")
echo "boot: $ARCH $KVER: init at ${init_at:-?} s guest time, ${wall} ms wall" >&2
if [ $qemu_rc = 124 ]; then
	echo "boot: timed out after $TIMEOUT s; console tail:" >&2
	tail -30 "$LOG.txt" >&2
	exit 124
fi
rc=$(sed -n 's/^@@VM-END rc=\([0-9]*\).*/\1/p' "$LOG.txt")
if [ -z "$rc" ]; then
	echo "boot: the guest never reported an end (qemu status $qemu_rc); console tail:" >&2
	tail -30 "$LOG.txt" >&2
	exit 125
fi
exit "$rc"
