// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The pprof writer and the folded writer. The profile is read back with a
 * protobuf decoder written here from profile.proto's field numbers (not the
 * encoder's tables), after zlib's inflate; the integration test reads the
 * same files with `go tool pprof`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "pprof.h"
#include "profile_output.h"

/* ---- a minimal protobuf reader ---- */

struct reader {
	const unsigned char *p, *end;
};

static uint64_t get_varint(struct reader *r)
{
	uint64_t v = 0;

	for (int shift = 0; r->p < r->end && shift < 64; shift += 7) {
		unsigned char b = *r->p++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	fail_msg("truncated varint");
	return 0;
}

/* The next field: its number, and either its varint or its bytes (sub). */
static int next_field(struct reader *r, uint64_t *value, struct reader *sub)
{
	uint64_t tag = get_varint(r), len;

	switch (tag & 7) {
	case 0:
		*value = get_varint(r);
		break;
	case 2:
		len = get_varint(r);
		assert_true(len <= (uint64_t)(r->end - r->p));
		sub->p = r->p;
		sub->end = r->p + len;
		r->p += len;
		break;
	default:
		fail_msg("unexpected wire type %d", (int)(tag & 7));
	}
	return (int)(tag >> 3);
}

#define MAX_ITEMS 64

struct decoded {
	char *strings[256];
	size_t string_count;
	uint64_t sample_types[4][2], sample_type_count, default_type, period;
	struct {
		uint64_t locations[16], location_count, values[4], value_count;
		uint64_t labels[8][3]; /* key, str, num */
		size_t label_count;
	} samples[MAX_ITEMS];
	size_t sample_count;
	struct {
		uint64_t id, mapping, address, function;
	} locations[MAX_ITEMS];
	size_t location_count;
	struct {
		uint64_t id, name;
	} functions[MAX_ITEMS];
	size_t function_count;
	struct {
		uint64_t id, start, limit, offset, file, build_id;
	} mappings[MAX_ITEMS];
	size_t mapping_count;
};

static void decode_packed(struct reader *r, uint64_t *out, uint64_t *count, size_t max)
{
	while (r->p < r->end) {
		assert_true(*count < max);
		out[(*count)++] = get_varint(r);
	}
}

static void decode_sample(struct decoded *d, struct reader *r)
{
	struct reader sub, lab;
	uint64_t v;

	assert_true(d->sample_count < MAX_ITEMS);
	while (r->p < r->end) {
		int f = next_field(r, &v, &sub);

		if (f == 1)
			decode_packed(&sub, d->samples[d->sample_count].locations,
				      &d->samples[d->sample_count].location_count, 16);
		else if (f == 2)
			decode_packed(&sub, d->samples[d->sample_count].values,
				      &d->samples[d->sample_count].value_count, 4);
		else if (f == 3) {
			uint64_t *l = d->samples[d->sample_count]
					      .labels[d->samples[d->sample_count].label_count++];

			while (sub.p < sub.end) {
				int lf = next_field(&sub, &v, &lab);

				if (lf >= 1 && lf <= 3)
					l[lf - 1] = v;
			}
		}
	}
	d->sample_count++;
}

static void decode_location(struct decoded *d, struct reader *r)
{
	struct reader sub, line;
	uint64_t v, lv;

	while (r->p < r->end) {
		int f = next_field(r, &v, &sub);

		if (f == 1)
			d->locations[d->location_count].id = v;
		else if (f == 2)
			d->locations[d->location_count].mapping = v;
		else if (f == 3)
			d->locations[d->location_count].address = v;
		else if (f == 4)
			while (sub.p < sub.end)
				if (next_field(&sub, &lv, &line) == 1)
					d->locations[d->location_count].function = lv;
	}
	d->location_count++;
}

static void decode_simple(struct reader *r, uint64_t *fields, size_t max_field)
{
	struct reader sub;
	uint64_t v;

	while (r->p < r->end) {
		int f = next_field(r, &v, &sub);

		if (f >= 1 && (size_t)f <= max_field)
			fields[f - 1] = v;
	}
}

static void decode_profile(const unsigned char *data, size_t len, struct decoded *d)
{
	struct reader r = { data, data + len }, sub;
	uint64_t v, fields[8];

	memset(d, 0, sizeof(*d));
	while (r.p < r.end) {
		int f = next_field(&r, &v, &sub);

		memset(fields, 0, sizeof(fields));
		if (f == 1) {
			decode_simple(&sub, fields, 2);
			d->sample_types[d->sample_type_count][0] = fields[0];
			d->sample_types[d->sample_type_count++][1] = fields[1];
		} else if (f == 2) {
			decode_sample(d, &sub);
		} else if (f == 3) {
			decode_simple(&sub, fields, 6);
			d->mappings[d->mapping_count].id = fields[0];
			d->mappings[d->mapping_count].start = fields[1];
			d->mappings[d->mapping_count].limit = fields[2];
			d->mappings[d->mapping_count].offset = fields[3];
			d->mappings[d->mapping_count].file = fields[4];
			d->mappings[d->mapping_count++].build_id = fields[5];
		} else if (f == 4) {
			decode_location(d, &sub);
		} else if (f == 5) {
			decode_simple(&sub, fields, 3);
			d->functions[d->function_count].id = fields[0];
			d->functions[d->function_count++].name = fields[1];
		} else if (f == 6) {
			d->strings[d->string_count++] =
				strndup((const char *)sub.p, (size_t)(sub.end - sub.p));
		} else if (f == 12) {
			d->period = v;
		} else if (f == 14) {
			d->default_type = v;
		}
	}
}

static void free_decoded(struct decoded *d)
{
	for (size_t i = 0; i < d->string_count; i++)
		free(d->strings[i]);
}

static const char *str(const struct decoded *d, uint64_t i)
{
	assert_true(i < d->string_count);
	return d->strings[i];
}

/* The function name at a location id. */
static const char *location_name(const struct decoded *d, uint64_t id)
{
	for (size_t i = 0; i < d->location_count; i++) {
		if (d->locations[i].id != id)
			continue;
		for (size_t j = 0; j < d->function_count; j++)
			if (d->functions[j].id == d->locations[i].function)
				return str(d, d->functions[j].name);
	}
	fail_msg("no location %llu", (unsigned long long)id);
	return NULL;
}

static const char *label(const struct decoded *d, size_t sample, const char *key)
{
	for (size_t i = 0; i < d->samples[sample].label_count; i++)
		if (!strcmp(str(d, d->samples[sample].labels[i][0]), key))
			return d->samples[sample].labels[i][1]
				       ? str(d, d->samples[sample].labels[i][1])
				       : "(num)";
	return NULL;
}

static size_t gunzip(const char *in, size_t len, unsigned char *out, size_t out_len)
{
	z_stream z = { 0 };

	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)out_len;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	inflateEnd(&z);
	return z.total_out;
}

/* ---- the tests ---- */

/* protobuf's encoding guide: 1 is 01, 150 is 96 01, 300 is ac 02. */
static void test_varints(void **state)
{
	static const struct {
		uint64_t value;
		const char *bytes;
		size_t len;
	} cases[] = {
		{ 0, "\x00", 1 },
		{ 1, "\x01", 1 },
		{ 127, "\x7f", 1 },
		{ 128, "\x80\x01", 2 },
		{ 150, "\x96\x01", 2 },
		{ 300, "\xac\x02", 2 },
		{ UINT64_MAX, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strbuf sb;

		strbuf_init(&sb);
		pprof_put_varint(&sb, cases[i].value);
		assert_int_equal(sb.len, cases[i].len);
		assert_memory_equal(sb.buf, cases[i].bytes, cases[i].len);
		strbuf_free(&sb);
	}
}

static const struct pprof_mapping exe = {
	.memory_start = 0x555500000000,
	.memory_limit = 0x555500010000,
	.file_offset = 0x1000,
	.filename = "/usr/bin/app",
	.build_id = "0a1b2c",
	.has_functions = true,
};

/* Two stacks sharing main and _start; leaf first, as the collector hands them. */
static const struct profile_frame grow_frames[] = {
	{ "clear_page_erms_[k]", 0xffffffff81000010, NULL },
	{ "grow_cache", 0x555500001234, &exe },
	{ "main", 0x555500001500, &exe },
	{ "_start", 0x555500001000, &exe },
};
static const struct profile_frame parse_frames[] = {
	{ "parse;input", 0x555500002000, &exe },
	{ "main", 0x555500001500, &exe },
	{ "_start", 0x555500001000, &exe },
};
static const struct profile_stack stacks[] = {
	{ .pid = 42,
	  .comm = "app",
	  .cgroup = "/docker/abc",
	  .container = "web",
	  .pod = "",
	  .namespace = "",
	  .frames = grow_frames,
	  .frame_count = 4,
	  .samples = 30,
	  .bytes = 30 * 4096 },
	{ .pid = 42,
	  .comm = "app",
	  .cgroup = "/docker/abc",
	  .container = "web",
	  .pod = "",
	  .namespace = "",
	  .frames = parse_frames,
	  .frame_count = 3,
	  .samples = 10,
	  .bytes = 10 * 4096 },
};

static void test_pprof_round_trip(void **state)
{
	struct profile_meta meta = { .time_ns = 1,
				     .duration_ns = 2,
				     .faults_matched = 400,
				     .faults_sampled = 40,
				     .comment = "a test" };
	static unsigned char raw[1 << 16];
	struct decoded *d = calloc(1, sizeof(*d));
	struct strbuf out;
	size_t len;

	strbuf_init(&out);
	assert_int_equal(profile_write_pprof(stacks, 2, &meta, &out), 0);
	assert_memory_equal(out.buf, "\x1f\x8b", 2); /* gzip magic */
	len = gunzip(out.buf, out.len, raw, sizeof(raw));
	decode_profile(raw, len, d);

	assert_string_equal(str(d, 0), "");
	assert_int_equal(d->sample_type_count, 2);
	assert_string_equal(str(d, d->sample_types[0][0]), "faults");
	assert_string_equal(str(d, d->sample_types[0][1]), "count");
	assert_string_equal(str(d, d->sample_types[1][0]), "memory");
	assert_string_equal(str(d, d->sample_types[1][1]), "bytes");
	assert_string_equal(str(d, d->default_type), "faults");
	assert_int_equal(d->period, 10); /* 400 faults seen for 40 sampled */

	assert_int_equal(d->sample_count, 2);
	assert_int_equal(d->samples[0].value_count, 2);
	assert_int_equal(d->samples[0].values[0], 30);
	assert_int_equal(d->samples[0].values[1], 30 * 4096);
	assert_int_equal(d->samples[0].location_count, 4);
	assert_string_equal(location_name(d, d->samples[0].locations[0]), "clear_page_erms_[k]");
	assert_string_equal(location_name(d, d->samples[0].locations[1]), "grow_cache");
	assert_string_equal(location_name(d, d->samples[0].locations[3]), "_start");
	assert_string_equal(location_name(d, d->samples[1].locations[0]), "parse;input");
	/* shared frames are one location */
	assert_int_equal(d->samples[0].locations[2], d->samples[1].locations[1]);
	assert_int_equal(d->location_count, 5);
	assert_int_equal(d->function_count, 5);

	assert_string_equal(label(d, 0, "container"), "web");
	assert_string_equal(label(d, 0, "cgroup"), "/docker/abc");
	assert_string_equal(label(d, 0, "pid"), "(num)");
	assert_null(label(d, 0, "pod")); /* empty labels are left out */

	assert_int_equal(d->mapping_count, 1); /* one mapping, shared */
	assert_true(d->mappings[0].start == exe.memory_start);
	assert_true(d->mappings[0].limit == exe.memory_limit);
	assert_true(d->mappings[0].offset == exe.file_offset);
	assert_string_equal(str(d, d->mappings[0].file), "/usr/bin/app");
	assert_string_equal(str(d, d->mappings[0].build_id), "0a1b2c");
	for (size_t i = 0; i < d->location_count; i++)
		if (d->locations[i].address == 0x555500001234)
			assert_int_equal(d->locations[i].mapping, d->mappings[0].id);
	free_decoded(d);
	free(d);
	strbuf_free(&out);
}

static void test_folded(void **state)
{
	struct profile_stack twice[3] = { stacks[0], stacks[1], stacks[1] };
	struct strbuf out;

	twice[2].pid = 43; /* another process, same stack: one line */
	strbuf_init(&out);
	assert_int_equal(profile_write_folded(twice, 3, &out), 0);
	assert_string_equal(out.buf, "app;_start;main;grow_cache;clear_page_erms_[k] 30\n"
				     "app;_start;main;parse?input 20\n");
	strbuf_free(&out);
}

/* Names from a hostile file: C1 controls (raw or encoded) and broken UTF-8 never pass. */
static void test_folded_hostile_names(void **state)
{
	struct profile_frame frames[] = {
		{ .name = "raw\x9b"
			  "31m" }, /* a lone 8-bit CSI byte */
		{ .name = "enc\xc2\x9b"
			  "31m" },	   /* U+009B, CSI, as UTF-8 */
		{ .name = "caf\xc3\xa9" }, /* é stays */
		{ .name = "cut\xe2\x82" }, /* a sequence cut short */
	};
	struct profile_stack st = {
		.comm = "a\x1b[2Jb", .frames = frames, .frame_count = 4, .samples = 1
	};
	struct strbuf out;

	strbuf_init(&out);
	assert_int_equal(profile_write_folded(&st, 1, &out), 0);
	assert_string_equal(out.buf, "a?[2Jb;cut??;caf\xc3\xa9;enc?31m;raw?31m 1\n");
	strbuf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_varints),
		cmocka_unit_test(test_pprof_round_trip),
		cmocka_unit_test(test_folded),
		cmocka_unit_test(test_folded_hostile_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
