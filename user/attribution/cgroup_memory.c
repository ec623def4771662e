// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* open, read, close: no stdio buffer nor fstat (thousands of these per refresh). */
static int read_u64_file(const char *path, uint64_t *value, bool *is_max)
{
	char text[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	char *end;

	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text) - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n <= 0)
		return n < 0 ? (int)n : -EIO;
	text[n] = '\0';
	if (is_max)
		*is_max = !strncmp(text, "max", 3);
	if (is_max && *is_max)
		return 0;
	*value = strtoull(text, &end, 10);
	return end == text ? -EINVAL : 0;
}

int cgroup_memory_usage(const char *root, bool v2, const char *path, uint64_t *usage)
{
	char file[8192];

	snprintf(file, sizeof(file), "%s%s/%s", root, path,
		 v2 ? "memory.current" : "memory.usage_in_bytes");
	return read_u64_file(file, usage, NULL);
}

static int read_limit(const char *root, bool v2, const char *path, bool *has_limit, uint64_t *limit)
{
	char file[8192];
	bool is_max = false;
	int ret;

	snprintf(file, sizeof(file), "%s%s/%s", root, path,
		 v2 ? "memory.max" : "memory.limit_in_bytes");
	*has_limit = false;
	ret = read_u64_file(file, limit, &is_max);
	if (ret)
		return ret;
	/* v1 spells "no limit" as PAGE_COUNTER_MAX in bytes, rounded down to a page */
	*has_limit = !is_max && *limit < (0x7fffffffffffffffULL & ~0xfffffULL);
	return 0;
}

int cgroup_memory_read(const char *root, bool v2, const char *path, uint64_t *usage,
		       bool *has_limit, uint64_t *limit)
{
	int ret = cgroup_memory_usage(root, v2, path, usage);

	if (ret)
		return ret;
	read_limit(root, v2, path, has_limit, limit);
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

/* A small cgroupfs file into buf (NUL-terminated); its length, or -errno. */
static ssize_t read_small(const char *root, const char *path, const char *name, char *buf,
			  size_t len)
{
	char file[8192];
	ssize_t n;
	int fd;

	snprintf(file, sizeof(file), "%s%s/%s", root, path, name);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

static int read_small_u64(const char *root, const char *path, const char *name, uint64_t *value)
{
	char file[8192];

	snprintf(file, sizeof(file), "%s%s/%s", root, path, name);
	return read_u64_file(file, value, NULL);
}

int cgroup_memory_detail(const char *root, bool v2, const char *path, struct memcg_stat *stat,
			 struct memsight_limit_events *events)
{
	/* memory.stat is about 1.5 KiB on v1 (every line twice), 1.2 KiB on v2 */
	char text[8192];
	ssize_t n = read_small(root, path, "memory.stat", text, sizeof(text));
	uint64_t value;

	if (events)
		memset(events, 0, sizeof(*events));
	if (n < 0)
		return (int)n;
	if (memcg_stat_parse(text, (size_t)n, v2, stat))
		return -EINVAL;
	if (v2) {
		char file[8192];

		snprintf(file, sizeof(file), "%s%s/memory.swap.current", root, path);
		stat->has_swap = !read_u64_file(file, &stat->swap, NULL);
		if (!events)
			return 0;
		n = read_small(root, path, "memory.events", text, sizeof(text));
		if (n > 0)
			memcg_events_parse_v2(text, (size_t)n, events);
		return 0;
	}
	if (!events)
		return 0;
	n = read_small(root, path, "memory.failcnt", text, sizeof(text));
	if (n > 0) {
		char *end;

		value = strtoull(text, &end, 10);
		events->has_max = end != text;
		events->max = value;
	}
	n = read_small(root, path, "memory.oom_control", text, sizeof(text));
	if (n > 0)
		memcg_oom_control_parse_v1(text, (size_t)n, events);
	return 0;
}

int cgroup_memory_detail_full(const char *root, bool v2, const char *path, struct memcg_stat *stat,
			      struct memsight_limit_events *events)
{
	int ret = cgroup_memory_detail(root, v2, path, stat, events);

	/* v1 keeps kernel and socket memory out of memory.stat */
	if (!ret && !v2 &&
	    !read_small_u64(root, path, "memory.kmem.usage_in_bytes", &stat->kernel)) {
		stat->has_kernel = true;
		read_small_u64(root, path, "memory.kmem.tcp.usage_in_bytes", &stat->sock);
	}
	return ret;
}

int cgroup_memory_gauges(const char *root, bool v2, const char *path,
			 struct memsight_container_stats *c)
{
	int ret =
		cgroup_memory_read(root, v2, path, &c->usage_bytes, &c->has_limit, &c->limit_bytes);

	c->has_usage = !ret;
	c->has_high = !ret && v2 && !cgroup_memory_high(root, path, &c->high_bytes);
	return ret;
}

int cgroup_memory_limits(const char *root, bool v2, const char *path,
			 struct memsight_container_stats *c)
{
	int ret = read_limit(root, v2, path, &c->has_limit, &c->limit_bytes);

	c->has_high = !ret && v2 && !cgroup_memory_high(root, path, &c->high_bytes);
	return ret;
}

/* The make-up into c; events NULL: c's limit events left as they are (not read). */
static int makeup(const char *root, bool v2, const char *path, struct memsight_container_stats *c,
		  struct memcg_stat *stat, struct memsight_limit_events *events)
{
	int ret = cgroup_memory_detail(root, v2, path, stat, events);

	c->has_detail = !ret;
	if (ret)
		return ret;
	c->working_set_bytes = memcg_working_set(c->usage_bytes, stat);
	c->anon_bytes = stat->anon;
	c->file_bytes = stat->file;
	c->shmem_bytes = stat->shmem;
	c->has_swap = stat->has_swap;
	c->swap_bytes = stat->swap;
	if (events)
		c->limit_events = *events;
	return 0;
}

int cgroup_memory_makeup(const char *root, bool v2, const char *path,
			 struct memsight_container_stats *c, struct memcg_stat *stat)
{
	struct memsight_limit_events events;

	return makeup(root, v2, path, c, stat, &events);
}

int cgroup_memory_ageing(const char *root, bool v2, const char *path,
			 struct memsight_container_stats *c, struct memcg_stat *stat)
{
	return makeup(root, v2, path, c, stat, NULL);
}
