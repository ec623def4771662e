// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "pprof.h"

/* profile.proto field numbers (message Profile and the ones inside it). */
enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
};

#define WIRE_VARINT 0
#define WIRE_LEN    2

/*
 * Keys of the shared things, hashed by value: strings (kind 0: the index in the
 * string table), functions, locations and mappings (the id). Open addressing.
 */
struct entry {
	uint64_t key[6];
	uint64_t id;
};

struct table {
	struct entry *slots;
	size_t cap, used;
};

struct pprof {
	struct strbuf body; /* every field but the string table, encoded as added */
	struct strbuf msg;  /* scratch: the message being built */
	char **strings;
	size_t string_count, string_cap;
	struct table strings_by_text, things; /* things: functions, locations, mappings */
	uint64_t function_count, location_count, mapping_count;
	size_t value_count;
	bool failed;
};

void pprof_put_varint(struct strbuf *sb, uint64_t value)
{
	char bytes[10];
	size_t n = 0;

	do {
		bytes[n] = (char)(value & 0x7f);
		value >>= 7;
		if (value)
			bytes[n] |= (char)0x80;
		n++;
	} while (value);
	strbuf_append(sb, bytes, n);
}

static void put_tag(struct strbuf *sb, unsigned int field, unsigned int wire)
{
	pprof_put_varint(sb, (uint64_t)field << 3 | wire);
}

/* A varint field; zero is protobuf's default and is left out. */
static void put_uint(struct strbuf *sb, unsigned int field, uint64_t value)
{
	if (!value)
		return;
	put_tag(sb, field, WIRE_VARINT);
	pprof_put_varint(sb, value);
}

static void put_bytes(struct strbuf *sb, unsigned int field, const char *data, size_t len)
{
	put_tag(sb, field, WIRE_LEN);
	pprof_put_varint(sb, len);
	strbuf_append(sb, data, len);
}

/* The message built in p->msg, as field `field` of the profile. */
static void flush_msg(struct pprof *p, unsigned int field)
{
	/* strbuf_reset clears msg.failed: a message cut short must fail the profile first */
	p->failed |= p->msg.failed;
	put_bytes(&p->body, field, p->msg.buf ? p->msg.buf : "", p->msg.len);
	strbuf_reset(&p->msg);
}

static uint64_t hash_key(const uint64_t key[6])
{
	uint64_t h = 1469598103934665603ULL;

	for (int i = 0; i < 6; i++) {
		h ^= key[i];
		h *= 1099511628211ULL;
		h ^= h >> 29;
	}
	return h;
}

static bool table_grow(struct table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 256;
	struct entry *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return false;
	for (size_t i = 0; i < t->cap; i++) {
		size_t j;

		if (!t->slots[i].id)
			continue;
		for (j = hash_key(t->slots[i].key) & (cap - 1); slots[j].id;
		     j = (j + 1) & (cap - 1))
			;
		slots[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return true;
}

/*
 * The entry of key (found, or made with id 0 for the caller to fill in);
 * NULL when out of memory. `same` compares beyond the key words (strings).
 */
static struct entry *table_slot(struct table *t, const uint64_t key[6],
				bool (*same)(const struct entry *e, const void *ctx),
				const void *ctx)
{
	size_t i;

	if ((t->used + 1) * 2 > t->cap && !table_grow(t))
		return NULL;
	for (i = hash_key(key) & (t->cap - 1); t->slots[i].id; i = (i + 1) & (t->cap - 1))
		if (!memcmp(t->slots[i].key, key, sizeof(t->slots[i].key)) &&
		    (!same || same(&t->slots[i], ctx)))
			return &t->slots[i];
	memcpy(t->slots[i].key, key, sizeof(t->slots[i].key));
	return &t->slots[i];
}

static uint64_t hash_text(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static bool same_string(const struct entry *e, const void *ctx)
{
	const struct pprof *p = ctx;
	const char *text = p->strings[p->string_count];

	return !strcmp(p->strings[e->id - 1], text);
}

/* The string table index of text ("" is always 0). */
static int64_t string_index(struct pprof *p, const char *text)
{
	uint64_t key[6] = { hash_text(text ? text : "") };
	struct entry *e;

	if (!text || !*text)
		return 0;
	if (p->string_count + 1 >= p->string_cap) {
		size_t cap = p->string_cap * 2;
		char **grown = realloc(p->strings, cap * sizeof(*grown));

		if (!grown)
			goto fail;
		p->strings = grown;
		p->string_cap = cap;
	}
	/* same_string compares with the text parked past the end of the table */
	p->strings[p->string_count] = (char *)text;
	e = table_slot(&p->strings_by_text, key, same_string, p);
	if (!e)
		goto fail;
	if (e->id)
		return (int64_t)e->id - 1;
	p->strings[p->string_count] = strdup(text);
	if (!p->strings[p->string_count])
		goto fail;
	e->id = ++p->string_count; /* ids start at 1: index + 1 */
	p->strings_by_text.used++;
	return (int64_t)p->string_count - 1;
fail:
	p->failed = true;
	return 0;
}

struct pprof *pprof__new(void)
{
	struct pprof *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	strbuf_init(&p->body);
	strbuf_init(&p->msg);
	p->string_cap = 64;
	p->strings = calloc(p->string_cap, sizeof(*p->strings));
	if (!p->strings) {
		free(p);
		return NULL;
	}
	p->strings[0] = strdup(""); /* the table's first entry is always "" */
	p->string_count = 1;
	p->failed = !p->strings[0];
	return p;
}

void pprof__free(struct pprof *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->string_count; i++)
		free(p->strings[i]);
	free(p->strings);
	free(p->strings_by_text.slots);
	free(p->things.slots);
	strbuf_free(&p->body);
	strbuf_free(&p->msg);
	free(p);
}

static void put_value_type(struct pprof *p, unsigned int field, const char *type, const char *unit)
{
	int64_t t = string_index(p, type), u = string_index(p, unit);

	put_uint(&p->msg, 1, (uint64_t)t);
	put_uint(&p->msg, 2, (uint64_t)u);
	flush_msg(p, field);
}

void pprof__add_sample_type(struct pprof *p, const char *type, const char *unit)
{
	if (p->value_count >= PPROF_VALUES_MAX) {
		p->failed = true;
		return;
	}
	p->value_count++;
	put_value_type(p, PROFILE_SAMPLE_TYPE, type, unit);
}

void pprof__set_period(struct pprof *p, const char *type, const char *unit, int64_t period)
{
	put_value_type(p, PROFILE_PERIOD_TYPE, type, unit);
	put_uint(&p->body, PROFILE_PERIOD, (uint64_t)period);
}

void pprof__set_default_sample_type(struct pprof *p, const char *type)
{
	put_uint(&p->body, PROFILE_DEFAULT_SAMPLE_TYPE, (uint64_t)string_index(p, type));
}

void pprof__set_time(struct pprof *p, int64_t time_ns, int64_t duration_ns)
{
	put_uint(&p->body, PROFILE_TIME_NANOS, (uint64_t)time_ns);
	put_uint(&p->body, PROFILE_DURATION_NANOS, (uint64_t)duration_ns);
}

void pprof__add_comment(struct pprof *p, const char *text)
{
	put_uint(&p->body, PROFILE_COMMENT, (uint64_t)string_index(p, text));
}

/* The id of a thing by key; *fresh set when it was just made (the caller encodes it). */
static uint64_t thing_id(struct pprof *p, const uint64_t key[6], uint64_t *counter, bool *fresh)
{
	struct entry *e = table_slot(&p->things, key, NULL, NULL);

	*fresh = false;
	if (!e) {
		p->failed = true;
		return 0;
	}
	if (!e->id) {
		e->id = ++*counter;
		p->things.used++;
		*fresh = true;
	}
	return e->id;
}

uint64_t pprof__mapping(struct pprof *p, const struct pprof_mapping *m)
{
	int64_t file = string_index(p, m->filename), build_id = string_index(p, m->build_id);
	uint64_t key[6] = { 3,
			    m->memory_start,
			    m->memory_limit,
			    m->file_offset,
			    (uint64_t)file,
			    (uint64_t)build_id << 1 | m->has_functions };
	bool fresh;
	uint64_t id = thing_id(p, key, &p->mapping_count, &fresh);

	if (!fresh)
		return id;
	put_uint(&p->msg, 1, id);
	put_uint(&p->msg, 2, m->memory_start);
	put_uint(&p->msg, 3, m->memory_limit);
	put_uint(&p->msg, 4, m->file_offset);
	put_uint(&p->msg, 5, (uint64_t)file);
	put_uint(&p->msg, 6, (uint64_t)build_id);
	put_uint(&p->msg, 7, m->has_functions);
	flush_msg(p, PROFILE_MAPPING);
	return id;
}

static uint64_t function_id(struct pprof *p, const char *name)
{
	int64_t n = string_index(p, name);
	uint64_t key[6] = { 1, (uint64_t)n };
	bool fresh;
	uint64_t id = thing_id(p, key, &p->function_count, &fresh);

	if (!fresh)
		return id;
	put_uint(&p->msg, 1, id);
	put_uint(&p->msg, 2, (uint64_t)n); /* name */
	put_uint(&p->msg, 3, (uint64_t)n); /* system_name */
	flush_msg(p, PROFILE_FUNCTION);
	return id;
}

uint64_t pprof__location(struct pprof *p, uint64_t mapping_id, uint64_t address,
			 const char *function)
{
	uint64_t fn = function_id(p, function);
	uint64_t key[6] = { 2, mapping_id, address, fn };
	struct strbuf line;
	bool fresh;
	uint64_t id = thing_id(p, key, &p->location_count, &fresh);

	if (!fresh)
		return id;
	strbuf_init(&line);
	put_uint(&line, 1, fn);
	put_uint(&p->msg, 1, id);
	put_uint(&p->msg, 2, mapping_id);
	put_uint(&p->msg, 3, address);
	put_bytes(&p->msg, 4, line.buf ? line.buf : "", line.len);
	p->failed |= line.failed;
	strbuf_free(&line);
	flush_msg(p, PROFILE_LOCATION);
	return id;
}

static void put_label(struct pprof *p, struct strbuf *out, const struct pprof_label *l)
{
	struct strbuf label;

	strbuf_init(&label);
	put_uint(&label, 1, (uint64_t)string_index(p, l->key));
	if (l->str)
		put_uint(&label, 2, (uint64_t)string_index(p, l->str));
	else
		put_uint(&label, 3, (uint64_t)l->num);
	put_bytes(out, 3, label.buf ? label.buf : "", label.len);
	p->failed |= label.failed;
	strbuf_free(&label);
}

void pprof__add_sample(struct pprof *p, const uint64_t *locations, size_t location_count,
		       const int64_t *values, const struct pprof_label *labels, size_t label_count)
{
	struct strbuf packed;

	strbuf_init(&packed);
	for (size_t i = 0; i < location_count; i++)
		pprof_put_varint(&packed, locations[i]);
	put_bytes(&p->msg, 1, packed.buf ? packed.buf : "", packed.len);
	p->failed |= packed.failed; /* strbuf_reset clears it */
	strbuf_reset(&packed);
	for (size_t i = 0; i < p->value_count; i++)
		pprof_put_varint(&packed, (uint64_t)values[i]);
	put_bytes(&p->msg, 2, packed.buf ? packed.buf : "", packed.len);
	p->failed |= packed.failed;
	strbuf_free(&packed);
	for (size_t i = 0; i < label_count; i++)
		if (!labels[i].str || labels[i].str[0])
			put_label(p, &p->msg, &labels[i]);
	flush_msg(p, PROFILE_SAMPLE);
}

static int gzip_append(const char *data, size_t len, struct strbuf *out)
{
	z_stream z = { 0 };
	int ret;

	if (len > UINT_MAX)
		return -EFBIG; /* avail_in is a uInt: one deflate call takes at most 4 GiB */
	/* windowBits 15 + 16: a gzip header and trailer around the deflate stream */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY))
		return -EIO;
	if (!strbuf_reserve(out, deflateBound(&z, len))) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out->buf + out->len;
	z.avail_out = (uInt)(out->cap - out->len - 1);
	ret = deflate(&z, Z_FINISH);
	if (ret == Z_STREAM_END) {
		out->len += z.total_out;
		out->buf[out->len] = '\0';
	}
	deflateEnd(&z);
	return ret == Z_STREAM_END ? 0 : -EIO;
}

int pprof__write(struct pprof *p, bool gzip, struct strbuf *out)
{
	struct strbuf raw;
	int ret = 0;

	strbuf_init(&raw);
	strbuf_append(&raw, p->body.buf ? p->body.buf : "", p->body.len);
	for (size_t i = 0; i < p->string_count; i++)
		put_bytes(&raw, PROFILE_STRING_TABLE, p->strings[i], strlen(p->strings[i]));
	if (p->failed || p->body.failed || p->msg.failed || raw.failed)
		ret = -ENOMEM;
	else if (gzip)
		ret = gzip_append(raw.buf, raw.len, out);
	else
		strbuf_append(out, raw.buf, raw.len);
	if (!ret && out->failed)
		ret = -ENOMEM;
	strbuf_free(&raw);
	return ret;
}
