// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

void jsonw_init(struct jsonw *w)
{
	memset(w, 0, sizeof(*w));
}

void jsonw_reset(struct jsonw *w)
{
	w->len = 0;
	w->depth = 0;
	w->failed = false;
	memset(w->need_comma, 0, sizeof(w->need_comma));
	if (w->buf)
		w->buf[0] = '\0';
}

void jsonw_free(struct jsonw *w)
{
	free(w->buf);
	jsonw_init(w);
}

static bool reserve(struct jsonw *w, size_t extra)
{
	size_t want = w->len + extra + 1;
	char *grown;
	size_t cap;

	if (w->failed)
		return false;
	if (want <= w->cap)
		return true;
	cap = w->cap ? w->cap : 512;
	while (cap < want)
		cap *= 2;
	grown = realloc(w->buf, cap);
	if (!grown) {
		w->failed = true;
		return false;
	}
	w->buf = grown;
	w->cap = cap;
	return true;
}

static void append(struct jsonw *w, const char *text, size_t len)
{
	if (!reserve(w, len))
		return;
	memcpy(w->buf + w->len, text, len);
	w->len += len;
	w->buf[w->len] = '\0';
}

/* Decodes one well-formed UTF-8 sequence; returns its length, or 0 if malformed. */
static size_t utf8_sequence(const unsigned char *s, size_t len, uint32_t *cp)
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

size_t json_escape(char *out, size_t out_len, const char *value, size_t len)
{
	const unsigned char *s = (const unsigned char *)value;
	size_t need = 0, i = 0;
	char tmp[8];

	/* Two passes over the same code: count first, then write if it fits. */
	for (int pass = 0; pass < 2; pass++) {
		size_t pos = 0;

		if (pass == 1 && need > out_len)
			return need;
		for (i = 0; i < len;) {
			const char *piece;
			size_t piece_len, consumed = 1;
			uint32_t cp;

			switch (s[i]) {
			case '"':
				piece = "\\\"", piece_len = 2;
				break;
			case '\\':
				piece = "\\\\", piece_len = 2;
				break;
			case '\n':
				piece = "\\n", piece_len = 2;
				break;
			case '\r':
				piece = "\\r", piece_len = 2;
				break;
			case '\t':
				piece = "\\t", piece_len = 2;
				break;
			case '\b':
				piece = "\\b", piece_len = 2;
				break;
			case '\f':
				piece = "\\f", piece_len = 2;
				break;
			default:
				if (s[i] < 0x20 || s[i] == 0x7f) {
					snprintf(tmp, sizeof(tmp), "\\u%04x", s[i]);
					piece = tmp, piece_len = 6;
					break;
				}
				consumed = utf8_sequence(s + i, len - i, &cp);
				if (!consumed) {
					piece = "\\ufffd", piece_len = 6;
					consumed = 1;
				} else if (cp == 0x2028 || cp == 0x2029) {
					snprintf(tmp, sizeof(tmp), "\\u%04x", cp);
					piece = tmp, piece_len = 6;
				} else {
					piece = (const char *)s + i, piece_len = consumed;
				}
			}
			if (pass == 0)
				need += piece_len;
			else
				memcpy(out + pos, piece, piece_len);
			pos += piece_len;
			i += consumed;
		}
		if (pass == 1)
			return pos;
	}
	return need;
}

static void separator(struct jsonw *w, const char *key)
{
	if (w->depth > 0 && w->need_comma[w->depth - 1])
		append(w, ",", 1);
	if (w->depth > 0)
		w->need_comma[w->depth - 1] = true;
	if (key) {
		/* Keys are memsight's own constants, still escaped for safety. */
		size_t n = strlen(key), need = json_escape(NULL, 0, key, n);

		append(w, "\"", 1);
		if (reserve(w, need)) {
			w->len += json_escape(w->buf + w->len, need, key, n);
			w->buf[w->len] = '\0';
		}
		append(w, "\":", 2);
	}
}

static void open_scope(struct jsonw *w, const char *key, char bracket)
{
	separator(w, key);
	append(w, &bracket, 1);
	if (w->depth >= JSONW_DEPTH_MAX) {
		w->failed = true;
		return;
	}
	w->need_comma[w->depth++] = false;
}

static void close_scope(struct jsonw *w, char bracket)
{
	if (w->depth <= 0) {
		w->failed = true;
		return;
	}
	w->depth--;
	append(w, &bracket, 1);
}

void jsonw_object_begin(struct jsonw *w, const char *key)
{
	open_scope(w, key, '{');
}

void jsonw_object_end(struct jsonw *w)
{
	close_scope(w, '}');
}

void jsonw_array_begin(struct jsonw *w, const char *key)
{
	open_scope(w, key, '[');
}

void jsonw_array_end(struct jsonw *w)
{
	close_scope(w, ']');
}

void jsonw_string_n(struct jsonw *w, const char *key, const char *value, size_t len)
{
	size_t n = strnlen(value, len), need = json_escape(NULL, 0, value, n);

	separator(w, key);
	append(w, "\"", 1);
	if (reserve(w, need)) {
		w->len += json_escape(w->buf + w->len, need, value, n);
		w->buf[w->len] = '\0';
	}
	append(w, "\"", 1);
}

void jsonw_string(struct jsonw *w, const char *key, const char *value)
{
	if (!value) {
		jsonw_null(w, key);
		return;
	}
	jsonw_string_n(w, key, value, strlen(value));
}

static void scalar(struct jsonw *w, const char *key, const char *text)
{
	separator(w, key);
	append(w, text, strlen(text));
}

void jsonw_u64(struct jsonw *w, const char *key, uint64_t value)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%" PRIu64, value);
	scalar(w, key, tmp);
}

void jsonw_i64(struct jsonw *w, const char *key, int64_t value)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%" PRId64, value);
	scalar(w, key, tmp);
}

void jsonw_double(struct jsonw *w, const char *key, double value, int decimals)
{
	char tmp[64];

	/* JSON has no NaN or infinity. */
	if (value != value || value > 1e300 || value < -1e300) {
		jsonw_null(w, key);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%.*f", decimals, value);
	scalar(w, key, tmp);
}

void jsonw_bool(struct jsonw *w, const char *key, bool value)
{
	scalar(w, key, value ? "true" : "false");
}

void jsonw_null(struct jsonw *w, const char *key)
{
	scalar(w, key, "null");
}
