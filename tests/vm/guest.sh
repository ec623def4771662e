#!/bin/bash
# Runs inside a test VM (see boot.sh): memsight's own report of this kernel, then the
# integration tests, against cgroup v2 as the VM mounts it.
cd /memsight || exit 1
echo "guest: $(uname -r) $(uname -m), cgroup v2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
build/memsight features --json >/out/features.json 2>/out/features.err
for hook in tp_btf fentry tracepoint; do
	build/memsight features --json --oom-hook $hook >/out/features-$hook.json 2>/out/features-$hook.err
done
# the charge and fault function hooks, each asked for by name: which attach on this
# kernel, and why not
for hook in fentry kprobe; do
	build/memsight features --json --charge-hook $hook >/out/features-charges-$hook.json 2>/out/features-charges-$hook.err
	build/memsight features --json --fault-hook $hook >/out/features-faults-$hook.json 2>/out/features-faults-$hook.err
done
build/memsight features
# The guests carry the tools the tests compare with, but not bpftrace (LLVM and clang
# would triple the initramfs): tests say what they skip for that.
MEMSIGHT_TEST_VM=1 TESTS=${1:-} tests/integration/run.sh
