// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The load plan's charge hooks: which the attempts carry, by kernel and by --charge-hook. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <bpf/btf.h>
#include <cmocka.h>

#include "btf_info.h"
#include "load_plan.h"

/* A kernel with BTF at /sys/kernel/btf/vmlinux, the memcg tracepoints or not, the functions. */
static struct kernel_probe kernel(bool tracepoints, bool funcs)
{
	return (struct kernel_probe){
		.kernel_btf = true,
		.memcg_events = tracepoints,
		.memcg_stat = tracepoints,
		.memcg_stat_funcs = funcs,
		.mark_victim_task = true,
	};
}

/*
 * One letter per attempt of the plan, in order: letters[i] when the attempt's
 * bits of `mask` are parts[i], '-' when it has none of them, '?' otherwise.
 */
static const char *ladder(const struct load_plan *plan, unsigned int mask,
			  const unsigned int *parts, const char *letters)
{
	static char out[LOAD_ATTEMPTS_MAX + 1];
	unsigned int i;

	for (i = 0; i < plan->attempt_count; i++) {
		unsigned int p = plan->attempts[i] & mask;

		out[i] = p ? '?' : '-';
		for (unsigned int l = 0; p && letters[l]; l++)
			if (p == parts[l])
				out[i] = letters[l];
	}
	out[i] = '\0';
	return out;
}

/* The charge parts: t(p_btf), f(entry), k(probe) */
static const char *charge_ladder(const struct load_plan *plan)
{
	static const unsigned int parts[] = { PART_CHARGES, PART_CHARGES_FENTRY,
					      PART_CHARGES_KPROBE };

	return ladder(plan, PART_CHARGES_ANY, parts, "tfk");
}

/* The fault parts: t(p_btf), f(entry), k(probe), p(erf_event) */
static const char *fault_ladder(const struct load_plan *plan)
{
	static const unsigned int parts[] = { PART_FAULTS_MEMCG, PART_FAULTS_FENTRY,
					      PART_FAULTS_KPROBE, PART_FAULTS_PERF };

	return ladder(plan, PART_FAULTS, parts, "tfkp");
}

static int plan_for(struct kernel_probe probe, enum charge_hook hook, struct load_plan *plan,
		    char *err, size_t err_len)
{
	struct loader_opts opts = { .sz = sizeof(opts), .charge_hook = hook };

	return load_plan_make(&probe, &opts, plan, err, err_len);
}

static void test_auto(void **state)
{
	struct load_plan plan;
	char err[256];

	/* the tracepoints: tp_btf, then less (perf_event faults, no charges, no faults) */
	assert_int_equal(plan_for(kernel(true, false), CHARGE_HOOK_AUTO, &plan, err, sizeof(err)),
			 0);
	assert_string_equal(charge_ladder(&plan), "tt---");
	assert_string_equal(plan.charges_intro, "");
	/* 5.10-6.12 (faults by perf_event already): fentry, kprobes, then without charges */
	assert_int_equal(plan_for(kernel(false, true), CHARGE_HOOK_AUTO, &plan, err, sizeof(err)),
			 0);
	assert_string_equal(charge_ladder(&plan), "fk---");
	assert_non_null(strstr(plan.charges_intro, "no memcg:mod_memcg_state tracepoint"));
	/* neither: memory.stat deltas, and why */
	assert_int_equal(plan_for(kernel(false, false), CHARGE_HOOK_AUTO, &plan, err, sizeof(err)),
			 0);
	assert_string_equal(charge_ladder(&plan), "----");
	assert_non_null(strstr(plan.charges_intro, "__mod_memcg_state"));
}

static void test_no_kernel_btf(void **state)
{
	struct kernel_probe probe = kernel(false, true);
	struct load_plan plan;
	char err[256];

	/* --btf FILE: fentry can't attach without the kernel's own BTF; a kprobe can */
	probe.kernel_btf = false;
	assert_int_equal(plan_for(probe, CHARGE_HOOK_AUTO, &plan, err, sizeof(err)), 0);
	assert_string_equal(charge_ladder(&plan), "k---");
}

static void test_asked(void **state)
{
	struct load_plan plan;
	char err[256];

	/* stat: no kernel hook in any attempt */
	assert_int_equal(plan_for(kernel(true, false), CHARGE_HOOK_STAT, &plan, err, sizeof(err)),
			 0);
	assert_string_equal(charge_ladder(&plan), "-----");
	assert_string_equal(plan.charges_intro, "turned off with --charge-hook stat");
	/* one hook by name: every attempt carries it (the rest degrades around it) */
	assert_int_equal(plan_for(kernel(false, true), CHARGE_HOOK_KPROBE, &plan, err, sizeof(err)),
			 0);
	assert_string_equal(charge_ladder(&plan), "kkkk");
	assert_int_equal(plan_for(kernel(false, true), CHARGE_HOOK_FENTRY, &plan, err, sizeof(err)),
			 0);
	assert_string_equal(charge_ladder(&plan), "ffff");
	/* what the kernel lacks is an error before anything loads */
	assert_int_equal(plan_for(kernel(true, false), CHARGE_HOOK_FENTRY, &plan, err, sizeof(err)),
			 -EOPNOTSUPP);
	assert_non_null(strstr(err, "--charge-hook fentry"));
	assert_int_equal(plan_for(kernel(false, true), CHARGE_HOOK_TP_BTF, &plan, err, sizeof(err)),
			 -EOPNOTSUPP);
	assert_non_null(strstr(err, "no memcg:mod_memcg_state tracepoint"));
}

/* --btf FILE on a kernel with the functions: fentry can't attach, and the error says why */
static void test_fentry_without_kernel_btf(void **state)
{
	struct kernel_probe probe = kernel(false, true);
	struct load_plan plan;
	char err[256];

	probe.kernel_btf = false;
	assert_int_equal(plan_for(probe, CHARGE_HOOK_FENTRY, &plan, err, sizeof(err)), -EOPNOTSUPP);
	assert_non_null(strstr(err, "needs the kernel's own BTF"));
	assert_null(strstr(err, "tracepoint"));
	/* and a function hook on a kernel with the tracepoints says that instead */
	assert_int_equal(plan_for(kernel(true, false), CHARGE_HOOK_KPROBE, &plan, err, sizeof(err)),
			 -EOPNOTSUPP);
	assert_non_null(strstr(err, "has the memcg tracepoints"));
}

/* --fault-hook off: charges are still planned, by name or not, and never an empty plan */
static void test_faults_off(void **state)
{
	struct loader_opts opts = { .sz = sizeof(opts), .fault_hook = FAULT_HOOK_OFF };
	struct kernel_probe probe = kernel(false, true);
	struct load_plan plan;
	char err[256];

	opts.charge_hook = CHARGE_HOOK_KPROBE;
	assert_int_equal(load_plan_make(&probe, &opts, &plan, err, sizeof(err)), 0);
	assert_string_equal(charge_ladder(&plan), "kkk");
	for (unsigned int i = 0; i < plan.attempt_count; i++)
		assert_int_equal(plan.attempts[i] & PART_FAULTS, 0);
	opts.charge_hook = CHARGE_HOOK_AUTO;
	assert_int_equal(load_plan_make(&probe, &opts, &plan, err, sizeof(err)), 0);
	assert_string_equal(charge_ladder(&plan), "fk--");
}

/* --fault-samples: the samples attempt with fentry is followed by the same with kprobes */
static void test_samples_charge_hooks(void **state)
{
	struct loader_opts opts = { .sz = sizeof(opts), .fault_samples = 100 };
	struct kernel_probe probe = kernel(false, true);
	struct load_plan plan;
	char err[256];

	probe.page_fault_user = true;
	assert_int_equal(load_plan_make(&probe, &opts, &plan, err, sizeof(err)), 0);
	assert_string_equal(charge_ladder(&plan), "fkfk---");
	assert_true(plan.attempts[0] & PART_SAMPLES);
	assert_true(plan.attempts[1] & PART_SAMPLES);
	assert_false(plan.attempts[2] & PART_SAMPLES);
}

static int plan_faults(struct kernel_probe probe, enum fault_hook hook, struct load_plan *plan,
		       char *err, size_t err_len)
{
	struct loader_opts opts = { .sz = sizeof(opts), .fault_hook = hook };

	return load_plan_make(&probe, &opts, plan, err, err_len);
}

/* Faults: the tracepoint, else fentry on __count_memcg_events, else perf_event */
static void test_fault_hooks(void **state)
{
	struct kernel_probe probe = kernel(false, true);
	struct load_plan plan;
	char err[256];

	assert_int_equal(plan_faults(kernel(true, false), FAULT_HOOK_AUTO, &plan, err, sizeof(err)),
			 0);
	assert_string_equal(fault_ladder(&plan), "tpt--");
	/* 5.10-6.12: fentry, then perf_event where fentry won't attach (arm64 6.1) */
	probe.memcg_events_func = true;
	assert_int_equal(plan_faults(probe, FAULT_HOOK_AUTO, &plan, err, sizeof(err)), 0);
	assert_string_equal(fault_ladder(&plan), "ffppf--");
	assert_non_null(strstr(plan.fallback_intro, "no memcg:count_memcg_events tracepoint"));
	/* kprobes only by name, and then in every attempt that counts faults */
	assert_int_equal(plan_faults(probe, FAULT_HOOK_KPROBE, &plan, err, sizeof(err)), 0);
	assert_string_equal(fault_ladder(&plan), "kkkk");
	/* without the kernel's own BTF: no fentry, perf_event, and the reason says why */
	probe.kernel_btf = false;
	assert_int_equal(plan_faults(probe, FAULT_HOOK_AUTO, &plan, err, sizeof(err)), 0);
	assert_string_equal(fault_ladder(&plan), "pp--");
	assert_non_null(strstr(plan.fallback_intro, "needs the kernel's own BTF"));
	assert_int_equal(plan_faults(probe, FAULT_HOOK_FENTRY, &plan, err, sizeof(err)),
			 -EOPNOTSUPP);
	assert_non_null(strstr(err, "--fault-hook fentry: not on this kernel"));
	/* without the function: perf_event, and named hooks are refused with why */
	probe = kernel(false, true);
	assert_int_equal(plan_faults(probe, FAULT_HOOK_AUTO, &plan, err, sizeof(err)), 0);
	assert_string_equal(fault_ladder(&plan), "ppp--");
	assert_non_null(strstr(plan.fallback_intro, "nor the __count_memcg_events function"));
	assert_int_equal(plan_faults(probe, FAULT_HOOK_KPROBE, &plan, err, sizeof(err)),
			 -EOPNOTSUPP);
	assert_non_null(strstr(err, "no __count_memcg_events"));
	/* a function hook where the tracepoint is says so */
	assert_int_equal(
		plan_faults(kernel(true, false), FAULT_HOOK_FENTRY, &plan, err, sizeof(err)),
		-EOPNOTSUPP);
	assert_non_null(strstr(err, "use --fault-hook tp_btf or auto"));
	assert_int_equal(plan_faults(probe, FAULT_HOOK_TP_BTF, &plan, err, sizeof(err)),
			 -EOPNOTSUPP);
	assert_non_null(strstr(err, "no memcg:count_memcg_events tracepoint"));
}

/* --fault-samples with both function hook families: no attempt is dropped, the last is OOM only */
static void test_longest_plan(void **state)
{
	struct loader_opts opts = { .sz = sizeof(opts), .fault_samples = 100 };
	struct kernel_probe probe = kernel(false, true);
	struct load_plan plan;
	char err[256];

	probe.memcg_events_func = true;
	probe.page_fault_user = true;
	assert_int_equal(load_plan_make(&probe, &opts, &plan, err, sizeof(err)), 0);
	assert_string_equal(fault_ladder(&plan), "ffffppf--");
	assert_string_equal(charge_ladder(&plan), "fkfkfk---");
	assert_int_equal(plan.attempts[plan.attempt_count - 1], 0);
}

/* BTF with __mod_memcg_state(struct mem_cgroup *, int, VAL) where VAL is val_type */
static struct btf *memcg_state_btf(int (*add_val_type)(struct btf *))
{
	struct btf *btf = btf__new_empty();
	int int_id, ptr_id, val_id, proto;

	assert_non_null(btf);
	int_id = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	ptr_id = btf__add_ptr(btf, btf__add_struct(btf, "mem_cgroup", 8));
	val_id = add_val_type(btf);
	proto = btf__add_func_proto(btf, 0);
	assert_int_equal(btf__add_func_param(btf, "memcg", ptr_id), 0);
	assert_int_equal(btf__add_func_param(btf, "idx", int_id), 0);
	assert_int_equal(btf__add_func_param(btf, "val", val_id), 0);
	assert_true(btf__add_func(btf, "__mod_memcg_state", BTF_FUNC_GLOBAL, proto) > 0);
	return btf;
}

static int add_int(struct btf *btf)
{
	return btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
}

static int add_long(struct btf *btf)
{
	return btf__add_int(btf, "long", 8, BTF_INT_SIGNED);
}

/* The probe takes the functions only with the argument widths the programs read. */
static void test_func_arguments(void **state)
{
	struct btf *btf = memcg_state_btf(add_int);

	assert_true(btf_info_func_is(btf, "__mod_memcg_state", "mem_cgroup", "44"));
	assert_false(btf_info_func_is(btf, "__mod_memcg_state", "lruvec", "44"));
	btf__free(btf);
	btf = memcg_state_btf(add_long);
	assert_false(btf_info_func_is(btf, "__mod_memcg_state", "mem_cgroup", "44"));
	/* __count_memcg_events(memcg, int item, unsigned long count) is asked for as "48" */
	assert_true(btf_info_func_is(btf, "__mod_memcg_state", "mem_cgroup", "48"));
	assert_false(btf_info_func_is(btf, "__mod_memcg_state", "mem_cgroup", "4"));
	btf__free(btf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auto),
		cmocka_unit_test(test_no_kernel_btf),
		cmocka_unit_test(test_asked),
		cmocka_unit_test(test_fentry_without_kernel_btf),
		cmocka_unit_test(test_faults_off),
		cmocka_unit_test(test_samples_charge_hooks),
		cmocka_unit_test(test_fault_hooks),
		cmocka_unit_test(test_longest_plan),
		cmocka_unit_test(test_func_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
