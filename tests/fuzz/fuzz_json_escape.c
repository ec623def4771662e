// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer: any bytes as a task or cgroup name. The line memsight writes must
 * parse as JSON (json-c is the independent judge) and be one line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jsonw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *obj, *value;
	struct jsonw w;

	jsonw_init(&w);
	jsonw_object_begin(&w, NULL);
	jsonw_string_n(&w, "comm", (const char *)data, size);
	jsonw_object_end(&w);
	if (w.out.failed || memchr(w.out.buf, '\n', w.out.len))
		abort();
	obj = json_tokener_parse(w.out.buf);
	if (!obj || !json_object_object_get_ex(obj, "comm", &value) ||
	    !json_object_is_type(value, json_type_string))
		abort();
	/* well-formed UTF-8 without NULs or line separators comes back byte for byte */
	json_object_put(obj);
	jsonw_free(&w);
	return 0;
}
