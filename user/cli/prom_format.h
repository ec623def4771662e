/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_PROM_FORMAT_H
#define MEMSIGHT_PROM_FORMAT_H

#include <stdint.h>

#include "aggregate.h"
#include "include/memsight.h"
#include "strbuf.h"

/*
 * The /metrics page in the Prometheus text exposition format (0.0.4): the
 * per-cgroup totals of an aggregate and the agent's own figures. Pure.
 */

struct prom_hook {
	const char *feature;
	const char *hook; /* NULL: unavailable */
};

struct prom_context {
	const char *version;
	int64_t start_realtime_ns;
	const struct prom_hook *hooks;
	unsigned int hook_count;
};

/* Appends the whole page to out (check out->failed). */
void prom_format(struct strbuf *out, const struct aggregate *agg,
		 const struct memsight_agent_stats *agent, const struct prom_context *ctx);

/* Appends value as a label value: \, " and newline escaped, malformed UTF-8 as U+FFFD. */
void prom_escape_label(struct strbuf *out, const char *value);

#endif
