// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memcg_stat.h"

/*
 * Calls fn for each "key value" line of text (len bytes, not necessarily
 * NUL-terminated); lines that aren't one are skipped. Returns the lines seen.
 */
static unsigned int
each_line(const char *text, size_t len,
	  void (*fn)(const char *key, size_t key_len, uint64_t value, void *ctx), void *ctx)
{
	const char *p = text, *end = text + len;
	unsigned int lines = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *space = memchr(p, ' ', (size_t)(eol - p));
		char number[24];
		size_t n;

		if (space && space > p && (n = (size_t)(eol - space - 1)) > 0 &&
		    n < sizeof(number)) {
			char *stop;

			memcpy(number, space + 1, n);
			number[n] = '\0';
			uint64_t value = strtoull(number, &stop, 10);

			if (*stop == '\0' && number[0] >= '0' && number[0] <= '9') {
				fn(p, (size_t)(space - p), value, ctx);
				lines++;
			}
		}
		p = eol + 1;
	}
	return lines;
}

static bool key_is(const char *key, size_t len, const char *name)
{
	return strlen(name) == len && !memcmp(key, name, len);
}

struct stat_ctx {
	bool v2;
	struct memcg_stat *out;
	unsigned int known;
	uint64_t kernel_parts; /* v2 before the "kernel" line (5.18): its parts */
};

/* v2 kernel memory: the "kernel" line, or on older kernels the sum of its parts. */
static bool kernel_line(struct stat_ctx *c, const char *key, size_t len, uint64_t value)
{
	static const char *const parts[] = { "slab", "kernel_stack", "pagetables", "percpu",
					     "vmalloc" };

	if (key_is(key, len, "kernel")) {
		c->out->has_kernel = true;
		c->out->kernel = value;
		return true;
	}
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (key_is(key, len, parts[i])) {
			c->kernel_parts += value;
			return true;
		}
	if (key_is(key, len, "sock")) {
		c->out->sock = value;
		return true;
	}
	return false;
}

static void stat_line(const char *key, size_t len, uint64_t value, void *ctx)
{
	struct stat_ctx *c = ctx;
	struct memcg_stat *s = c->out;
	/* v1: the hierarchy's totals (usage_in_bytes counts the children too) */
	const char *anon = c->v2 ? "anon" : "total_rss";
	const char *file = c->v2 ? "file" : "total_cache";
	const char *shmem = c->v2 ? "shmem" : "total_shmem";
	const char *inactive = c->v2 ? "inactive_file" : "total_inactive_file";

	if (key_is(key, len, anon))
		s->anon = value;
	else if (key_is(key, len, file))
		s->file = value;
	else if (key_is(key, len, shmem))
		s->shmem = value;
	else if (key_is(key, len, inactive))
		s->inactive_file = value;
	else if (!c->v2 && key_is(key, len, "total_swap"))
		s->has_swap = true, s->swap = value;
	else if (!c->v2 || !kernel_line(c, key, len, value))
		return;
	c->known++;
}

int memcg_stat_parse(const char *text, size_t len, bool v2, struct memcg_stat *out)
{
	struct stat_ctx c = { v2, out, 0, 0 };

	memset(out, 0, sizeof(*out));
	each_line(text, len, stat_line, &c);
	if (v2 && !out->has_kernel && c.kernel_parts) {
		out->has_kernel = true;
		out->kernel = c.kernel_parts;
	}
	return c.known ? 0 : -EINVAL;
}

static void events_line(const char *key, size_t len, uint64_t value, void *ctx)
{
	struct memsight_limit_events *e = ctx;

	if (key_is(key, len, "high"))
		e->has_high = true, e->high = value;
	else if (key_is(key, len, "max"))
		e->has_max = true, e->max = value;
	else if (key_is(key, len, "oom"))
		e->has_oom = true, e->oom = value;
	else if (key_is(key, len, "oom_kill"))
		e->has_oom_kill = true, e->oom_kill = value;
}

int memcg_events_parse_v2(const char *text, size_t len, struct memsight_limit_events *events)
{
	return each_line(text, len, events_line, events) ? 0 : -EINVAL;
}

static void oom_control_line(const char *key, size_t len, uint64_t value, void *ctx)
{
	struct memsight_limit_events *e = ctx;

	if (key_is(key, len, "oom_kill"))
		e->has_oom_kill = true, e->oom_kill = value;
}

int memcg_oom_control_parse_v1(const char *text, size_t len, struct memsight_limit_events *events)
{
	each_line(text, len, oom_control_line, events);
	return events->has_oom_kill ? 0 : -ENOENT;
}

uint64_t memcg_working_set(uint64_t usage, const struct memcg_stat *stat)
{
	return usage > stat->inactive_file ? usage - stat->inactive_file : 0;
}
