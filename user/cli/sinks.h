/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_SINKS_H
#define MEMSIGHT_SINKS_H

#include <stdbool.h>
#include <stdint.h>

#include "agent.h"
#include "cli.h"
#include "include/memsight.h"

/*
 * The CLI's sinks: each receives every memsight_event the agent delivers,
 * in the order they are registered for a command (stream.c's table). A sink
 * may watch file descriptors in the run loop and may stop it.
 */

struct run;
struct aggregate;
struct stream_view;

typedef void (*run_wake_fn)(struct run *run, void *ctx);

/* What the run loop offers its sinks. */
const struct env *run_env(const struct run *run);
struct memsight *run_agent(const struct run *run);
const struct stream_view *run_view(const struct run *run);
/* The aggregate behind /metrics and top (NULL without the aggregate sink). */
struct aggregate *run_aggregate(const struct run *run);
/*
 * Reads again what no event carries of idle cgroups (usage, limits, make-up)
 * where it is older than the aggregate sink keeps it; returns how many
 * cgroups it read. soon: for a page about to be rendered (what can't wait);
 * else after it went out (what can, for the next page).
 */
typedef unsigned int (*run_refresh_fn)(void *ctx, bool soon);

/* The aggregate sink's: agg, and how it reads idle cgroups again. */
void run_set_aggregate(struct run *run, struct aggregate *agg, run_refresh_fn refresh_idle,
		       void *ctx);
/* Idle cgroups' figures for /metrics (run_refresh_fn); 0 without the aggregate sink. */
unsigned int run_refresh_idle(struct run *run, bool soon);
/* Calls fn when fd has events (EPOLLIN, ...); 0 or -errno. */
int run_watch(struct run *run, int fd, uint32_t events, run_wake_fn fn, void *ctx);
/* Ends the loop; failed: with exit status 1. */
void run_stop(struct run *run, bool failed);

struct sink_ops {
	const char *name;
	/* before the agent loads (the HTTP server answers "not ready" meanwhile); 0 or -1 */
	int (*start)(struct run *run, void **state);
	/* what the sink needs from the agent */
	void (*tune)(struct agent_opts *opts);
	/* the agent is open (and its report known); 0 or -1 */
	int (*ready)(struct run *run, void *state);
	void (*on_event)(struct run *run, void *state, const struct memsight_event *ev);
	/* the loop ended (after the agent's last records): a closing word */
	void (*finish)(struct run *run, void *state);
	void (*stop)(void *state); /* frees; called even when start failed */
};

extern const struct sink_ops json_sink;	     /* JSON lines on stdout */
extern const struct sink_ops aggregate_sink; /* per-cgroup totals for the two below */
extern const struct sink_ops metrics_sink;   /* /metrics, /healthz, /readyz */
extern const struct sink_ops view_sink;	     /* a stream_view: `top` */

#endif
