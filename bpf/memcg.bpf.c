// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Charges per memcg and kind: signed deltas per stat item, in the item's own
 * unit. Only the items userspace listed are touched: the rest return at the
 * first compare.
 *
 * Hooks, best first (userspace picks by probe, see load_plan.c):
 * - tp_btf/mod_memcg_state + mod_memcg_lruvec_state: the memcg tracepoints,
 *   newest kernels only (absent from Debian's 6.12 and older).
 * - fentry, else kprobe, on the functions those tracepoints were later put
 *   in: __mod_memcg_state and __mod_memcg_lruvec_state (core_fixes.bpf.h
 *   says which kernels have them and what each misses).
 * - none: userspace falls back to memory.stat deltas.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "memsight.h"
#include "core_fixes.bpf.h"
#include "counting.bpf.h"

/*
 * Per stat item: its kind + 1 (0: not ours) and its unit in bytes (pages,
 * KiB or bytes: item names say which). Filled by userspace from kernel BTF.
 */
const volatile __u8 item_kind[MEMSIGHT_STAT_ITEMS_MAX] = {};
const volatile __u32 item_unit[MEMSIGHT_STAT_ITEMS_MAX] = {};

_Static_assert(MEMSIGHT_STAT_ITEMS_MAX == 128, "the asm mask below is 127");

/* How a hook hands over the memcg (a constant in each caller: the other branches fold away). */
enum charge_memcg_from {
	MEMCG_TRUSTED,	 /* a BTF pointer (tp_btf, fentry): direct loads */
	MEMCG_UNTRUSTED, /* an address (kprobe): read with CO-RE */
	LRUVEC, /* a memcg's per-node lruvec: its memcg is a container_of, read with CO-RE */
};

static __always_inline int count_charge(void *memcg_or_lruvec, enum charge_memcg_from from,
					int item, int val)
{
	struct memsight_memcg_counts *c;
	struct mem_cgroup *memcg = memcg_or_lruvec;
	__u32 idx = (__u32)item, kind, unit;
	__u64 bytes;

	if (idx >= MEMSIGHT_STAT_ITEMS_MAX || !val)
		return 0;
	/*
	 * The compiler drops a mask it can prove redundant, and the verifier then
	 * loses the bound it checked on another register: mask in asm.
	 */
	asm volatile("%[idx] &= 127" : [idx] "+r"(idx));
	kind = item_kind[idx];
	unit = item_unit[idx];
	if (!kind || kind > MEMSIGHT_CHARGE_KINDS || !memcg_or_lruvec)
		return 0;
	kind--;
	if (from == LRUVEC) {
		memcg = lruvec_memcg(memcg_or_lruvec);
		if (!memcg)
			return 0;
	}
	if (from == MEMCG_TRUSTED)
		c = memcg_counts(memcg->id.id, memcg->css.serial_nr, &memcg->css);
	else
		c = memcg_counts(BPF_CORE_READ(memcg, id.id), BPF_CORE_READ(memcg, css.serial_nr),
				 &memcg->css);
	if (!c)
		return 0;
	if (kind >= MEMSIGHT_CHARGE_KINDS) /* for the verifier: kind indexes two arrays */
		return 0;
	if (val > 0) {
		bytes = (__u64)val * unit;
		__sync_fetch_and_add(&c->charged[kind], bytes);
	} else {
		bytes = (__u64)(-(__s64)val) * unit;
		__sync_fetch_and_add(&c->uncharged[kind], bytes);
	}
	return 0;
}

SEC("tp_btf/mod_memcg_state")
int BPF_PROG(charges_memcg_state, struct mem_cgroup *memcg, int item, int val)
{
	return count_charge(memcg, MEMCG_TRUSTED, item, val);
}

SEC("tp_btf/mod_memcg_lruvec_state")
int BPF_PROG(charges_lruvec_state, struct mem_cgroup *memcg, int item, int val)
{
	return count_charge(memcg, MEMCG_TRUSTED, item, val);
}

/* Kernels without the tracepoints: the functions, same arguments but the lruvec's. */
SEC("fentry/__mod_memcg_state")
int BPF_PROG(charges_memcg_state_fentry, struct mem_cgroup *memcg, int item, int val)
{
	if (memcg_state_repeats_lruvec(item))
		return 0;
	return count_charge(memcg, MEMCG_TRUSTED, item, val);
}

SEC("fentry/__mod_memcg_lruvec_state")
int BPF_PROG(charges_lruvec_state_fentry, struct lruvec *lruvec, int item, int val)
{
	return count_charge(lruvec, LRUVEC, item, val);
}

/*
 * Where fentry is refused: on arm64 it also needs ftrace direct calls
 * (CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS: not in Debian's arm64 6.1, in its 6.12).
 */
SEC("kprobe/__mod_memcg_state")
int BPF_KPROBE(charges_memcg_state_kprobe, struct mem_cgroup *memcg, int item, int val)
{
	if (memcg_state_repeats_lruvec(item))
		return 0;
	return count_charge(memcg, MEMCG_UNTRUSTED, item, val);
}

SEC("kprobe/__mod_memcg_lruvec_state")
int BPF_KPROBE(charges_lruvec_state_kprobe, struct lruvec *lruvec, int item, int val)
{
	return count_charge(lruvec, LRUVEC, item, val);
}
