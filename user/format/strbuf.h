/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_STRBUF_H
#define MEMSIGHT_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable, always NUL-terminated byte buffer, and UTF-8 decoding. Pure. */

struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
	bool failed; /* out of memory: the contents are incomplete */
};

void strbuf_init(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);
/* Room for extra more bytes (and the NUL); false when out of memory. */
bool strbuf_reserve(struct strbuf *sb, size_t extra);
void strbuf_append(struct strbuf *sb, const char *text, size_t len);
void strbuf_puts(struct strbuf *sb, const char *text);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Decodes one well-formed UTF-8 sequence; returns its length, or 0 if malformed. */
size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/* What terminal-safe text may keep besides printable ASCII. */
enum printable_set {
	PRINTABLE_UTF8,	 /* other characters too (a terminal shows them) */
	PRINTABLE_ASCII, /* nothing else: columns counted in bytes stay aligned */
};

/*
 * Copies text into out (out_len bytes, NUL-terminated, cut at a whole character) as
 * terminal-safe text: names from the kernel or from labels may hold escape sequences
 * that must never reach a terminal. Control characters (C0, DEL, C1), malformed UTF-8
 * and, with PRINTABLE_ASCII, every non-ASCII character become one '?' each.
 */
void printable_copy(char *out, size_t out_len, const char *text, enum printable_set set);

#endif
