/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_RECOMMEND_OUTPUT_H
#define MEMSIGHT_RECOMMEND_OUTPUT_H

#include <stddef.h>

#include "strbuf.h"
#include "workloads.h"

/*
 * `memsight recommend`'s three renderings of the same workloads, each decided
 * (workload.rec) already. Names come from label values anyone can set: the JSON escapes
 * them, the YAML double-quotes and escapes them, the table shows bytes outside
 * printable ASCII as '?'. Pure.
 */
enum recommend_format {
	RECOMMEND_FORMAT_TABLE,
	RECOMMEND_FORMAT_JSON,
	RECOMMEND_FORMAT_YAML,
};

/* A header line and one line per workload, in aligned columns. */
void recommend_table(struct strbuf *out, struct workload *const *items, size_t n);

/* One JSON object and a newline: the contract's fields, and window_s, kind, pods... */
void recommend_json_line(struct strbuf *out, const struct workload *w, double window_s);

/*
 * One YAML document: the workload's names, the reason and, when recommended, the
 * `resources` block for its container (requests.memory, limits.memory).
 */
void recommend_yaml_document(struct strbuf *out, const struct workload *w);

/* Appends value as a YAML double-quoted scalar, quotes included. */
void yaml_quoted(struct strbuf *out, const char *value);

/* "512Mi", "2Gi", "412.3Mi": a Kubernetes quantity of whole MiB or GiB, else MiB to 0.1. */
const char *recommend_quantity(double bytes, char *buf, size_t len);

#endif
