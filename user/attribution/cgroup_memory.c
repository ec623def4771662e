// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_memory.h"

const char *cgroup_memory_root(const struct cgroup_mounts *mounts, char *out, size_t len)
{
	char path[1100], line[4096] = "";
	FILE *f;

	out[0] = '\0';
	if (mounts->v2[0]) {
		snprintf(path, sizeof(path), "%s/cgroup.controllers", mounts->v2);
		f = fopen(path, "r");
		if (f) {
			if (!fgets(line, sizeof(line), f))
				line[0] = '\0';
			fclose(f);
			for (char *save = NULL, *tok = strtok_r(line, " \n", &save); tok;
			     tok = strtok_r(NULL, " \n", &save)) {
				if (!strcmp(tok, "memory")) {
					snprintf(out, len, "%s", mounts->v2);
					return "v2";
				}
			}
		}
	}
	if (mounts->v1_memory[0]) {
		snprintf(out, len, "%s", mounts->v1_memory);
		return "v1";
	}
	return "none";
}

static int read_u64_file(const char *path, uint64_t *value, bool *is_max)
{
	char text[64] = "";
	FILE *f = fopen(path, "r");
	char *end;

	if (!f)
		return -errno;
	if (!fgets(text, sizeof(text), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	if (is_max)
		*is_max = !strncmp(text, "max", 3);
	if (is_max && *is_max)
		return 0;
	*value = strtoull(text, &end, 10);
	return end == text ? -EINVAL : 0;
}

int cgroup_memory_read(const char *root, bool v2, const char *path, uint64_t *usage,
		       bool *has_limit, uint64_t *limit)
{
	char file[8192];
	bool is_max = false;
	int ret;

	snprintf(file, sizeof(file), "%s%s/%s", root, path,
		 v2 ? "memory.current" : "memory.usage_in_bytes");
	ret = read_u64_file(file, usage, NULL);
	if (ret)
		return ret;
	snprintf(file, sizeof(file), "%s%s/%s", root, path,
		 v2 ? "memory.max" : "memory.limit_in_bytes");
	*has_limit = false;
	if (read_u64_file(file, limit, &is_max))
		return 0;
	/* v1 spells "no limit" as PAGE_COUNTER_MAX in bytes, rounded down to a page */
	*has_limit = !is_max && *limit < (0x7fffffffffffffffULL & ~0xfffffULL);
	return 0;
}

int cgroup_memory_stat(const char *root, bool v2, const char *path, uint64_t *kinds)
{
	/* memory.stat names per kind; v2 kernels before "kernel" existed add up its parts */
	static const char *const v1_names[] = { "rss", "cache", "shmem", NULL, NULL };
	static const char *const v2_names[] = { "anon", "file", "shmem", "kernel", "sock" };
	static const char *const v2_kernel_parts[] = { "slab", "kernel_stack", "pagetables",
						       "percpu", "vmalloc" };
	const char *const *names = v2 ? v2_names : v1_names;
	char file[8192], key[64];
	unsigned long long value;
	uint64_t parts = 0;
	bool kernel_seen = false;
	FILE *f;

	snprintf(file, sizeof(file), "%s%s/memory.stat", root, path);
	f = fopen(file, "r");
	if (!f)
		return -errno;
	for (int k = 0; k < 5; k++)
		kinds[k] = 0;
	while (fscanf(f, "%63s %llu", key, &value) == 2) {
		for (int k = 0; k < 5; k++)
			if (names[k] && !strcmp(key, names[k])) {
				kinds[k] = value;
				kernel_seen |= k == 3;
			}
		for (size_t p = 0; v2 && p < sizeof(v2_kernel_parts) / sizeof(char *); p++)
			if (!strcmp(key, v2_kernel_parts[p]))
				parts += value;
	}
	fclose(f);
	if (v2 && !kernel_seen)
		kinds[3] = parts;
	return 0;
}

int cgroup_memory_high(const char *root, const char *path, uint64_t *high)
{
	char file[8192];
	bool is_max = false;
	int ret;

	snprintf(file, sizeof(file), "%s%s/memory.high", root, path);
	ret = read_u64_file(file, high, &is_max);
	if (ret)
		return ret;
	return is_max ? -ENOENT : 0;
}
