// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer: any bytes as a cgroup or container name in a /metrics label. The
 * value written must stay inside its quotes on its one line and be UTF-8, and
 * undoing the exposition format's three escapes must give the input back, with
 * only malformed bytes changed (each into U+FFFD).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prom_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name = malloc(size + 1);
	struct strbuf out;
	size_t i = 0, j = 0;
	uint32_t cp;

	if (!name)
		return 0;
	memcpy(name, data, size);
	name[size] = '\0';
	strbuf_init(&out);
	prom_escape_label(&out, name);
	if (out.failed || (out.len && memchr(out.buf, '\n', out.len)))
		abort();
	while (i < out.len) {
		size_t n;

		if (out.buf[i] == '"')
			abort(); /* a bare quote would end the value */
		if (out.buf[i] == '\\') {
			char c = out.buf[i + 1];
			char want = c == 'n' ? '\n' : c;

			if ((c != '\\' && c != '"' && c != 'n') || name[j] != want)
				abort();
			i += 2, j++;
			continue;
		}
		n = utf8_decode((const unsigned char *)out.buf + i, out.len - i, &cp);
		if (!n)
			abort();
		if (cp == 0xfffd && strncmp(name + j, "\xef\xbf\xbd", 3) &&
		    !utf8_decode((const unsigned char *)name + j, strlen(name + j), &cp))
			j++; /* a malformed input byte */
		else if (strncmp(out.buf + i, name + j, n))
			abort();
		else
			j += n;
		i += n;
	}
	if (j != strlen(name))
		abort();
	strbuf_free(&out);
	free(name);
	return 0;
}
