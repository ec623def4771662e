// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_walk.h"

int cgroup_mounts_read(struct cgroup_mounts *mounts)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char *text = NULL;
	size_t cap = 0, len = 0, n;
	char chunk[4096];

	memset(mounts, 0, sizeof(*mounts));
	if (!f)
		return -errno;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		char *grown = realloc(text, cap = len + n + 1);

		if (!grown) {
			free(text);
			fclose(f);
			return -ENOMEM;
		}
		text = grown;
		memcpy(text + len, chunk, n);
		len += n;
		text[len] = '\0';
	}
	fclose(f);
	cgroup_mounts_parse(text ? text : "", mounts);
	free(text);
	return 0;
}

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

struct walk {
	unsigned int max_depth, max_cgroups, visited;
	void (*fn)(const char *path, void *ctx);
	void *ctx;
	char path[8192];
};

/* dirfd-relative descent: no path grows past what the kernel allows per component. */
static void walk_dir(struct walk *w, int fd, size_t path_len, unsigned int depth)
{
	DIR *dir;
	struct dirent *de;

	if (depth >= w->max_depth) {
		close(fd);
		return;
	}
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return;
	}
	while ((de = readdir(dir)) && w->visited < w->max_cgroups) {
		size_t n = strlen(de->d_name);
		int child;

		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (path_len + 1 + n + 1 > sizeof(w->path))
			continue;
		child = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (child < 0)
			continue; /* removed meanwhile */
		w->path[path_len] = '/';
		memcpy(w->path + path_len + 1, de->d_name, n + 1);
		w->visited++;
		w->fn(w->path, w->ctx);
		walk_dir(w, child, path_len + 1 + n, depth + 1);
		w->path[path_len] = '\0';
	}
	closedir(dir);
}

unsigned int cgroup_walk(const char *root, unsigned int max_depth, unsigned int max_cgroups,
			 void (*fn)(const char *path, void *ctx), void *ctx)
{
	struct walk *w = calloc(1, sizeof(*w));
	unsigned int visited;
	int fd;

	if (!w)
		return 0;
	w->max_depth = max_depth;
	w->max_cgroups = max_cgroups;
	w->fn = fn;
	w->ctx = ctx;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fn("/", ctx);
		w->visited = 1;
		walk_dir(w, fd, 0, 0);
	}
	visited = w->visited;
	free(w);
	return visited;
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
