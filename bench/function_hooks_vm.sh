#!/bin/bash
# bench/function_hooks.sh inside a test VM (tests/vm: the kernel's own hooks, under TCG, so
# the figures compare programs with each other, not with real hardware).
#
# Usage: bench/function_hooks_vm.sh KERNEL [ROUNDS] [MIB]   (KERNEL as in tests/vm/kernels.list)
#        VM_DIR as for tests/vm/run.sh; HOOKS="fentry kprobe" (default) the hooks measured,
#        FAMILIES="charges faults" (default) the programs (bench/function_hooks.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
VM=${VM_DIR:-build/vm}
k=${1:?usage: bench/function_hooks_vm.sh KERNEL [ROUNDS] [MIB]}
rounds=${2:-5} mib=${3:-100}
build=build sysroot=/ make_args=()
if [ "${k##*-}" = arm64 ]; then
	build=build/aarch64 sysroot=$VM/sysroot-arm64
	make_args=(ARCH=aarch64 CROSS_SYSROOT="$sysroot" OUTPUT=$build)
fi
make --no-print-directory "${make_args[@]}" all $build/tests/hog $build/bench/empty_loader \
	$build/bench/empty_fentry.bpf.o $build/bench/empty_kprobe.bpf.o
guest=$(mktemp)
trap 'rm -f "$guest"' EXIT
cat >"$guest" <<GUEST
#!/bin/bash
cd /memsight
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd # process substitution
for hook in ${HOOKS:-fentry kprobe}; do FAMILIES="${FAMILIES:-charges faults}" bench/function_hooks.sh \$hook $rounds $mib; done
GUEST
args=(-k "$VM/kernels/$k" -s 1 -M 2048)
[ "${k##*-}" = arm64 ] && args+=(-S "$sysroot")
for bin in memsight tests/hog bench/empty_loader; do args+=(-b "$build/$bin:/memsight/build/$bin"); done
for tool in bash jq bpftool sort join getconf; do
	for d in usr/bin bin usr/sbin sbin; do
		[ -x "$sysroot/$d/$tool" ] && { args+=(-b "$sysroot/$d/$tool:/usr/bin/$tool"); break; }
	done
done
args+=(-f bench/function_hooks.sh:/memsight/bench/function_hooks.sh)
for hook in fentry kprobe; do
	args+=(-f "$build/bench/empty_$hook.bpf.o:/memsight/build/bench/empty_$hook.bpf.o")
done
tests/vm/boot.sh "${args[@]}" "$guest"
