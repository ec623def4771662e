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

/*
 * Appends the whole page to out (check out->failed). Escapes the labels of
 * the entries that have none escaped yet and keeps them there (so agg is not
 * const): call it where agg is changed, never alongside.
 */
void prom_format(struct strbuf *out, struct aggregate *agg,
		 const struct memsight_agent_stats *agent, const struct prom_context *ctx);

/* Appends value as a label value: \, " and newline escaped, malformed UTF-8 as U+FFFD. */
void prom_escape_label(struct strbuf *out, const char *value);

/*
 * Sample values, written at p (PROM_NUMBER_MAX bytes of room, no NUL
 * promised); each returns the end. An integer in decimal; nanoseconds as
 * seconds, exactly ("1795783030.123456789", "3"), for Prometheus to round
 * once; a double in as few digits as parse back to it (NaN, +Inf, -Inf).
 */
#define PROM_NUMBER_MAX 32
char *prom_u64(char *p, uint64_t value);
char *prom_seconds(char *p, int64_t ns);
char *prom_double(char *p, double value);

#endif
