// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workloads.h"

void workload_set_init(struct workload_set *set)
{
	memset(set, 0, sizeof(*set));
}

static void workload_free(struct workload *w)
{
	for (size_t i = 0; i < w->pods; i++)
		free(w->pod_names[i]);
	free(w->pod_names);
	free(w->namespace);
	free(w->name);
	free(w->container);
	free(w);
}

void workload_set_free(struct workload_set *set)
{
	for (size_t i = 0; i < set->len; i++)
		workload_free(set->items[i]);
	free(set->items);
	free(set->slots);
	workload_set_init(set);
}

static uint64_t hash_key(const char *namespace, const char *name, const char *container)
{
	const char *parts[] = { namespace, name, container };
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (int i = 0; i < 3; i++) {
		for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++)
			h = (h ^ *p) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL; /* a separator no label byte can fake */
	}
	return h;
}

static bool same(const struct workload *w, const char *namespace, const char *name,
		 const char *container)
{
	return !strcmp(w->namespace, namespace) && !strcmp(w->name, name) &&
	       !strcmp(w->container, container);
}

static int grow_slots(struct workload_set *set)
{
	size_t cap = set->slot_cap ? set->slot_cap * 2 : 64, *slots;

	/* At most half full once the next entry is in (after finish, len may be any). */
	while (cap < (set->len + 1) * 2)
		cap *= 2;
	slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < set->len; i++) {
		const struct workload *w = set->items[i];
		size_t at = hash_key(w->namespace, w->name, w->container) & (cap - 1);

		while (slots[at])
			at = (at + 1) & (cap - 1);
		slots[at] = i + 1;
	}
	free(set->slots);
	set->slots = slots;
	set->slot_cap = cap;
	return 0;
}

static struct workload *new_workload(const char *namespace, const char *name, const char *container,
				     enum workload_kind kind)
{
	struct workload *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->namespace = strdup(namespace);
	w->name = strdup(name);
	w->container = strdup(container);
	w->kind = kind;
	w->fig.first_seen = INFINITY;
	if (!w->namespace || !w->name || !w->container) {
		workload_free(w);
		return NULL;
	}
	return w;
}

static struct workload *find_or_add(struct workload_set *set, const char *namespace,
				    const char *pod, const char *container)
{
	char name[256];
	enum workload_kind kind = workload_from_pod(pod, container, name, sizeof(name));
	uint64_t h = hash_key(namespace, name, container);
	struct workload *w;
	size_t at;

	/* At most half full: probes stay short. */
	if ((set->len + 1) * 2 > set->slot_cap && grow_slots(set))
		return NULL;
	for (at = h & (set->slot_cap - 1); set->slots[at]; at = (at + 1) & (set->slot_cap - 1))
		if (same(set->items[set->slots[at] - 1], namespace, name, container))
			return set->items[set->slots[at] - 1];
	if (set->len == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 32;
		struct workload **items = realloc(set->items, cap * sizeof(*items));

		if (!items)
			return NULL;
		set->items = items;
		set->cap = cap;
	}
	w = new_workload(namespace, name, container, kind);
	if (!w)
		return NULL;
	set->items[set->len++] = w;
	set->slots[at] = set->len;
	return w;
}

static int count_pod(struct workload *w, const char *pod)
{
	char **names;

	if (!*pod)
		return 0; /* not a pod: docker, podman, a systemd unit */
	for (size_t i = 0; i < w->pods; i++)
		if (!strcmp(w->pod_names[i], pod))
			return 0;
	if (w->pods == w->pod_cap) {
		size_t cap = w->pod_cap ? w->pod_cap * 2 : 4;

		names = realloc(w->pod_names, cap * sizeof(*names));
		if (!names)
			return -ENOMEM;
		w->pod_names = names;
		w->pod_cap = cap;
	}
	w->pod_names[w->pods] = strdup(pod);
	if (!w->pod_names[w->pods])
		return -ENOMEM;
	w->pods++;
	return 0;
}

static double higher(double a, double b)
{
	return a > b ? a : b;
}

static uint64_t count_of(double value)
{
	return (uint64_t)llround(value);
}

int workload_set_add(struct workload_set *set, const char *namespace, const char *pod,
		     const char *container, enum workload_figure figure, double value)
{
	struct recommend_figures *fig;
	struct workload *w;

	if (!isfinite(value) || value < 0)
		return 0;
	w = find_or_add(set, namespace, pod, container);
	if (!w)
		return -ENOMEM;
	fig = &w->fig;
	switch (figure) {
	case FIGURE_WS_P99:
		fig->working_set_p99 = higher(fig->working_set_p99, value);
		break;
	case FIGURE_WS_MAX:
		fig->has_working_set = true;
		fig->working_set_max = higher(fig->working_set_max, value);
		return count_pod(w, pod);
	case FIGURE_FIRST_SEEN:
		if (value < fig->first_seen)
			fig->first_seen = value;
		break;
	case FIGURE_LAST_SEEN:
		fig->last_seen = higher(fig->last_seen, value);
		break;
	case FIGURE_OOM_KILLS:
		fig->oom_kills += count_of(value);
		break;
	case FIGURE_OOM_RISKS:
		fig->oom_risks += count_of(value);
		break;
	case FIGURE_LEAK:
		fig->leak_suspected |= value >= 1;
		break;
	case FIGURE_LIMIT_NOW:
		w->limit_now = w->has_limit_now ? higher(w->limit_now, value) : value;
		w->has_limit_now = true;
		break;
	case FIGURE_LIMIT_LAST:
		w->limit_last = w->has_limit_last ? higher(w->limit_last, value) : value;
		w->has_limit_last = true;
		break;
	case FIGURE_KILL_LIMIT:
		fig->kill_limit = higher(fig->kill_limit, value);
		fig->has_kill_limit = true;
		break;
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	const struct workload *x = *(struct workload *const *)a, *y = *(struct workload *const *)b;
	int c = strcmp(x->namespace, y->namespace);

	if (!c)
		c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->container, y->container);
}

void workload_set_finish(struct workload_set *set)
{
	for (size_t i = 0; i < set->len; i++) {
		struct workload *w = set->items[i];

		/* A pod still running says what the limit is now; gone ones, what it was. */
		w->fig.has_limit = w->has_limit_now || w->has_limit_last;
		w->fig.current_limit = w->has_limit_now ? w->limit_now : w->limit_last;
	}
	if (set->len)
		qsort(set->items, set->len, sizeof(*set->items), by_name);
	/* The index would point at the old order. */
	free(set->slots);
	set->slots = NULL;
	set->slot_cap = 0;
}
