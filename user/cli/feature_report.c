// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "cgroup_memory.h"
#include "cgroup_mounts.h"
#include "runtime_roots.h"
#include "feature_report.h"
#include "version.h"
#include "jsonw.h"
#include "loader.h"
#include "log.h"

static int ignore_record(void *ctx, const void *data, size_t size)
{
	return 0;
}

static const char *memory_controller(const struct cgroup_mounts *mounts)
{
	char root[1024];

	return cgroup_memory_root(mounts, root, sizeof(root));
}

static void print_json(const struct env *env, const struct utsname *uts,
		       const struct cgroup_mounts *mounts, const struct runtime_presence *runtimes,
		       const struct loader_report *report, const char *error)
{
	struct jsonw w;

	jsonw_init(&w);
	jsonw_object_begin(&w, NULL);
	jsonw_u64(&w, "v", 1);
	jsonw_string(&w, "type", "features");
	jsonw_string(&w, "node", env->node);
	jsonw_string(&w, "version", MEMSIGHT_VERSION);
	jsonw_object_begin(&w, "kernel");
	jsonw_string(&w, "release", uts->release);
	jsonw_string(&w, "machine", uts->machine);
	jsonw_object_end(&w);
	jsonw_object_begin(&w, "cgroup");
	jsonw_string(&w, "memory_controller", memory_controller(mounts));
	jsonw_string(&w, "v1_memory_mount", mounts->v1_memory[0] ? mounts->v1_memory : NULL);
	jsonw_string(&w, "v2_mount", mounts->v2[0] ? mounts->v2 : NULL);
	jsonw_object_end(&w);
	jsonw_string(&w, "tracefs", mounts->tracefs[0] ? mounts->tracefs : NULL);
	jsonw_array_begin(&w, "runtimes");
	for (unsigned int i = 0; i < RUNTIMES_MAX; i++) {
		jsonw_object_begin(&w, NULL);
		jsonw_string(&w, "name", runtimes[i].runtime);
		jsonw_string(&w, "state", runtimes[i].root);
		jsonw_bool(&w, "detected", runtimes[i].present);
		jsonw_object_end(&w);
	}
	jsonw_array_end(&w);
	if (report) {
		jsonw_string(&w, "btf", report->btf_source);
		jsonw_bool(&w, "bpf_stats", report->bpf_stats_enabled);
		jsonw_double(&w, "attach_ms", report->attach_ms, 1);
		jsonw_array_begin(&w, "hooks");
		for (unsigned int i = 0; i < report->hook_count; i++) {
			const struct hook_report *h = &report->hooks[i];

			jsonw_object_begin(&w, NULL);
			jsonw_string(&w, "feature", h->feature);
			jsonw_string(&w, "status",
				     h->status == HOOK_ATTACHED ? "attached" : "unavailable");
			jsonw_string(&w, "hook", h->hook);
			jsonw_bool(&w, "fallback", h->fallback);
			jsonw_string(&w, "reason", h->reason);
			jsonw_object_end(&w);
		}
		jsonw_array_end(&w);
	}
	jsonw_string(&w, "error", error);
	jsonw_object_end(&w);
	if (!w.out.failed)
		printf("%s\n", w.out.buf);
	jsonw_free(&w);
}

static void print_human(const struct utsname *uts, const struct cgroup_mounts *mounts,
			const struct runtime_presence *runtimes, const struct loader_report *report,
			const char *error)
{
	printf("memsight %s\n", MEMSIGHT_VERSION);
	printf("  kernel             %s (%s)\n", uts->release, uts->machine);
	printf("  memory controller  %s", memory_controller(mounts));
	if (mounts->v1_memory[0])
		printf(" (v1 hierarchy at %s)", mounts->v1_memory);
	if (mounts->v2[0])
		printf(" (v2 at %s)", mounts->v2);
	printf("\n  tracefs            %s\n", mounts->tracefs[0] ? mounts->tracefs : "not mounted");
	printf("  runtimes          ");
	for (unsigned int i = 0, shown = 0; i < RUNTIMES_MAX; i++)
		if (runtimes[i].present)
			printf("%s %s (%s)", shown++ ? "," : "", runtimes[i].runtime,
			       runtimes[i].root);
	printf("%s\n", runtimes[0].present || runtimes[1].present || runtimes[2].present ||
				       runtimes[3].present
			       ? ""
			       : " none detected");
	if (!report) {
		printf("  error              %s\n", error);
		return;
	}
	printf("  btf                %s\n", report->btf_source);
	printf("  bpf run-time stats %s\n",
	       report->bpf_stats_enabled ? "enabled while memsight runs" : "off");
	printf("  attach time        %.1f ms\n\n", report->attach_ms);
	printf("  %-14s %-12s %s\n", "FEATURE", "STATUS", "HOOK");
	for (unsigned int i = 0; i < report->hook_count; i++) {
		const struct hook_report *h = &report->hooks[i];

		printf("  %-14s %-12s %s\n", h->feature,
		       h->status != HOOK_ATTACHED ? "unavailable"
		       : h->fallback		  ? "fallback"
						  : "attached",
		       h->hook ? h->hook : "-");
		printf("  %-14s %-12s (%s)\n", "", "", h->reason);
	}
}

int features_run(const struct env *env)
{
	struct cgroup_mounts mounts;
	struct loader *loader = NULL;
	struct utsname uts;
	char err[512] = "", memcg_root[1024];
	struct runtime_presence runtimes[RUNTIMES_MAX];
	struct runtime_roots roots;
	int ret;

	uname(&uts);
	cgroup_mounts_read(&mounts);
	cli_runtime_roots(env, &roots);
	runtime_roots_detect(&roots, runtimes);

	struct loader_opts opts = {
		.sz = sizeof(opts),
		.btf_path = env->btf_path,
		.oom_hook = env->oom_hook,
		.fault_hook = env->fault_hook,
		.charge_hook = env->charge_hook,
		.fault_samples = env->fault_samples,
		.bpf_stats = env->bpf_stats,
		.on_record = ignore_record,
		.memcg_root = memcg_root,
	};
	cgroup_memory_root(&mounts, memcg_root, sizeof(memcg_root));
	ret = loader__new(&opts, &loader, err, sizeof(err));
	if (env->json)
		print_json(env, &uts, &mounts, runtimes, ret ? NULL : loader__report(loader),
			   ret ? err : NULL);
	else
		print_human(&uts, &mounts, runtimes, ret ? NULL : loader__report(loader), err);
	if (ret)
		log_error("%s", err);
	loader__free(loader);
	return ret ? 1 : 0;
}
