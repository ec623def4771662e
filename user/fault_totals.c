// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>

#include "fault_totals.h"
#include "id_table.h"

struct fault_state {
	uint64_t faults_now, major_now;
	uint64_t faults_last, major_last;
};

struct fault_totals {
	struct id_table *table;
};

struct fault_totals *fault_totals__new(void)
{
	struct fault_totals *totals = calloc(1, sizeof(*totals));

	if (!totals)
		return NULL;
	totals->table = id_table__new(sizeof(struct fault_state));
	if (!totals->table) {
		free(totals);
		return NULL;
	}
	return totals;
}

void fault_totals__free(struct fault_totals *totals)
{
	if (!totals)
		return;
	id_table__free(totals->table);
	free(totals);
}

static void reset_now(uint64_t id, void *value, void *ctx)
{
	struct fault_state *s = value;

	s->faults_now = 0;
	s->major_now = 0;
}

void fault_totals__begin(struct fault_totals *totals)
{
	id_table__each(totals->table, reset_now, NULL);
}

void fault_totals__add(struct fault_totals *totals, uint64_t cgroup_id, uint64_t faults,
		       uint64_t major)
{
	struct fault_state *s = id_table__get(totals->table, cgroup_id);

	if (!s)
		return;
	s->faults_now += faults;
	s->major_now += major;
}

struct delta_walk {
	void (*fn)(uint64_t cgroup_id, uint64_t minor, uint64_t major, void *ctx);
	void *ctx;
};

static uint64_t moved(uint64_t now, uint64_t last)
{
	/* Lower than last time: the slot was freed and counts restarted from zero. */
	return now >= last ? now - last : now;
}

static void emit_delta(uint64_t id, void *value, void *ctx)
{
	struct fault_state *s = value;
	struct delta_walk *walk = ctx;
	uint64_t faults = moved(s->faults_now, s->faults_last);
	uint64_t major = moved(s->major_now, s->major_last);

	s->faults_last = s->faults_now;
	s->major_last = s->major_now;
	if (faults || major)
		walk->fn(id, faults >= major ? faults - major : 0, major, walk->ctx);
}

void fault_totals__deltas(struct fault_totals *totals,
			  void (*fn)(uint64_t cgroup_id, uint64_t minor, uint64_t major, void *ctx),
			  void *ctx)
{
	struct delta_walk walk = { fn, ctx };

	id_table__each(totals->table, emit_delta, &walk);
}

void fault_totals__forget(struct fault_totals *totals, uint64_t cgroup_id)
{
	id_table__remove(totals->table, cgroup_id);
}

unsigned int fault_totals__count(const struct fault_totals *totals)
{
	return id_table__count(totals->table);
}
