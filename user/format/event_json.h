/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_EVENT_JSON_H
#define MEMSIGHT_EVENT_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "include/memsight.h"
#include "jsonw.h"

/*
 * memsight_events as the JSON lines of the contract, made from the event's
 * fields alone (a consumer that fills an event by hand gets the same line).
 * Pure.
 */

#define JSON_SCHEMA_VERSION 1

/* "2026-11-27T08:00:00.123456789Z" */
#define RFC3339_NS_LEN 32
const char *format_rfc3339_ns(int64_t realtime_ns, char *buf, size_t len);

/* A charge kind as the JSON line and /metrics name it ("anon", ...); NULL past the last. */
const char *memsight_kind_name(enum memsight_kind kind);

/* ev's line (no newline) into w, after jsonw_reset. -EINVAL: a type this build doesn't know. */
int event_json(struct jsonw *w, const struct memsight_event *ev);

#endif
