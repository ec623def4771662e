// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "profile_output.h"

struct folded_line {
	char *text;
	uint64_t count;
};

/*
 * A name as one folded frame: no separators, nothing a terminal would act on.
 * Names come from the profiled processes' own files: a raw 0x9b byte is CSI to
 * a terminal with 8-bit controls, so bytes are taken as UTF-8 characters and
 * C1 controls and malformed sequences go too, as in printable_copy.
 */
static void put_frame(struct strbuf *sb, const char *name)
{
	const unsigned char *c = (const unsigned char *)name;
	size_t len = strlen(name);

	for (size_t i = 0; i < len;) {
		uint32_t cp = 0;
		size_t step = utf8_decode(c + i, len - i, &cp);
		bool keep =
			step && cp != ';' && cp >= 0x20 && cp != 0x7f && (cp < 0x80 || cp >= 0xa0);

		strbuf_append(sb, keep ? (const char *)c + i : "?", keep ? step : 1);
		i += step ? step : 1;
	}
}

static char *fold(const struct profile_stack *st)
{
	struct strbuf sb;

	strbuf_init(&sb);
	put_frame(&sb, st->comm && *st->comm ? st->comm : "[unknown]");
	for (size_t i = st->frame_count; i-- > 0;) {
		strbuf_puts(&sb, ";");
		put_frame(&sb, st->frames[i].name);
	}
	if (sb.failed || !sb.buf) {
		strbuf_free(&sb);
		return NULL;
	}
	return sb.buf;
}

static int by_text(const void *a, const void *b)
{
	return strcmp(((const struct folded_line *)a)->text, ((const struct folded_line *)b)->text);
}

static int by_count_desc(const void *a, const void *b)
{
	const struct folded_line *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->text, y->text);
}

int profile_write_folded(const struct profile_stack *stacks, size_t count, struct strbuf *out)
{
	struct folded_line *lines = calloc(count ? count : 1, sizeof(*lines));
	size_t n = 0;
	int ret = 0;

	if (!lines)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		lines[i].text = fold(&stacks[i]);
		lines[i].count = stacks[i].samples;
		if (!lines[i].text)
			ret = -ENOMEM;
	}
	if (!ret) {
		/* stacks that differ only in what folding drops (pid, cgroup) become one line */
		qsort(lines, count, sizeof(*lines), by_text);
		for (size_t i = 0; i < count; i++) {
			if (n && !strcmp(lines[n - 1].text, lines[i].text)) {
				lines[n - 1].count += lines[i].count;
				free(lines[i].text);
				continue;
			}
			lines[n++] = lines[i];
		}
		qsort(lines, n, sizeof(*lines), by_count_desc);
		for (size_t i = 0; i < n; i++)
			strbuf_printf(out, "%s %" PRIu64 "\n", lines[i].text, lines[i].count);
	} else {
		n = count;
	}
	for (size_t i = 0; i < n; i++)
		free(lines[i].text);
	free(lines);
	return ret ? ret : out->failed ? -ENOMEM : 0;
}

static void add_stack(struct pprof *p, const struct profile_stack *st)
{
	uint64_t locations[2 * 128];
	size_t n = 0;
	int64_t values[2] = { (int64_t)st->samples, (int64_t)st->bytes };
	const struct pprof_label labels[] = {
		{ .key = "pid", .num = st->pid },
		{ .key = "comm", .str = st->comm ? st->comm : "" },
		{ .key = "cgroup", .str = st->cgroup ? st->cgroup : "" },
		{ .key = "container", .str = st->container ? st->container : "" },
		{ .key = "pod", .str = st->pod ? st->pod : "" },
		{ .key = "namespace", .str = st->namespace ? st->namespace : "" },
	};

	for (size_t i = 0; i < st->frame_count && n < sizeof(locations) / sizeof(locations[0]);
	     i++) {
		const struct profile_frame *f = &st->frames[i];
		uint64_t mapping = f->mapping ? pprof__mapping(p, f->mapping) : 0;

		locations[n++] = pprof__location(p, mapping, f->address, f->name);
	}
	pprof__add_sample(p, locations, n, values, labels, sizeof(labels) / sizeof(labels[0]));
}

int profile_write_pprof(const struct profile_stack *stacks, size_t count,
			const struct profile_meta *meta, struct strbuf *out)
{
	struct pprof *p = pprof__new();
	int64_t period = 1;
	int ret;

	if (!p)
		return -ENOMEM;
	pprof__add_sample_type(p, "faults", "count");
	pprof__add_sample_type(p, "memory", "bytes");
	pprof__set_default_sample_type(p, "faults");
	if (meta->faults_sampled)
		period = (int64_t)((meta->faults_matched + meta->faults_sampled / 2) /
				   meta->faults_sampled);
	/* what one sample stands for: the faults seen per fault sampled */
	pprof__set_period(p, "faults", "count", period ? period : 1);
	pprof__set_time(p, meta->time_ns, meta->duration_ns);
	if (meta->comment)
		pprof__add_comment(p, meta->comment);
	for (size_t i = 0; i < count; i++)
		add_stack(p, &stacks[i]);
	ret = pprof__write(p, true, out);
	pprof__free(p);
	return ret;
}
