// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

void strbuf_init(struct strbuf *sb)
{
	memset(sb, 0, sizeof(*sb));
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	sb->failed = false;
	if (sb->buf)
		sb->buf[0] = '\0';
}

void strbuf_free(struct strbuf *sb)
{
	free(sb->buf);
	strbuf_init(sb);
}

bool strbuf_reserve(struct strbuf *sb, size_t extra)
{
	size_t want = sb->len + extra + 1;
	char *grown;
	size_t cap;

	if (sb->failed)
		return false;
	if (want <= sb->cap)
		return true;
	cap = sb->cap ? sb->cap : 512;
	while (cap < want)
		cap *= 2;
	grown = realloc(sb->buf, cap);
	if (!grown) {
		sb->failed = true;
		return false;
	}
	sb->buf = grown;
	sb->cap = cap;
	return true;
}

void strbuf_append(struct strbuf *sb, const char *text, size_t len)
{
	if (!strbuf_reserve(sb, len))
		return;
	memcpy(sb->buf + sb->len, text, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void strbuf_puts(struct strbuf *sb, const char *text)
{
	strbuf_append(sb, text, strlen(text));
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!strbuf_reserve(sb, 64))
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->failed = true;
		return;
	}
	if ((size_t)n >= sb->cap - sb->len) {
		if (!strbuf_reserve(sb, (size_t)n))
			return;
		va_start(ap, fmt);
		vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
		va_end(ap);
	}
	sb->len += (size_t)n;
}

size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n;
	uint32_t c = s[0], min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		n = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3, c &= 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and values past Unicode are malformed. */
	if (c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return n;
}

static bool printable_char(uint32_t cp, enum printable_set set)
{
	if (cp < 0x20 || cp == 0x7f)
		return false;
	if (set == PRINTABLE_ASCII)
		return cp < 0x7f;
	return cp < 0x80 || cp >= 0xa0;
}

void printable_copy(char *out, size_t out_len, const char *text, enum printable_set set)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t len = strlen(text), n = 0;

	if (!out_len)
		return;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t step = utf8_decode(s + i, len - i, &cp);
		bool keep = step && printable_char(cp, set);
		size_t piece = keep ? step : 1;

		if (n + piece >= out_len)
			break;
		if (keep)
			memcpy(out + n, s + i, step);
		else
			out[n] = '?';
		n += piece;
		i += step ? step : 1;
	}
	out[n] = '\0';
}
