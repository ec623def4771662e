// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer: any bytes as a Prometheus API answer to `memsight recommend`. Whatever the
 * answer holds (label values anyone can set), the samples go into workloads, get a
 * decision, and come out as a table without control bytes, JSON lines that parse, and
 * YAML whose every line is one recommend writes: a quoted value never breaks its line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "prom_api.h"
#include "recommend_output.h"
#include "workloads.h"

static const enum workload_figure figures[] = {
	FIGURE_WS_MAX,	  FIGURE_WS_P99, FIGURE_FIRST_SEEN, FIGURE_LAST_SEEN,  FIGURE_OOM_KILLS,
	FIGURE_OOM_RISKS, FIGURE_LEAK,	 FIGURE_LIMIT_NOW,  FIGURE_LIMIT_LAST, FIGURE_KILL_LIMIT,
};

static int add(void *ctx, const struct prom_sample *s)
{
	struct workload_set *set = ctx;

	/* The same sample as every figure: each path of the fold sees hostile values. */
	for (size_t i = 0; i < sizeof(figures) / sizeof(figures[0]); i++)
		if (workload_set_add(set, s->namespace, s->pod, s->container, figures[i], s->value))
			abort();
	return 0;
}

static int ignore(void *ctx, const char *name)
{
	return name ? 0 : 1;
}

static void check_table(const struct strbuf *out)
{
	for (size_t i = 0; i < out->len; i++)
		if (out->buf[i] != '\n' &&
		    ((unsigned char)out->buf[i] < 0x20 || out->buf[i] == 0x7f))
			abort();
}

static void check_json(struct strbuf *out)
{
	char *line = out->buf, *end;

	for (; line && *line; line = end + 1) {
		struct json_object *o;

		end = strchr(line, '\n');
		if (!end)
			abort();
		*end = '\0';
		o = json_tokener_parse(line);
		if (!o || !json_object_is_type(o, json_type_object))
			abort();
		json_object_put(o);
	}
}

static void check_yaml(struct strbuf *out)
{
	static const char *const starts[] = {
		"---",		 "# ",	       "namespace: \"", "workload: \"", "kind: \"",
		"container: \"", "reason: \"", "resources:",	"  requests:",	"  limits:",
		"    memory: ",
	};
	char *line = out->buf, *end;

	for (; line && *line; line = end + 1) {
		size_t i;

		end = strchr(line, '\n');
		if (!end)
			abort();
		*end = '\0';
		for (i = 0; i < sizeof(starts) / sizeof(starts[0]); i++)
			if (!strncmp(line, starts[i], strlen(starts[i])))
				break;
		if (i == sizeof(starts) / sizeof(starts[0]))
			abort();
		for (char *p = line; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct workload_set set;
	struct strbuf table, json, yaml;
	char err[256];

	workload_set_init(&set);
	prom_read_names((const char *)data, size, ignore, NULL, err, sizeof(err));
	prom_read_vector((const char *)data, size, add, &set, err, sizeof(err));
	if (memchr(err, '\n', strnlen(err, sizeof(err))))
		abort();
	workload_set_finish(&set);
	strbuf_init(&table);
	strbuf_init(&json);
	strbuf_init(&yaml);
	for (size_t i = 0; i < set.len; i++) {
		recommend_decide(&set.items[i]->fig, 604800, &set.items[i]->rec);
		recommend_json_line(&json, set.items[i], 604800);
		recommend_yaml_document(&yaml, set.items[i]);
	}
	recommend_table(&table, set.items, set.len);
	check_table(&table);
	check_json(&json);
	check_yaml(&yaml);
	strbuf_free(&table);
	strbuf_free(&json);
	strbuf_free(&yaml);
	workload_set_free(&set);
	return 0;
}
