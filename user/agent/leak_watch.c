// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>

#include "id_table.h"
#include "leak_watch.h"

struct cgroup_leak {
	uint64_t t[LEAK_SAMPLES + 1], anon[LEAK_SAMPLES + 1]; /* a ring, oldest at head */
	unsigned int head, count;
	uint64_t next_ns;  /* when the next sample is due: on a grid, so a window is a window */
	bool halfway_told; /* LEAK_HALFWAY said this episode */
	bool suspected;	   /* raised, until a window without the pattern */
	unsigned int clear_samples;
};

struct leak_watch {
	struct id_table *cgroups; /* cgroup id -> struct cgroup_leak */
	uint64_t window_ns, every_ns;
};

struct leak_watch *leak_watch__new(uint64_t window_ns)
{
	struct leak_watch *lw = calloc(1, sizeof(*lw));

	if (!lw)
		return NULL;
	lw->window_ns = window_ns;
	lw->every_ns = window_ns / LEAK_SAMPLES;
	lw->cgroups = id_table__new(sizeof(struct cgroup_leak));
	if (!lw->cgroups) {
		free(lw);
		return NULL;
	}
	return lw;
}

void leak_watch__free(struct leak_watch *lw)
{
	if (!lw)
		return;
	id_table__free(lw->cgroups);
	free(lw);
}

bool leak_pattern(const uint64_t *anon, unsigned int n, uint64_t min_growth)
{
	uint64_t growth, peak = anon[0], quarter;
	unsigned int rising = 0;

	if (n < 3 || anon[n - 1] < anon[0] + min_growth)
		return false;
	growth = anon[n - 1] - anon[0];
	for (unsigned int i = 1; i < n; i++) {
		rising += anon[i] > anon[i - 1];
		/* a fall by a quarter of the growth: freed what it allocated */
		if (anon[i] + growth / 4 < peak)
			return false;
		if (anon[i] > peak)
			peak = anon[i];
	}
	if (rising * 10 < (n - 1) * 7)
		return false;
	/* still growing over the last quarter, at half its share at least */
	quarter = anon[n - 1 - (n - 1) / 4];
	return anon[n - 1] >= quarter && (anon[n - 1] - quarter) * 8 >= growth;
}

/* The ring's samples, oldest first. */
static unsigned int samples(const struct cgroup_leak *c, uint64_t *t, uint64_t *anon)
{
	for (unsigned int i = 0; i < c->count; i++) {
		t[i] = c->t[(c->head + i) % (LEAK_SAMPLES + 1)];
		anon[i] = c->anon[(c->head + i) % (LEAK_SAMPLES + 1)];
	}
	return c->count;
}

static void sample(struct cgroup_leak *c, uint64_t now_ns, uint64_t anon)
{
	unsigned int slot = (c->head + c->count) % (LEAK_SAMPLES + 1);

	if (c->count == LEAK_SAMPLES + 1) {
		slot = c->head;
		c->head = (c->head + 1) % (LEAK_SAMPLES + 1);
	} else {
		c->count++;
	}
	c->t[slot] = now_ns;
	c->anon[slot] = anon;
}

/* What the samples say, episode by episode. */
static enum leak_verdict judge(struct cgroup_leak *c, struct leak_finding *finding)
{
	uint64_t t[LEAK_SAMPLES + 1], anon[LEAK_SAMPLES + 1];
	unsigned int n = samples(c, t, anon);
	bool full = n == LEAK_SAMPLES + 1;

	if (full && leak_pattern(anon, n, LEAK_MIN_GROWTH)) {
		c->clear_samples = 0;
		if (c->suspected)
			return LEAK_NONE;
		c->suspected = true;
		finding->window_s = (double)(t[n - 1] - t[0]) / 1e9;
		finding->anon_growth_bytes = anon[n - 1] - anon[0];
		finding->growth_bytes_per_sec =
			finding->window_s > 0
				? (double)finding->anon_growth_bytes / finding->window_s
				: 0;
		return LEAK_RAISED;
	}
	/* an episode ends after a window's worth of samples without the pattern */
	if (c->suspected && ++c->clear_samples > LEAK_SAMPLES) {
		c->suspected = false;
		c->halfway_told = false;
	}
	if (!c->suspected && !c->halfway_told && n > LEAK_SAMPLES / 2 &&
	    leak_pattern(anon, n, LEAK_MIN_GROWTH / 2)) {
		c->halfway_told = true;
		return LEAK_HALFWAY;
	}
	return LEAK_NONE;
}

enum leak_verdict leak_watch__add(struct leak_watch *lw, uint64_t cgroup_id, uint64_t now_ns,
				  uint64_t anon, struct leak_finding *finding)
{
	struct cgroup_leak *c = id_table__get(lw->cgroups, cgroup_id);

	if (!c || (c->count && now_ns < c->next_ns))
		return LEAK_NONE;
	/* late by less than a step (an interval's jitter): keep to the grid; else start it anew */
	c->next_ns = c->count && now_ns - c->next_ns < lw->every_ns ? c->next_ns + lw->every_ns
								    : now_ns + lw->every_ns;
	sample(c, now_ns, anon);
	return judge(c, finding);
}

bool leak_watch__suspected(const struct leak_watch *lw, uint64_t cgroup_id)
{
	const struct cgroup_leak *c = id_table__find(lw->cgroups, cgroup_id);

	return c && c->suspected;
}

void leak_watch__remove(struct leak_watch *lw, uint64_t cgroup_id)
{
	id_table__remove(lw->cgroups, cgroup_id);
}
