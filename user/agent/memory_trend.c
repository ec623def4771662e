// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>

#include "id_table.h"
#include "memory_trend.h"

struct cgroup_trend {
	struct trend_point points[TREND_POINTS]; /* a ring, oldest first from head */
	unsigned int head, count;
	bool has_makeup;
	struct trend_makeup makeup;
	uint64_t risk_since_ns; /* at risk since, without a break; 0: not at risk */
	bool in_risk;		/* an oom_risk was raised this episode */
	uint64_t calm_since_ns; /* out of risk since, in an episode; 0: not calm */
};

struct memory_trend {
	struct id_table *cgroups; /* cgroup id -> struct cgroup_trend */
	uint64_t horizon_ns;
};

struct memory_trend *memory_trend__new(uint64_t horizon_ns)
{
	struct memory_trend *trend = calloc(1, sizeof(*trend));

	if (!trend)
		return NULL;
	trend->horizon_ns = horizon_ns;
	trend->cgroups = id_table__new(sizeof(struct cgroup_trend));
	if (!trend->cgroups) {
		free(trend);
		return NULL;
	}
	return trend;
}

void memory_trend__free(struct memory_trend *trend)
{
	if (!trend)
		return;
	id_table__free(trend->cgroups);
	free(trend);
}

bool trend_slope(const uint64_t *t_ns, const uint64_t *ys, unsigned int n, double *per_sec)
{
	double mt = 0, my = 0, num = 0, den = 0;

	if (n < 3)
		return false;
	/* relative to the first point: doubles keep ns and bytes exact at these sizes */
	for (unsigned int i = 0; i < n; i++) {
		mt += (double)(t_ns[i] - t_ns[0]) / n;
		my += ((double)ys[i] - (double)ys[0]) / n;
	}
	for (unsigned int i = 0; i < n; i++) {
		double dt = (double)(t_ns[i] - t_ns[0]) - mt;

		num += dt * (((double)ys[i] - (double)ys[0]) - my);
		den += dt * dt;
	}
	if (den <= 0)
		return false;
	*per_sec = num / den * 1e9;
	return true;
}

/* The points of the last span_ns, oldest first; how many. */
static unsigned int window(const struct cgroup_trend *c, uint64_t span_ns, uint64_t *t,
			   uint64_t *ws, uint64_t *unreclaimable)
{
	const struct trend_point *last = &c->points[(c->head + c->count - 1) % TREND_POINTS];
	unsigned int n = 0;

	for (unsigned int i = 0; i < c->count; i++) {
		const struct trend_point *p = &c->points[(c->head + i) % TREND_POINTS];

		if (last->t_ns - p->t_ns > span_ns)
			continue;
		t[n] = p->t_ns;
		ws[n] = p->working_set;
		unreclaimable[n] = p->unreclaimable;
		n++;
	}
	return n;
}

static void push(struct cgroup_trend *c, const struct trend_point *point)
{
	if (c->count == TREND_POINTS) {
		c->points[c->head] = *point;
		c->head = (c->head + 1) % TREND_POINTS;
	} else {
		c->points[(c->head + c->count++) % TREND_POINTS] = *point;
	}
}

/* Whether the room left fills within the horizon at growth (bytes/s). */
static bool fills_within(uint64_t used, uint64_t limit, double growth, uint64_t horizon_ns)
{
	if (growth <= 0)
		return false;
	return used >= limit || (double)(limit - used) / growth * 1e9 < (double)horizon_ns;
}

/* Whether the memory reclaim can't free fills the room left within the horizon. */
static bool unreclaimable_fills(const struct cgroup_trend *c, const struct trend_point *point,
				uint64_t limit, uint64_t horizon_ns)
{
	uint64_t t[TREND_POINTS], ws[TREND_POINTS], unreclaimable[TREND_POINTS];
	unsigned int n = window(c, TREND_RECENT_NS, t, ws, unreclaimable);
	double growth;

	return trend_slope(t, unreclaimable, n, &growth) &&
	       fills_within(point->unreclaimable, limit, growth, horizon_ns);
}

/*
 * Episodes: raised once at risk long enough, re-armed only after a whole horizon
 * out of risk: a growth that pauses (a stalled or throttled process) and resumes
 * is the same danger, not a second one.
 */
static bool risk_due(struct cgroup_trend *c, bool at_risk, uint64_t now_ns, uint64_t horizon_ns)
{
	uint64_t confirm_ns =
		horizon_ns / 10 < TREND_CONFIRM_NS ? horizon_ns / 10 : TREND_CONFIRM_NS;

	if (!at_risk) {
		c->risk_since_ns = 0;
		if (c->in_risk && !c->calm_since_ns)
			c->calm_since_ns = now_ns;
		if (c->in_risk && now_ns - c->calm_since_ns >= horizon_ns)
			c->in_risk = false;
		return false;
	}
	c->calm_since_ns = 0;
	if (!c->risk_since_ns)
		c->risk_since_ns = now_ns;
	if (c->in_risk || now_ns - c->risk_since_ns < confirm_ns)
		return false;
	c->in_risk = true;
	return true;
}

void memory_trend__add(struct memory_trend *trend, uint64_t cgroup_id,
		       const struct trend_point *point, const struct trend_makeup *makeup,
		       uint64_t limit, struct trend_outlook *out)
{
	struct cgroup_trend *c = id_table__get(trend->cgroups, cgroup_id);
	uint64_t t[TREND_POINTS], ws[TREND_POINTS], unreclaimable[TREND_POINTS];
	unsigned int n;
	bool at_risk;

	memset(out, 0, sizeof(*out));
	if (!c)
		return;
	/*
	 * A fall by a quarter of the limit at once is a kill or a restart, not a
	 * trend: the growth before it says nothing of what comes after.
	 */
	if (c->count && point->working_set + limit / 4 <
				c->points[(c->head + c->count - 1) % TREND_POINTS].working_set) {
		c->count = 0;
		c->in_risk = false; /* and ends its episode */
		c->risk_since_ns = c->calm_since_ns = 0;
	}
	if (makeup) {
		c->has_makeup = true;
		c->makeup = *makeup;
	}
	push(c, point);
	n = window(c, TREND_WINDOW_NS, t, ws, unreclaimable);
	out->has_growth = trend_slope(t, ws, n, &out->growth);
	/* the point keeps the growth seen at it, for an OOM kill's history */
	c->points[(c->head + c->count - 1) % TREND_POINTS].has_growth = out->has_growth;
	c->points[(c->head + c->count - 1) % TREND_POINTS].growth = out->growth;
	if (out->has_growth && limit && out->growth > 0) {
		out->has_time_to_limit = true;
		out->time_to_limit_s = point->working_set >= limit
					       ? 0
					       : (double)(limit - point->working_set) / out->growth;
	}
	at_risk = out->has_time_to_limit &&
		  out->time_to_limit_s * 1e9 < (double)trend->horizon_ns &&
		  unreclaimable_fills(c, point, limit, trend->horizon_ns);
	out->risk_raised = risk_due(c, at_risk, point->t_ns, trend->horizon_ns);
}

unsigned int memory_trend__history(const struct memory_trend *trend, uint64_t cgroup_id,
				   struct trend_point *out, unsigned int max)
{
	const struct cgroup_trend *c = id_table__find(trend->cgroups, cgroup_id);
	unsigned int n = c ? (c->count < max ? c->count : max) : 0;

	/* the newest n */
	for (unsigned int i = 0; i < n; i++)
		out[i] = c->points[(c->head + c->count - n + i) % TREND_POINTS];
	return n;
}

bool memory_trend__makeup(const struct memory_trend *trend, uint64_t cgroup_id,
			  struct trend_makeup *out)
{
	const struct cgroup_trend *c = id_table__find(trend->cgroups, cgroup_id);

	if (!c || !c->has_makeup)
		return false;
	*out = c->makeup;
	return true;
}

void memory_trend__remove(struct memory_trend *trend, uint64_t cgroup_id)
{
	id_table__remove(trend->cgroups, cgroup_id);
}

unsigned int memory_trend__count(const struct memory_trend *trend)
{
	return id_table__count(trend->cgroups);
}
