// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "id_table.h"
#include "log.h"
#include "memcg_gauges.h"

/* Where a cgroup's record sat in the walk of round `round`. */
struct gauges_slot {
	uint32_t index;
	uint32_t round;
	bool told; /* a view knows its container by name */
};

struct memcg_gauges {
	struct id_table *index; /* cgroup id -> struct gauges_slot; kept across intervals */
	const struct memsight_memcg_gauges *records;
	unsigned int count;
	uint32_t round;	    /* walks so far; a slot of an older round is stale */
	uint64_t walked_ns; /* CLOCK_MONOTONIC of the last walk (or failed try) */
	bool read;	    /* this interval's walk is done (or failed) */
	bool unavailable;
};

struct memcg_gauges *memcg_gauges__new(void)
{
	struct memcg_gauges *g = calloc(1, sizeof(*g));

	if (g && !(g->index = id_table__new(sizeof(struct gauges_slot)))) {
		free(g);
		g = NULL;
	}
	return g;
}

void memcg_gauges__free(struct memcg_gauges *g)
{
	if (!g)
		return;
	id_table__free(g->index);
	free(g);
}

void memcg_gauges__next_interval(struct memcg_gauges *g)
{
	g->read = false;
}

/* The walk, indexed: no allocation once every memcg has its index entry. */
static void walk(struct memcg_gauges *g, struct loader *loader)
{
	uint64_t start = clock_monotonic_ns();
	unsigned int missed;
	int n = loader__memcg_gauges(loader, &g->records, &missed);

	g->read = true;
	g->walked_ns = start;
	g->count = 0;
	if (n < 0) {
		if (n != -EOPNOTSUPP && !g->unavailable)
			log_debug("gauges iterator: %s; cgroupfs instead", strerror(-n));
		g->unavailable = true;
		return;
	}
	g->round++;
	for (int i = 0; i < n; i++) {
		struct gauges_slot *slot = id_table__get(g->index, g->records[i].cgroup_id);

		if (slot) {
			slot->index = (uint32_t)i;
			slot->round = g->round;
		}
	}
	g->count = (unsigned int)n;
	log_debug("gauges iterator: %d memcgs in %.2f ms", n,
		  (double)(clock_monotonic_ns() - start) / 1e6);
	if (missed)
		log_debug("gauges iterator: %u memcgs past its array, read from cgroupfs", missed);
}

/*
 * The cgroup's slot when this interval's walk has its record; walked again
 * first when that walk is older than max_age_ns (0: any age).
 */
static struct gauges_slot *current_slot(struct memcg_gauges *g, struct loader *loader,
					uint64_t cgroup_id, uint64_t max_age_ns)
{
	struct gauges_slot *slot;

	if (!g)
		return NULL;
	if (!g->read || (max_age_ns && clock_monotonic_ns() - g->walked_ns > max_age_ns))
		walk(g, loader);
	slot = id_table__find(g->index, cgroup_id);
	return slot && slot->round == g->round && slot->index < g->count ? slot : NULL;
}

bool memcg_gauges__told(struct memcg_gauges *g, struct loader *loader, uint64_t cgroup_id)
{
	const struct gauges_slot *slot = current_slot(g, loader, cgroup_id, 0);

	return slot && slot->told;
}

void memcg_gauges__tell(struct memcg_gauges *g, uint64_t cgroup_id)
{
	struct gauges_slot *slot = g ? id_table__find(g->index, cgroup_id) : NULL;

	if (slot)
		slot->told = true;
}

bool memcg_gauges__get(struct memcg_gauges *g, struct loader *loader, bool v2, uint64_t cgroup_id,
		       uint64_t max_age_ns, struct memsight_container_stats *c, bool *working_set)
{
	const struct memsight_memcg_gauges *r;
	const struct gauges_slot *slot;

	*working_set = false;
	slot = current_slot(g, loader, cgroup_id, max_age_ns);
	if (!slot)
		return false;
	r = &g->records[slot->index];
	c->has_usage = true;
	c->usage_bytes = r->usage_bytes;
	c->has_limit = r->flags & MEMSIGHT_GAUGE_LIMITED;
	c->limit_bytes = c->has_limit ? r->limit_bytes : 0;
	c->has_high = v2 && (r->flags & MEMSIGHT_GAUGE_HIGH);
	c->high_bytes = c->has_high ? r->high_bytes : 0;
	if (r->flags & MEMSIGHT_GAUGE_INACTIVE_FILE) {
		*working_set = true;
		c->working_set_bytes = r->usage_bytes > r->inactive_file_bytes
					       ? r->usage_bytes - r->inactive_file_bytes
					       : 0;
	}
	return true;
}

void memcg_gauges__forget(struct memcg_gauges *g, uint64_t cgroup_id)
{
	if (g)
		id_table__remove(g->index, cgroup_id);
}
