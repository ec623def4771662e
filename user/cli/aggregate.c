// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "id_table.h"
#include "event_build.h"
#include "strbuf.h"

/*
 * Invariants, because /metrics must show one series per label set:
 * - at most one entry per cgroup path as /metrics shows it (by_path), so two
 *   cgroups that had one path (a container restarted in the same cgroup) are
 *   one entry: see take_over_path();
 * - a cgroup removed within the tombstone period never gets a live entry,
 *   even when its removal came before its first figures (removed).
 */
/* Left-out cgroups remembered (about 40 bytes each); they leave when removed. */
#define REFUSED_MAX 65536

struct aggregate {
	struct id_table *entries; /* cgroup id -> struct aggregate_entry */
	struct id_table *by_path; /* path_key() of a path -> cgroup id of its entry */
	struct id_table *removed; /* cgroup id -> when it was removed (CLOCK_MONOTONIC) */
	uint64_t *removed_ring;	  /* the same ids, oldest removal first */
	unsigned int ring_head, ring_count, ring_cap;
	uint64_t tombstone_ns;
	unsigned int max_entries;
	struct id_table *refused; /* cgroup ids left out for want of room: counted once each */
	uint64_t overflows;
	uint64_t interval_ns;
	bool interval_open; /* an interval's figures have begun to arrive (add_event) */
};

struct aggregate *aggregate__new(uint64_t tombstone_ns, unsigned int max_entries)
{
	struct aggregate *agg = calloc(1, sizeof(*agg));

	if (!agg)
		return NULL;
	agg->entries = id_table__new(sizeof(struct aggregate_entry));
	agg->by_path = id_table__new(sizeof(uint64_t));
	agg->removed = id_table__new(sizeof(uint64_t));
	agg->refused = id_table__new(1);
	if (!agg->entries || !agg->by_path || !agg->removed || !agg->refused) {
		aggregate__free(agg);
		return NULL;
	}
	agg->tombstone_ns = tombstone_ns;
	agg->max_entries = max_entries;
	return agg;
}

/* What /metrics escaped of the entry's names: made again at the next render. */
static void forget_labels(struct aggregate_entry *e)
{
	free(e->labels);
	e->labels = NULL;
}

static bool drop_all(uint64_t id, void *value, void *ctx)
{
	free(((struct aggregate_entry *)value)->path);
	forget_labels(value);
	return true;
}

void aggregate__free(struct aggregate *agg)
{
	if (!agg)
		return;
	if (agg->entries)
		id_table__remove_if(agg->entries, drop_all, NULL);
	id_table__free(agg->entries);
	id_table__free(agg->by_path);
	id_table__free(agg->removed);
	id_table__free(agg->refused);
	free(agg->removed_ring);
	free(agg);
}

/* The next character of a label value as prom_escape_label() prints it. */
static size_t shown_char(const char *s, size_t len, uint32_t *cp)
{
	size_t n = utf8_decode((const unsigned char *)s, len, cp);

	if (n)
		return n;
	*cp = 0xfffd; /* malformed: U+FFFD, one byte at a time */
	return 1;
}

/* FNV-1a over the path as shown: paths that print alike are one series. */
static uint64_t path_key(const char *path)
{
	size_t len = strlen(path);
	uint64_t hash = 0xcbf29ce484222325ULL;
	uint32_t cp;

	for (size_t i = 0; i < len;) {
		i += shown_char(path + i, len - i, &cp);
		hash = (hash ^ cp) * 0x100000001b3ULL;
	}
	return hash;
}

static bool shown_alike(const char *a, const char *b)
{
	size_t alen = strlen(a), blen = strlen(b), i = 0, j = 0;

	while (i < alen && j < blen) {
		uint32_t ca, cb;

		i += shown_char(a + i, alen - i, &ca);
		j += shown_char(b + j, blen - j, &cb);
		if (ca != cb)
			return false;
	}
	return i == alen && j == blen;
}

/* The entry showing path, if any (a 64-bit hash collision counts as none). */
static struct aggregate_entry *path_holder(const struct aggregate *agg, const char *path)
{
	const uint64_t *id = id_table__find(agg->by_path, path_key(path));
	struct aggregate_entry *e = id ? id_table__find(agg->entries, *id) : NULL;

	return e && shown_alike(e->path, path) ? e : NULL;
}

static void index_path(struct aggregate *agg, const struct aggregate_entry *e)
{
	uint64_t *id = id_table__get(agg->by_path, path_key(e->path));

	if (id)
		*id = e->cgroup_id;
}

static void unindex_path(struct aggregate *agg, const struct aggregate_entry *e)
{
	uint64_t key = path_key(e->path);
	const uint64_t *id = id_table__find(agg->by_path, key);

	if (id && *id == e->cgroup_id)
		id_table__remove(agg->by_path, key);
}

static void drop_entry(struct aggregate *agg, struct aggregate_entry *e)
{
	uint64_t id = e->cgroup_id;

	unindex_path(agg, e);
	free(e->path);
	forget_labels(e);
	id_table__remove(agg->entries, id);
}

static void forget_oldest_removal(struct aggregate *agg)
{
	id_table__remove(agg->removed, agg->removed_ring[agg->ring_head]);
	agg->ring_head = (agg->ring_head + 1) % agg->ring_cap;
	agg->ring_count--;
}

/* Doubles the ring up to max_entries ids; false when it can't grow. */
static bool grow_ring(struct aggregate *agg)
{
	unsigned int cap = agg->ring_cap ? agg->ring_cap * 2 : 64;
	uint64_t *ring;

	if (cap > agg->max_entries)
		cap = agg->max_entries;
	if (cap <= agg->ring_cap)
		return false;
	ring = malloc(cap * sizeof(*ring));
	if (!ring)
		return false;
	for (unsigned int i = 0; i < agg->ring_count; i++)
		ring[i] = agg->removed_ring[(agg->ring_head + i) % agg->ring_cap];
	free(agg->removed_ring);
	agg->removed_ring = ring;
	agg->ring_head = 0;
	agg->ring_cap = cap;
	return true;
}

/*
 * Every removal is kept for the tombstone period, entry or not: a cgroup that
 * lived less than an interval is removed before its figures arrive. Bounded
 * by max_entries removals: past it the oldest is forgotten early, which only
 * matters if its figures come later still (they come within an interval).
 */
static void remember_removal(struct aggregate *agg, uint64_t cgroup_id, uint64_t now_ns)
{
	uint64_t *at;

	if (id_table__find(agg->removed, cgroup_id))
		return;
	if (agg->ring_count == agg->ring_cap && !grow_ring(agg)) {
		if (!agg->ring_count)
			return;
		forget_oldest_removal(agg);
	}
	at = id_table__get(agg->removed, cgroup_id);
	if (!at)
		return;
	*at = now_ns;
	agg->removed_ring[(agg->ring_head + agg->ring_count++) % agg->ring_cap] = cgroup_id;
}

static void expire_removals(struct aggregate *agg, uint64_t now_ns)
{
	while (agg->ring_count) {
		const uint64_t *at =
			id_table__find(agg->removed, agg->removed_ring[agg->ring_head]);

		if (at && now_ns - *at < agg->tombstone_ns)
			break;
		forget_oldest_removal(agg);
	}
}

static uint64_t removed_at(const struct aggregate *agg, uint64_t cgroup_id)
{
	const uint64_t *at = id_table__find(agg->removed, cgroup_id);

	return at ? *at : 0;
}

static void zero_interval(uint64_t id, void *value, void *ctx)
{
	struct aggregate_entry *e = value;

	e->interval_minor = 0;
	e->interval_major = 0;
	e->interval_net_charge = 0;
	e->interval_stall_ns = 0;
	e->interval_gauges = false;
	e->interval_detail = false;
	e->interval_working_set = false;
	e->interval_stats = false;
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

/* from's totals go on in into's series; gauges stay into's own. */
static void absorb(struct aggregate_entry *into, const struct aggregate_entry *from)
{
	into->faults_minor += from->faults_minor;
	into->faults_major += from->faults_major;
	for (int k = 0; k < MEMSIGHT_CHARGE_KINDS; k++) {
		into->charged[k] += from->charged[k];
		into->uncharged[k] += from->uncharged[k];
	}
	into->reclaim_count += from->reclaim_count;
	into->reclaim_stall_ns += from->reclaim_stall_ns;
	for (int b = 0; b < MEMSIGHT_RECLAIM_BUCKETS; b++)
		into->reclaim_hist[b] += from->reclaim_hist[b];
	into->oom_kills += from->oom_kills;
	into->oom_risks += from->oom_risks;
	if (from->last_oom_realtime_ns > into->last_oom_realtime_ns)
		into->last_oom_realtime_ns = from->last_oom_realtime_ns;
	into->interval_minor += from->interval_minor;
	into->interval_major += from->interval_major;
	into->interval_net_charge += from->interval_net_charge;
	into->interval_stall_ns += from->interval_stall_ns;
}

/*
 * e is to show path, which holder may show already: two cgroups, one path.
 * The cgroup label is what tells a series apart (a container's id is in its
 * path, so a reused path is the same container restarted, or the same
 * systemd unit), and Prometheus keeps only one of two samples with one label
 * set: so they become one entry. Its counters carry on from both cgroups'
 * totals, so they never go backwards, neither now nor when the old cgroup's
 * tombstone would have expired, and a new OOM kill shows as an increase.
 * Gauges and names come from the live cgroup: a removed one never takes the
 * series over from a live one, it only adds its last counts. Returns the
 * entry that now shows path.
 */
static struct aggregate_entry *take_over_path(struct aggregate *agg, struct aggregate_entry *e,
					      struct aggregate_entry *holder)
{
	if (!holder || holder == e)
		return e;
	if (e->removed_ns && !holder->removed_ns) {
		absorb(holder, e);
		drop_entry(agg, e);
		return holder;
	}
	absorb(e, holder);
	drop_entry(agg, holder);
	return e;
}

/* A name learnt late, or a v1 rename. */
static struct aggregate_entry *rename_entry(struct aggregate *agg, struct aggregate_entry *e,
					    const char *path)
{
	struct aggregate_entry *holder = path_holder(agg, path);
	char *copy = strdup(path);

	if (!copy)
		return e; /* keeps its old name */
	unindex_path(agg, e);
	free(e->path);
	forget_labels(e);
	e->path = copy;
	e = take_over_path(agg, e, holder);
	index_path(agg, e);
	return e;
}

/* A new entry for cgroup_id at path, tombstoned from the start if it is gone already. */
static struct aggregate_entry *new_entry(struct aggregate *agg, uint64_t cgroup_id,
					 const char *path, struct aggregate_entry *holder)
{
	struct aggregate_entry *e;
	char *copy;

	/* Taking over a path adds no entry. */
	if (!holder && id_table__count(agg->entries) >= agg->max_entries) {
		/* once per cgroup, not per interval it keeps knocking */
		if (!id_table__find(agg->refused, cgroup_id)) {
			agg->overflows++;
			if (id_table__count(agg->refused) < REFUSED_MAX)
				id_table__get(agg->refused, cgroup_id);
		}
		return NULL;
	}
	copy = strdup(path);
	e = copy ? id_table__get(agg->entries, cgroup_id) : NULL;
	if (!e) {
		free(copy);
		return NULL;
	}
	e->cgroup_id = cgroup_id;
	e->path = copy;
	e->removed_ns = removed_at(agg, cgroup_id);
	e->container.exited = e->removed_ns != 0;
	e = take_over_path(agg, e, holder);
	index_path(agg, e);
	return e;
}

/*
 * The entry showing cgroup_id's figures, made when absent; NULL when full, out
 * of memory, or unknown and unnamed. Another cgroup's when cgroup_id is gone
 * and a live cgroup shows its path now (*own false).
 */
static struct aggregate_entry *entry_of(struct aggregate *agg, uint64_t cgroup_id, const char *path,
					bool *own)
{
	struct aggregate_entry *e = id_table__find(agg->entries, cgroup_id), *holder;

	if (e) {
		if (path && strcmp(e->path, path))
			e = rename_entry(agg, e, path);
		*own = e->cgroup_id == cgroup_id;
		return e;
	}
	/* A cgroup memsight never saw named can't be shown or labelled. */
	if (!path)
		return NULL;
	holder = path_holder(agg, path);
	if (holder && !holder->removed_ns && removed_at(agg, cgroup_id)) {
		*own = false;
		return holder;
	}
	*own = true;
	return new_entry(agg, cgroup_id, path, holder);
}

/* Whether any name a label shows differs (runtime, ids, names, image). */
static bool shown_names_differ(const struct container_info *a, const struct container_info *b)
{
	return a->runtime != b->runtime || strcmp(a->id, b->id) || strcmp(a->unit, b->unit) ||
	       strcmp(a->pod_uid, b->pod_uid) || strcmp(a->meta.name, b->meta.name) ||
	       strcmp(a->meta.pod, b->meta.pod) || strcmp(a->meta.namespace, b->meta.namespace) ||
	       strcmp(a->meta.image, b->meta.image);
}

/*
 * Every interval's figures carry the names: those learnt late (a runtime's
 * state file read after the cgroup's first count) replace the first ones.
 */
static void take_names(struct aggregate_entry *e, const struct container_info *info)
{
	bool exited = e->container.exited || e->removed_ns;

	if (!e->has_container || shown_names_differ(&e->container, info))
		forget_labels(e);
	e->container = *info;
	e->container.exited |= exited;
	e->has_container = true;
}

struct aggregate_entry *aggregate__entry(struct aggregate *agg, uint64_t cgroup_id,
					 const char *path, const struct container_info *info)
{
	bool own;
	struct aggregate_entry *e = entry_of(agg, cgroup_id, path, &own);

	/* Names can arrive late (a path learnt after the first count): take the newest. */
	if (e && own && info)
		take_names(e, info);
	return e;
}

void aggregate__add_stats(struct aggregate *agg, const struct memsight_container_stats *stats)
{
	struct aggregate_entry *e;
	struct container_info info;
	bool own;

	/*
	 * A cgroup memsight never saw named (a dying memcg still uncharging its
	 * page cache) can't be shown or labelled: its line in the stream says so.
	 */
	if (!stats->cgroup.path || !stats->cgroup.path[0])
		return;
	e = entry_of(agg, stats->cgroup.id, stats->cgroup.path, &own);
	if (!e)
		return;
	if (own) {
		container_info_from_event(&stats->container, &info);
		take_names(e, &info);
		e->interval_stats = true;
	}
	e->faults_minor += stats->faults_minor;
	e->faults_major += stats->faults_major;
	e->interval_minor += stats->faults_minor;
	e->interval_major += stats->faults_major;
	if (stats->has_charges) {
		for (int k = 0; k < MEMSIGHT_CHARGE_KINDS; k++) {
			e->charged[k] += stats->charged_bytes[k];
			e->uncharged[k] += stats->uncharged_bytes[k];
			e->interval_net_charge += (int64_t)stats->charged_bytes[k] -
						  (int64_t)stats->uncharged_bytes[k];
		}
	}
	e->reclaim_count += stats->reclaim_count;
	e->reclaim_stall_ns += stats->reclaim_stall_ns;
	e->interval_stall_ns += stats->reclaim_stall_ns;
	for (unsigned int b = 0;
	     stats->reclaim_histogram && b < stats->reclaim_buckets && b < MEMSIGHT_RECLAIM_BUCKETS;
	     b++)
		e->reclaim_hist[b] += stats->reclaim_histogram[b];
	/* Gauges keep their last known value when this interval couldn't read them. */
	if (own && stats->has_usage) {
		aggregate_entry_gauges(e, stats);
		e->interval_gauges = true;
		aggregate_entry_detail(e, stats);
	}
}

void aggregate_entry_gauges(struct aggregate_entry *e, const struct memsight_container_stats *s)
{
	e->has_usage = true;
	e->usage_bytes = s->usage_bytes;
	e->has_limit = s->has_limit;
	e->limit_bytes = s->limit_bytes;
	e->has_high = s->has_high;
	e->high_bytes = s->has_high ? s->high_bytes : 0;
}

void aggregate_entry_detail(struct aggregate_entry *e, const struct memsight_container_stats *s)
{
	/* a cgroup gone is neither heading for its limit nor leaking, whatever came last */
	e->has_time_to_limit = !e->removed_ns && s->has_time_to_limit;
	e->time_to_limit_s = s->time_to_limit_s;
	e->leak_suspected = !e->removed_ns && s->leak_suspected;
	if (!s->has_detail)
		return;
	e->has_detail = true;
	e->interval_detail = true;
	aggregate_entry_working_set(e, s->working_set_bytes);
	e->anon_bytes = s->anon_bytes;
	e->file_bytes = s->file_bytes;
	e->has_swap = s->has_swap;
	e->swap_bytes = s->swap_bytes;
	e->limit_events = s->limit_events;
}

void aggregate_entry_working_set(struct aggregate_entry *e, uint64_t bytes)
{
	e->has_working_set = true;
	e->interval_working_set = true;
	e->working_set_bytes = bytes;
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

static void add_oom_event(struct aggregate *agg, const struct memsight_event *ev)
{
	const struct memsight_oom_kill *k = &ev->oom_kill;
	struct container_info info;

	container_info_from_event(&k->container, &info);
	aggregate__add_oom_kill(agg, k->cgroup.id, k->cgroup.path[0] ? k->cgroup.path : NULL, &info,
				ev->ts_ns);
}

/* Suspected from the event on; container_stats keep saying whether it still is. */
static void mark_leak(struct aggregate *agg, const struct memsight_leak_suspect *l)
{
	struct container_info info;
	struct aggregate_entry *e;

	if (!l->cgroup.path || !l->cgroup.path[0])
		return;
	container_info_from_event(&l->container, &info);
	e = aggregate__entry(agg, l->cgroup.id, l->cgroup.path, &info);
	if (e)
		e->leak_suspected = true;
}

static void add_oom_risk(struct aggregate *agg, const struct memsight_oom_risk *r)
{
	struct container_info info;
	struct aggregate_entry *e;

	if (!r->cgroup.path || !r->cgroup.path[0])
		return;
	container_info_from_event(&r->container, &info);
	e = aggregate__entry(agg, r->cgroup.id, r->cgroup.path, &info);
	if (e)
		e->oom_risks++;
}

/* An interval's first figures (or, when all was idle, its agent_stats) zero the last's. */
static void open_interval(struct aggregate *agg, uint64_t interval_ns)
{
	if (agg->interval_open)
		return;
	aggregate__begin_interval(agg, interval_ns);
	agg->interval_open = true;
}

void aggregate__add_event(struct aggregate *agg, const struct memsight_event *ev, uint64_t now_ns)
{
	switch (ev->type) {
	case MEMSIGHT_EVENT_OOM_KILL:
		add_oom_event(agg, ev);
		break;
	case MEMSIGHT_EVENT_CONTAINER_STATS:
		open_interval(agg, ev->container_stats.interval_ns);
		aggregate__add_stats(agg, &ev->container_stats);
		break;
	case MEMSIGHT_EVENT_LEAK_SUSPECT:
		mark_leak(agg, &ev->leak_suspect);
		break;
	case MEMSIGHT_EVENT_OOM_RISK:
		add_oom_risk(agg, &ev->oom_risk);
		break;
	case MEMSIGHT_EVENT_CGROUP:
		if (ev->cgroup.removed)
			aggregate__cgroup_removed(agg, ev->cgroup.cgroup.id, now_ns);
		break;
	case MEMSIGHT_EVENT_AGENT_STATS:
		open_interval(agg, ev->agent_stats.interval_ns);
		agg->interval_open = false;
		break;
	default:
		break;
	}
}

void aggregate__cgroup_removed(struct aggregate *agg, uint64_t cgroup_id, uint64_t now_ns)
{
	struct aggregate_entry *e = id_table__find(agg->entries, cgroup_id);

	now_ns = now_ns ? now_ns : 1;
	id_table__remove(agg->refused, cgroup_id);
	remember_removal(agg, cgroup_id, now_ns);
	if (!e || e->removed_ns)
		return;
	e->removed_ns = now_ns;
	e->container.exited = true;
	e->has_time_to_limit = false;
	e->leak_suspected = false;
}

struct expire_ctx {
	struct aggregate *agg;
	uint64_t now_ns;
};

static bool tombstone_over(uint64_t id, void *value, void *ctx)
{
	struct aggregate_entry *e = value;
	const struct expire_ctx *x = ctx;

	if (!e->removed_ns || x->now_ns - e->removed_ns < x->agg->tombstone_ns)
		return false;
	unindex_path(x->agg, e);
	free(e->path);
	forget_labels(e);
	return true;
}

void aggregate__expire(struct aggregate *agg, uint64_t now_ns)
{
	struct expire_ctx x = { agg, now_ns };

	id_table__remove_if(agg->entries, tombstone_over, &x);
	expire_removals(agg, now_ns);
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
	int cmp = strcmp(x->path, y->path);

	if (cmp)
		return cmp;
	return x->cgroup_id < y->cgroup_id ? -1 : x->cgroup_id > y->cgroup_id;
}

const struct aggregate_entry **aggregate__list(const struct aggregate *agg, unsigned int *count)
{
	struct collect_ctx c = { .n = 0 };

	c.out = calloc(id_table__count(agg->entries) + 1, sizeof(*c.out));
	if (!c.out)
		return NULL;
	/* id_table__each takes a mutable table; collecting doesn't change it. */
	id_table__each((struct id_table *)agg->entries, collect, &c);
	if (count)
		*count = c.n;
	return c.out;
}

const struct aggregate_entry **aggregate__sorted(const struct aggregate *agg, unsigned int *count)
{
	unsigned int n = 0;
	const struct aggregate_entry **entries = aggregate__list(agg, &n);

	if (entries)
		qsort(entries, n, sizeof(*entries), by_path);
	if (count)
		*count = n;
	return entries;
}

double aggregate_entry_growth(const struct aggregate_entry *e, uint64_t interval_ns)
{
	return interval_ns ? (double)e->interval_net_charge * 1e9 / (double)interval_ns : 0;
}
