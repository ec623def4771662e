// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer: any bytes as what a client sends `run`'s HTTP server. A head is
 * parsed within the bytes given, never past them; a parsed head is whole in
 * itself (the same request from its own head_len bytes), and its path is a
 * NUL-terminated run of visible bytes that fits the request.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes: ASan sees any read past them */
	char *buf = malloc(size ? size : 1);
	struct http_request req, again;
	size_t path_len;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (http_request_parse(buf, size, &req) == HTTP_PARSE_DONE) {
		if (req.head_len == 0 || req.head_len > size ||
		    req.head_len > HTTP_REQUEST_HEAD_MAX)
			abort();
		path_len = strnlen(req.path, sizeof(req.path));
		if (path_len == 0 || path_len == sizeof(req.path))
			abort();
		for (size_t i = 0; i < path_len; i++)
			if ((unsigned char)req.path[i] <= ' ' || req.path[i] == 0x7f)
				abort();
		if (http_request_parse(buf, req.head_len, &again) != HTTP_PARSE_DONE ||
		    memcmp(&req, &again, sizeof(req)))
			abort();
	}
	free(buf);
	return 0;
}
