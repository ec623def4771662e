/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_JSONW_H
#define MEMSIGHT_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/*
 * A small JSON writer for memsight's output lines. Every string goes through
 * json_escape: the strings memsight prints (task names, cgroup names,
 * container labels) are chosen by whoever runs a workload, so they are
 * treated as hostile bytes, not as text. Pure.
 */

#define JSONW_DEPTH_MAX 16

struct jsonw {
	struct strbuf out; /* out.failed: out of memory or nesting too deep, unusable */
	int depth;
	bool need_comma[JSONW_DEPTH_MAX];
};

void jsonw_init(struct jsonw *w);
void jsonw_reset(struct jsonw *w);
void jsonw_free(struct jsonw *w);

/* key is NULL for array elements and for the outermost object. */
void jsonw_object_begin(struct jsonw *w, const char *key);
void jsonw_object_end(struct jsonw *w);
void jsonw_array_begin(struct jsonw *w, const char *key);
void jsonw_array_end(struct jsonw *w);
void jsonw_string(struct jsonw *w, const char *key, const char *value);
/* Bounded string: stops at len bytes or the first NUL, whichever is first. */
void jsonw_string_n(struct jsonw *w, const char *key, const char *value, size_t len);
void jsonw_u64(struct jsonw *w, const char *key, uint64_t value);
void jsonw_i64(struct jsonw *w, const char *key, int64_t value);
void jsonw_double(struct jsonw *w, const char *key, double value, int decimals);
void jsonw_bool(struct jsonw *w, const char *key, bool value);
void jsonw_null(struct jsonw *w, const char *key);

/*
 * Appends value[0..len) to out as the inside of a JSON string: quotes,
 * backslashes and control bytes escaped, U+2028/U+2029 escaped (they end
 * lines in JavaScript), every byte that is not part of well-formed UTF-8
 * replaced by U+FFFD. Returns the bytes written, or the bytes needed when
 * out_len is too small (nothing is written then).
 */
size_t json_escape(char *out, size_t out_len, const char *value, size_t len);

#endif
