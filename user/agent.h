/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_AGENT_H
#define MEMSIGHT_AGENT_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "include/memsight.h"
#include "jsonw.h"

/*
 * The agent behind libmemsight's API and every CLI command that streams:
 * the loader, the cgroup and container names, the per-interval figures and
 * the running totals, turned into memsight_events. The public entry points
 * (memsight_open() & co.) are thin wrappers around agent_open().
 */

struct aggregate;
struct loader_report;

struct agent_config {
	const struct env *env; /* all settings, as the CLI parses them */
	void (*on_event)(const struct memsight_event *ev, void *ctx);
	void *ctx;
	bool skip_container_stats;
	/* a view (`top`): every container in the aggregate, gauges read every interval */
	bool track_all_containers;
	const char *pin_dir;
};

/* NULL with a one-line reason in err and errno set. */
struct memsight *agent_open(const struct agent_config *config, char *err, size_t err_len);

/* The running totals (for /metrics and top), valid until memsight_close(). */
struct aggregate *agent_aggregate(struct memsight *ms);
const struct loader_report *agent_report(const struct memsight *ms);
/* Records received, lost, malformed, for the CLI's closing line. */
void agent_totals(const struct memsight *ms, uint64_t *received, uint64_t *lost,
		  uint64_t *malformed);
/* Delivers what is already in the ring buffer (at exit). */
void agent_drain(struct memsight *ms);

/* The full agent_stats behind an AGENT_STATS event (for /metrics and top). */
const struct agent_stats *agent_event_agent_stats(const struct memsight_event *ev);

/* ev's JSON line into w (after jsonw_reset); -EINVAL for an event not from memsight. */
int agent_event_format(const struct memsight_event *ev, struct jsonw *w);

#endif
