// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "id_table.h"
#include "record_format.h"

struct aggregate {
	struct id_table *entries; /* cgroup id -> struct aggregate_entry */
	uint64_t tombstone_ns;
	unsigned int max_entries;
	uint64_t overflows;
	uint64_t interval_ns;
};

struct aggregate *aggregate__new(uint64_t tombstone_ns, unsigned int max_entries)
{
	struct aggregate *agg = calloc(1, sizeof(*agg));

	if (!agg)
		return NULL;
	agg->entries = id_table__new(sizeof(struct aggregate_entry));
	if (!agg->entries) {
		free(agg);
		return NULL;
	}
	agg->tombstone_ns = tombstone_ns;
	agg->max_entries = max_entries;
	return agg;
}

static bool drop_all(uint64_t id, void *value, void *ctx)
{
	free(((struct aggregate_entry *)value)->path);
	return true;
}

void aggregate__free(struct aggregate *agg)
{
	if (!agg)
		return;
	id_table__remove_if(agg->entries, drop_all, NULL);
	id_table__free(agg->entries);
	free(agg);
}

static void zero_interval(uint64_t id, void *value, void *ctx)
{
	struct aggregate_entry *e = value;

	e->interval_minor = 0;
	e->interval_major = 0;
	e->interval_net_charge = 0;
	e->interval_stall_ns = 0;
}

void aggregate__begin_interval(struct aggregate *agg, uint64_t interval_ns)
{
	agg->interval_ns = interval_ns;
	id_table__each(agg->entries, zero_interval, NULL);
}

uint64_t aggregate__interval_ns(const struct aggregate *agg)
{
	return agg->interval_ns;
}

struct aggregate_entry *aggregate__entry(struct aggregate *agg, uint64_t cgroup_id,
					 const char *path, const struct container_info *info)
{
	struct aggregate_entry *e = id_table__find(agg->entries, cgroup_id);

	if (!e) {
		if (id_table__count(agg->entries) >= agg->max_entries) {
			agg->overflows++;
			return NULL;
		}
		e = id_table__get(agg->entries, cgroup_id);
		if (!e)
			return NULL;
		e->cgroup_id = cgroup_id;
	}
	/* Names can arrive late (a path learnt after the first count): take the newest. */
	if (path && (!e->path || strcmp(e->path, path))) {
		char *copy = strdup(path);

		if (copy) {
			free(e->path);
			e->path = copy;
		}
	}
	if (info) {
		bool exited = e->container.exited || e->removed_ns;

		e->container = *info;
		e->container.exited |= exited;
		e->has_container = true;
	}
	return e;
}

void aggregate__add_stats(struct aggregate *agg, const struct container_stats *stats)
{
	struct aggregate_entry *e;

	/*
	 * A cgroup memsight never saw named (a dying memcg still uncharging its
	 * page cache) can't be shown or labelled: its line in the stream says so.
	 */
	if (!stats->path)
		return;
	e = aggregate__entry(agg, stats->cgroup_id, stats->path, stats->container);
	if (!e)
		return;
	e->faults_minor += stats->faults_minor;
	e->faults_major += stats->faults_major;
	e->interval_minor += stats->faults_minor;
	e->interval_major += stats->faults_major;
	if (stats->has_charges) {
		for (int k = 0; k < MEMSIGHT_CHARGE_KINDS; k++) {
			e->charged[k] += stats->charged[k];
			e->uncharged[k] += stats->uncharged[k];
			e->interval_net_charge +=
				(int64_t)stats->charged[k] - (int64_t)stats->uncharged[k];
		}
	}
	if (stats->has_reclaim) {
		e->reclaim_count += stats->reclaim_count;
		e->reclaim_stall_ns += stats->reclaim_stall_ns;
		e->interval_stall_ns += stats->reclaim_stall_ns;
		for (int b = 0; b < MEMSIGHT_RECLAIM_BUCKETS; b++)
			e->reclaim_hist[b] += stats->reclaim_hist[b];
	}
	/* Gauges keep their last known value when this interval couldn't read them. */
	if (stats->has_usage) {
		e->has_usage = true;
		e->usage_bytes = stats->usage_bytes;
		e->has_limit = stats->has_limit;
		e->limit_bytes = stats->limit_bytes;
		e->has_high = stats->has_high;
		e->high_bytes = stats->high_bytes;
	}
}

void aggregate__add_oom_kill(struct aggregate *agg, uint64_t cgroup_id, const char *path,
			     const struct container_info *info, int64_t realtime_ns)
{
	struct aggregate_entry *e = aggregate__entry(agg, cgroup_id, path, info);

	if (!e)
		return;
	e->oom_kills++;
	if (realtime_ns > e->last_oom_realtime_ns)
		e->last_oom_realtime_ns = realtime_ns;
}

void aggregate__cgroup_removed(struct aggregate *agg, uint64_t cgroup_id, uint64_t now_ns)
{
	struct aggregate_entry *e = id_table__find(agg->entries, cgroup_id);

	if (!e || e->removed_ns)
		return;
	e->removed_ns = now_ns ? now_ns : 1;
	e->container.exited = true;
}

struct expire_ctx {
	uint64_t now_ns, tombstone_ns;
};

static bool tombstone_over(uint64_t id, void *value, void *ctx)
{
	struct aggregate_entry *e = value;
	const struct expire_ctx *x = ctx;

	if (!e->removed_ns || x->now_ns - e->removed_ns < x->tombstone_ns)
		return false;
	free(e->path);
	return true;
}

void aggregate__expire(struct aggregate *agg, uint64_t now_ns)
{
	struct expire_ctx x = { now_ns, agg->tombstone_ns };

	id_table__remove_if(agg->entries, tombstone_over, &x);
}

void aggregate__each(struct aggregate *agg, void (*fn)(uint64_t cgroup_id, void *entry, void *ctx),
		     void *ctx)
{
	id_table__each(agg->entries, fn, ctx);
}

unsigned int aggregate__count(const struct aggregate *agg)
{
	return id_table__count(agg->entries);
}

uint64_t aggregate__overflows(const struct aggregate *agg)
{
	return agg->overflows;
}

struct collect_ctx {
	const struct aggregate_entry **out;
	unsigned int n;
};

static void collect(uint64_t id, void *value, void *ctx)
{
	struct collect_ctx *c = ctx;

	c->out[c->n++] = value;
}

static int by_path(const void *a, const void *b)
{
	const struct aggregate_entry *x = *(const struct aggregate_entry *const *)a;
	const struct aggregate_entry *y = *(const struct aggregate_entry *const *)b;
	int cmp = strcmp(x->path ? x->path : "", y->path ? y->path : "");

	if (cmp)
		return cmp;
	return x->cgroup_id < y->cgroup_id ? -1 : x->cgroup_id > y->cgroup_id;
}

const struct aggregate_entry **aggregate__sorted(const struct aggregate *agg, unsigned int *count)
{
	struct collect_ctx c = { .n = 0 };

	c.out = calloc(id_table__count(agg->entries) + 1, sizeof(*c.out));
	if (!c.out)
		return NULL;
	/* id_table__each takes a mutable table; collecting doesn't change it. */
	id_table__each((struct id_table *)agg->entries, collect, &c);
	qsort(c.out, c.n, sizeof(*c.out), by_path);
	if (count)
		*count = c.n;
	return c.out;
}

double aggregate_entry_growth(const struct aggregate_entry *e, uint64_t interval_ns)
{
	return interval_ns ? (double)e->interval_net_charge * 1e9 / (double)interval_ns : 0;
}
