/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_HOOK_CHOICE_H
#define MEMSIGHT_HOOK_CHOICE_H

/*
 * The hooks a caller may ask for by name (--fault-hook, --oom-hook,
 * --charge-hook); shared
 * by the CLI and the loader, so the library never needs the CLI's header.
 */

enum fault_hook {
	FAULT_HOOK_AUTO,
	FAULT_HOOK_TP_BTF,
	FAULT_HOOK_FENTRY,
	FAULT_HOOK_KPROBE,
	FAULT_HOOK_PERF_EVENT,
	FAULT_HOOK_OFF,
};

/* How charges are counted; STAT: no kernel hook, memory.stat deltas in userspace. */
enum charge_hook {
	CHARGE_HOOK_AUTO,
	CHARGE_HOOK_TP_BTF,
	CHARGE_HOOK_FENTRY,
	CHARGE_HOOK_KPROBE,
	CHARGE_HOOK_STAT,
};

enum oom_hook {
	OOM_HOOK_AUTO,
	OOM_HOOK_TP_BTF,
	OOM_HOOK_FENTRY,
	OOM_HOOK_TRACEPOINT,
};

#endif
