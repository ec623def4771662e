// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "id_table.h"
#include "interval_counts.h"
#include "memsight.h"

/* A table entry's values at its last read, and the round that read it. */
struct table_state {
	uint64_t last[INTERVAL_COUNTS_MAX];
	uint64_t round;
};

struct retiring_slot {
	uint32_t index;
	uint64_t owner;
};

struct interval_counts {
	struct count_source source;
	struct id_table *table; /* struct table_state per table key */
	struct retiring_slot *retiring;
	unsigned int retiring_count, retiring_cap;
	uint64_t *doomed; /* removed cgroups' table keys read this round: dropped after */
	unsigned int doomed_count, doomed_cap;
	uint64_t round;
	struct interval_counts_stats stats;
};

/* One collect's working state. */
struct collect {
	struct interval_counts *ic;
	struct id_table *deltas; /* uint64_t[counters] per cgroup */
	cgroup_removed_fn removed;
	void *removed_ctx;
	int err;
};

struct interval_counts *interval_counts__new(const struct count_source *source)
{
	struct interval_counts *ic;

	if (source->counters == 0 || source->counters > INTERVAL_COUNTS_MAX)
		return NULL;
	ic = calloc(1, sizeof(*ic));
	if (!ic)
		return NULL;
	ic->source = *source;
	ic->table = id_table__new(sizeof(struct table_state));
	if (!ic->table) {
		free(ic);
		return NULL;
	}
	return ic;
}

void interval_counts__free(struct interval_counts *ic)
{
	if (!ic)
		return;
	id_table__free(ic->table);
	free(ic->retiring);
	free(ic->doomed);
	free(ic);
}

const struct interval_counts_stats *interval_counts__stats(const struct interval_counts *ic)
{
	return &ic->stats;
}

static uint64_t *slot_at(const struct interval_counts *ic, uint32_t index)
{
	return ic->source.slots + (size_t)index * (SLOT_HEADER_WORDS + ic->source.counters);
}

/* Moves a slot's counters into the cgroup's deltas: read and reset, one word at a time. */
static int drain_into(struct collect *c, uint64_t owner, uint64_t *counters)
{
	unsigned int n = c->ic->source.counters;
	uint64_t *delta = NULL;

	for (unsigned int k = 0; k < n; k++) {
		/* a plain look first: most counters of most slots are zero */
		if (!__atomic_load_n(&counters[k], __ATOMIC_RELAXED))
			continue;
		if (!delta)
			delta = id_table__get(c->deltas, owner);
		if (!delta)
			return -ENOMEM; /* left in the slot for the next collect */
		delta[k] += __atomic_exchange_n(&counters[k], 0, __ATOMIC_ACQ_REL);
	}
	return 0;
}

static bool grow(void **array, unsigned int *cap, unsigned int count, size_t size)
{
	unsigned int want = *cap ? *cap * 2 : 64;
	void *grown;

	if (count < *cap)
		return true;
	grown = realloc(*array, want * size);
	if (!grown)
		return false;
	*array = grown;
	*cap = want;
	return true;
}

/*
 * Retired slots from the last collect: what their owner counted before the
 * retirement is theirs; then the slot is free for the memcg that now has
 * the id (its counts went to the overflow table meanwhile).
 */
static void release_retired(struct collect *c)
{
	struct interval_counts *ic = c->ic;

	for (unsigned int i = 0; i < ic->retiring_count; i++) {
		struct retiring_slot *r = &ic->retiring[i];
		uint64_t *slot = slot_at(ic, r->index);

		if (drain_into(c, r->owner, slot + SLOT_HEADER_WORDS)) {
			c->err = -ENOMEM;
			/* keep the rest retired for the next collect */
			memmove(ic->retiring, r, (ic->retiring_count - i) * sizeof(*r));
			ic->retiring_count -= i;
			return;
		}
		__atomic_store_n(&slot[0], 0, __ATOMIC_RELEASE);
	}
	ic->retiring_count = 0;
}

/* Takes a removed owner's slot out of service: both memcgs count in the table meanwhile. */
static void retire(struct collect *c, uint32_t index, uint64_t owner)
{
	struct interval_counts *ic = c->ic;

	if (!grow((void **)&ic->retiring, &ic->retiring_cap, ic->retiring_count,
		  sizeof(*ic->retiring)))
		return; /* tried again next collect */
	uint64_t *slot = slot_at(ic, index);

	/* the owner first: once the tag is gone the owner's events check the owner word */
	__atomic_store_n(&slot[0], MEMSIGHT_SLOT_RETIRING, __ATOMIC_RELEASE);
	__atomic_store_n(&slot[1], 0, __ATOMIC_RELEASE);
	ic->retiring[ic->retiring_count++] = (struct retiring_slot){ index, owner };
	ic->stats.slots_retired++;
}

static void drain_slots(struct collect *c)
{
	struct interval_counts *ic = c->ic;
	uint64_t in_use = 0;

	for (uint32_t i = 0; i < ic->source.slot_count; i++) {
		uint64_t *slot = slot_at(ic, i);
		/* Only the BPF side writes a free slot's owner, only userspace an owned one. */
		uint64_t owner = __atomic_load_n(&slot[0], __ATOMIC_ACQUIRE);

		if (!owner || owner == MEMSIGHT_SLOT_RETIRING)
			continue;
		in_use++;
		if (drain_into(c, owner, slot + SLOT_HEADER_WORDS)) {
			c->err = -ENOMEM;
			continue;
		}
		if (c->removed && c->removed(owner, c->removed_ctx))
			retire(c, i, owner);
	}
	ic->stats.slots_in_use = in_use;
}

static void on_table_entry(void *ctx, uint64_t cgroup_id, const uint64_t *values)
{
	struct collect *c = ctx;
	struct interval_counts *ic = c->ic;
	unsigned int n = ic->source.counters;
	bool fresh = !id_table__find(ic->table, cgroup_id);
	struct table_state *st = id_table__get(ic->table, cgroup_id);
	uint64_t *delta;
	bool lower = false;

	if (!st)
		return; /* unread: its counts wait for the next collect */
	/* seen first: made since the last read (the maps start empty), all of it is new */
	for (unsigned int k = 0; k < n && !fresh; k++)
		lower |= values[k] < st->last[k];
	if (lower) {
		ic->stats.resyncs++;
	} else if ((delta = id_table__get(c->deltas, cgroup_id))) {
		for (unsigned int k = 0; k < n; k++)
			delta[k] += values[k] - st->last[k];
	} else {
		return; /* out of memory: keep the old baseline, the delta waits */
	}
	memcpy(st->last, values, n * sizeof(*values));
	st->round = ic->round;
	if (c->removed && c->removed(cgroup_id, c->removed_ctx) &&
	    grow((void **)&ic->doomed, &ic->doomed_cap, ic->doomed_count, sizeof(*ic->doomed)))
		ic->doomed[ic->doomed_count++] = cgroup_id;
}

static bool unseen(uint64_t id, void *value, void *ctx)
{
	return ((struct table_state *)value)->round != *(uint64_t *)ctx;
}

static void read_table(struct collect *c)
{
	struct interval_counts *ic = c->ic;
	int ret;

	if (!ic->source.read_table)
		return;
	ic->round++;
	ic->doomed_count = 0;
	ret = ic->source.read_table(ic->source.src, on_table_entry, c);
	if (ret) {
		/* what was read is exact; the rest is read next time */
		ic->stats.failed_reads++;
		return;
	}
	/* Gone from a complete read: deleted after its last read. */
	id_table__remove_if(ic->table, unseen, &ic->round);
	for (unsigned int i = 0; i < ic->doomed_count; i++) {
		if (ic->source.delete_entry)
			ic->source.delete_entry(ic->source.src, ic->doomed[i]);
		id_table__remove(ic->table, ic->doomed[i]);
	}
}

struct emit {
	interval_delta_fn fn;
	void *ctx;
	unsigned int counters;
};

static void emit_delta(uint64_t cgroup_id, void *value, void *ctx)
{
	const uint64_t *delta = value;
	struct emit *e = ctx;

	for (unsigned int k = 0; k < e->counters; k++)
		if (delta[k]) {
			e->fn(cgroup_id, delta, e->ctx);
			return;
		}
}

int interval_counts__collect(struct interval_counts *ic, cgroup_removed_fn removed,
			     void *removed_ctx, interval_delta_fn fn, void *ctx)
{
	struct collect c = { .ic = ic, .removed = removed, .removed_ctx = removed_ctx };
	struct emit e = { fn, ctx, ic->source.counters };

	c.deltas = id_table__new(ic->source.counters * sizeof(uint64_t));
	if (!c.deltas)
		return -ENOMEM;
	release_retired(&c);
	drain_slots(&c);
	read_table(&c);
	id_table__each(c.deltas, emit_delta, &e);
	id_table__free(c.deltas);
	return c.err;
}
