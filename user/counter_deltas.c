// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>

#include "counter_deltas.h"
#include "id_table.h"

struct counter_state {
	uint64_t now[COUNTER_DELTAS_MAX];
	uint64_t last[COUNTER_DELTAS_MAX];
};

struct counter_deltas {
	struct id_table *table;
	unsigned int counters;
};

struct counter_deltas *counter_deltas__new(unsigned int counters)
{
	struct counter_deltas *cd;

	if (counters > COUNTER_DELTAS_MAX)
		return NULL;
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return NULL;
	cd->counters = counters;
	cd->table = id_table__new(sizeof(struct counter_state));
	if (!cd->table) {
		free(cd);
		return NULL;
	}
	return cd;
}

void counter_deltas__free(struct counter_deltas *cd)
{
	if (!cd)
		return;
	id_table__free(cd->table);
	free(cd);
}

static void reset(uint64_t id, void *value, void *ctx)
{
	memset(((struct counter_state *)value)->now, 0, sizeof(((struct counter_state *)0)->now));
}

void counter_deltas__begin(struct counter_deltas *cd)
{
	id_table__each(cd->table, reset, NULL);
}

void counter_deltas__add(struct counter_deltas *cd, uint64_t cgroup_id, const uint64_t *values)
{
	struct counter_state *s = id_table__get(cd->table, cgroup_id);

	if (!s)
		return;
	for (unsigned int i = 0; i < cd->counters; i++)
		s->now[i] += values[i];
}

struct walk {
	struct counter_deltas *cd;
	void (*fn)(uint64_t cgroup_id, const uint64_t *delta, void *ctx);
	void *ctx;
};

static void emit(uint64_t id, void *value, void *ctx)
{
	struct counter_state *s = value;
	struct walk *w = ctx;
	uint64_t delta[COUNTER_DELTAS_MAX];
	bool moved = false;

	for (unsigned int i = 0; i < w->cd->counters; i++) {
		/* Lower than last time: the slot was freed and counting restarted. */
		delta[i] = s->now[i] >= s->last[i] ? s->now[i] - s->last[i] : s->now[i];
		s->last[i] = s->now[i];
		moved |= delta[i] != 0;
	}
	if (moved)
		w->fn(id, delta, w->ctx);
}

void counter_deltas__each(struct counter_deltas *cd,
			  void (*fn)(uint64_t cgroup_id, const uint64_t *delta, void *ctx),
			  void *ctx)
{
	struct walk w = { cd, fn, ctx };

	id_table__each(cd->table, emit, &w);
}

void counter_deltas__forget(struct counter_deltas *cd, uint64_t cgroup_id)
{
	id_table__remove(cd->table, cgroup_id);
}
