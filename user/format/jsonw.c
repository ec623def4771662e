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
	strbuf_reset(&w->out);
	w->depth = 0;
	memset(w->need_comma, 0, sizeof(w->need_comma));
}

void jsonw_free(struct jsonw *w)
{
	strbuf_free(&w->out);
	jsonw_init(w);
}

static void append(struct jsonw *w, const char *text, size_t len)
{
	strbuf_append(&w->out, text, len);
}

/* Appends value escaped, in place. */
static void append_escaped(struct jsonw *w, const char *value, size_t n)
{
	size_t need = json_escape(NULL, 0, value, n);

	if (strbuf_reserve(&w->out, need)) {
		w->out.len += json_escape(w->out.buf + w->out.len, need, value, n);
		w->out.buf[w->out.len] = '\0';
	}
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
				consumed = utf8_decode(s + i, len - i, &cp);
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
		append(w, "\"", 1);
		append_escaped(w, key, strlen(key));
		append(w, "\":", 2);
	}
}

static void open_scope(struct jsonw *w, const char *key, char bracket)
{
	separator(w, key);
	append(w, &bracket, 1);
	if (w->depth >= JSONW_DEPTH_MAX) {
		w->out.failed = true;
		return;
	}
	w->need_comma[w->depth++] = false;
}

static void close_scope(struct jsonw *w, char bracket)
{
	if (w->depth <= 0) {
		w->out.failed = true;
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
	separator(w, key);
	append(w, "\"", 1);
	append_escaped(w, value, strnlen(value, len));
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
