/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_DURATION_H
#define MEMSIGHT_DURATION_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses a duration such as "1s", "500ms", "1.5s", "2m", "1h30m", "250us",
 * "100ns", "7d" or "2w" into nanoseconds (d: 24 h, w: 7 d, as in PromQL). A bare number means seconds. Returns 0, or
 * -EINVAL for malformed or negative text, -ERANGE when it overflows. Pure.
 */
int duration_parse(const char *text, uint64_t *ns);

/* Formats ns compactly ("1s", "250ms", "1.5s") into buf; returns buf. */
const char *duration_format(uint64_t ns, char *buf, size_t len);

#endif
