// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Container name lookup cost: N containers laid out as containerd's CRI plugin
 * writes them (the fixture's config.json, one bundle per id), resolved through
 * memsight's cache from their kubelet systemd-driver cgroup paths.
 * cold = first sight (file read + JSON parse); cached = every later event.
 *
 * Usage: container_lookup FIXTURE_CONFIG_JSON [N]
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "container_cache.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned int n = argc > 2 ? (unsigned int)atoi(argv[2]) : 1000;
	char dir[] = "/tmp/memsight-bench.XXXXXX", path[1024], cmd[4096];
	struct runtime_roots roots;
	struct container_info info;
	struct container_cache *cache;
	struct mallinfo2 before, after;
	uint64_t t0, cold, cached;
	char(*paths)[512];
	const int rounds = 100;

	if (argc < 2 || !mkdtemp(dir)) {
		fprintf(stderr, "usage: container_lookup FIXTURE_CONFIG_JSON [N]\n");
		return 2;
	}
	paths = calloc(n, sizeof(*paths));
	for (unsigned int i = 0; i < n; i++) {
		char id[65];

		snprintf(id, sizeof(id), "%064x", i + 1);
		snprintf(path, sizeof(path), "%s/k8s.io/%s", dir, id);
		snprintf(cmd, sizeof(cmd), "mkdir -p %s && cp %s %s/config.json", path, argv[1],
			 path);
		if (system(cmd))
			return 1;
		snprintf(paths[i], sizeof(paths[i]),
			 "/kubepods.slice/kubepods-burstable.slice/"
			 "kubepods-burstable-pod4f1c7d2e_9a3b_4c5d_8e6f_%012x.slice/"
			 "cri-containerd-%s.scope",
			 i, id);
	}
	runtime_roots_defaults(&roots);
	snprintf(roots.containerd_state, sizeof(roots.containerd_state), "%s", dir);
	struct container_cache_opts opts = { .sz = sizeof(opts), .roots = &roots };

	before = mallinfo2();
	cache = container_cache__new(&opts);
	t0 = now_ns();
	for (unsigned int i = 0; i < n; i++)
		container_cache__resolve(cache, paths[i], 1, &info);
	cold = now_ns() - t0;
	after = mallinfo2();
	if (strcmp(info.meta.name, "app")) {
		fprintf(stderr, "lookup failed: name '%s'\n", info.meta.name);
		return 1;
	}
	t0 = now_ns();
	for (int r = 0; r < rounds; r++)
		for (unsigned int i = 0; i < n; i++)
			container_cache__resolve(cache, paths[i], 2, &info);
	cached = now_ns() - t0;

	printf("containers: %u\n", n);
	printf("cold lookup (read + parse config.json): %.1f us each\n", cold / 1e3 / n);
	printf("cached lookup: %.2f us each (%d rounds)\n", cached / 1e3 / n / rounds, rounds);
	printf("cache memory: %zu bytes by its own count (%.0f per container), %zu bytes allocated "
	       "(mallinfo2)\n",
	       container_cache__memory_bytes(cache),
	       (double)container_cache__memory_bytes(cache) / n, after.uordblks - before.uordblks);
	container_cache__free(cache);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) ? 1 : 0;
}
