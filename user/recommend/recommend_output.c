// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "jsonw.h"
#include "recommend_output.h"

#define MIB 1048576.0

enum column {
	COL_NAMESPACE,
	COL_WORKLOAD,
	COL_CONTAINER,
	COL_PODS,
	COL_LIMIT,
	COL_P99,
	COL_PEAK,
	COL_OOM,
	COL_RISKS,
	COL_LEAK,
	COL_REQUEST,
	COL_NEW_LIMIT,
	COL_REASON,
	COLUMNS,
};

static const char *const headers[COLUMNS] = {
	"NAMESPACE", "WORKLOAD", "CONTAINER", "PODS",	 "LIMIT",     "P99 WS", "PEAK WS",
	"OOM",	     "RISKS",	 "LEAK",      "REQUEST", "NEW LIMIT", "REASON",
};

/* Room for a Kubernetes name (253) or a reason, and the NUL. */
#define CELL_LEN 272

const char *recommend_quantity(double bytes, char *buf, size_t len)
{
	double mib = bytes / MIB;

	if (mib >= 1024 && fmod(mib, 1024) == 0)
		snprintf(buf, len, "%.0fGi", mib / 1024);
	else if (fmod(mib, 1) == 0)
		snprintf(buf, len, "%.0fMi", mib);
	else
		snprintf(buf, len, "%.1fMi", mib);
	return buf;
}

static void size_cell(char *cell, bool known, double bytes)
{
	if (known)
		recommend_quantity(bytes, cell, CELL_LEN);
	else
		snprintf(cell, CELL_LEN, "-");
}

static void row_cells(const struct workload *w, char cells[COLUMNS][CELL_LEN])
{
	const struct recommend_figures *f = &w->fig;

	printable_copy(cells[COL_NAMESPACE], CELL_LEN, *w->namespace ? w->namespace : "-",
		       PRINTABLE_ASCII);
	printable_copy(cells[COL_WORKLOAD], CELL_LEN, w->name, PRINTABLE_ASCII);
	printable_copy(cells[COL_CONTAINER], CELL_LEN, w->container, PRINTABLE_ASCII);
	snprintf(cells[COL_PODS], CELL_LEN, "%zu", w->pods);
	size_cell(cells[COL_LIMIT], f->has_limit, f->current_limit);
	size_cell(cells[COL_P99], f->has_working_set, f->working_set_p99);
	size_cell(cells[COL_PEAK], f->has_working_set, f->working_set_max);
	snprintf(cells[COL_OOM], CELL_LEN, "%llu", (unsigned long long)f->oom_kills);
	snprintf(cells[COL_RISKS], CELL_LEN, "%llu", (unsigned long long)f->oom_risks);
	snprintf(cells[COL_LEAK], CELL_LEN, "%s", f->leak_suspected ? "yes" : "no");
	size_cell(cells[COL_REQUEST], w->rec.recommended, (double)w->rec.request_bytes);
	size_cell(cells[COL_NEW_LIMIT], w->rec.recommended, (double)w->rec.limit_bytes);
	printable_copy(cells[COL_REASON], CELL_LEN, w->rec.reason, PRINTABLE_ASCII);
}

static void table_line(struct strbuf *out, const char *const text[COLUMNS],
		       const size_t width[COLUMNS])
{
	for (int c = 0; c < COLUMNS; c++) {
		if (c == COLUMNS - 1)
			strbuf_printf(out, "%s\n", text[c]);
		else
			strbuf_printf(out, "%-*s  ", (int)width[c], text[c]);
	}
}

void recommend_table(struct strbuf *out, struct workload *const *items, size_t n)
{
	char cells[COLUMNS][CELL_LEN];
	const char *text[COLUMNS];
	size_t width[COLUMNS];

	for (int c = 0; c < COLUMNS; c++)
		width[c] = strlen(headers[c]);
	for (size_t i = 0; i < n; i++) {
		row_cells(items[i], cells);
		for (int c = 0; c < COLUMNS; c++)
			if (strlen(cells[c]) > width[c])
				width[c] = strlen(cells[c]);
	}
	table_line(out, headers, width);
	for (size_t i = 0; i < n; i++) {
		row_cells(items[i], cells);
		for (int c = 0; c < COLUMNS; c++)
			text[c] = cells[c];
		table_line(out, text, width);
	}
}

static void json_bytes(struct jsonw *w, const char *key, bool known, double bytes)
{
	if (known)
		jsonw_u64(w, key, (uint64_t)llround(bytes));
	else
		jsonw_null(w, key);
}

void recommend_json_line(struct strbuf *out, const struct workload *wl, double window_s)
{
	const struct recommend_figures *f = &wl->fig;
	const struct recommendation *r = &wl->rec;
	struct jsonw w;

	jsonw_init(&w);
	jsonw_object_begin(&w, NULL);
	jsonw_u64(&w, "v", 1);
	jsonw_string(&w, "type", "recommendation");
	jsonw_string(&w, "namespace", wl->namespace);
	jsonw_string(&w, "workload", wl->name);
	jsonw_string(&w, "kind", workload_kind_name(wl->kind));
	jsonw_string(&w, "container", wl->container);
	jsonw_u64(&w, "pods", wl->pods);
	jsonw_u64(&w, "window_s", (uint64_t)llround(window_s));
	jsonw_u64(&w, "history_s", (uint64_t)llround(r->history_s));
	json_bytes(&w, "current_limit_bytes", f->has_limit, f->current_limit);
	json_bytes(&w, "working_set_p99_bytes", f->has_working_set, f->working_set_p99);
	json_bytes(&w, "working_set_max_bytes", f->has_working_set, f->working_set_max);
	jsonw_u64(&w, "oom_kills", f->oom_kills);
	jsonw_u64(&w, "oom_risks", f->oom_risks);
	jsonw_bool(&w, "leak_suspected", f->leak_suspected);
	json_bytes(&w, "recommended_request_bytes", r->recommended, (double)r->request_bytes);
	json_bytes(&w, "recommended_limit_bytes", r->recommended, (double)r->limit_bytes);
	jsonw_string(&w, "reason", r->reason);
	jsonw_object_end(&w);
	if (w.out.failed)
		out->failed = true;
	else
		strbuf_printf(out, "%s\n", w.out.buf);
	jsonw_free(&w);
}

/* Characters YAML wants escaped in a double-quoted scalar: not printable, or a break. */
static bool yaml_escape_needed(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	       cp == 0xfeff || cp == 0xfffe || cp == 0xffff;
}

void yaml_quoted(struct strbuf *out, const char *value)
{
	const unsigned char *s = (const unsigned char *)value;
	size_t len = strlen(value);

	strbuf_append(out, "\"", 1);
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t step = utf8_decode(s + i, len - i, &cp);

		if (!step) {
			strbuf_append(out, "\\uFFFD", 6); /* a malformed byte */
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\')
			strbuf_printf(out, "\\%c", (char)cp);
		else if (cp == '\n')
			strbuf_append(out, "\\n", 2);
		else if (cp == '\t')
			strbuf_append(out, "\\t", 2);
		else if (yaml_escape_needed(cp))
			strbuf_printf(out, cp < 0x100 ? "\\x%02X" : "\\u%04X", cp);
		else
			strbuf_append(out, (const char *)s + i, step);
		i += step;
	}
	strbuf_append(out, "\"", 1);
}

/* A Kubernetes object or container name: safe to show unquoted in a comment. */
static bool plain_name(const char *name)
{
	if (!*name || strlen(name) > 253)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '.'))
			return false;
	return true;
}

/* How a person applies it: kubectl, when the owner's kind is certain from the names. */
static void yaml_comment(struct strbuf *out, const struct workload *w)
{
	const char *resource = w->kind == WORKLOAD_DEPLOYMENT	 ? "deployment"
			       : w->kind == WORKLOAD_STATEFULSET ? "statefulset"
								 : NULL;
	char request[32], limit[32];

	if (!plain_name(w->name) || !plain_name(w->container) ||
	    (*w->namespace && !plain_name(w->namespace)))
		return;
	strbuf_printf(out, "# %s%s%s (%s), container %s\n", w->namespace, *w->namespace ? "/" : "",
		      w->name, workload_kind_name(w->kind), w->container);
	if (!resource || !*w->namespace || !w->rec.recommended)
		return;
	strbuf_printf(out,
		      "# kubectl -n %s set resources %s/%s -c %s --requests=memory=%s "
		      "--limits=memory=%s\n",
		      w->namespace, resource, w->name, w->container,
		      recommend_quantity((double)w->rec.request_bytes, request, sizeof(request)),
		      recommend_quantity((double)w->rec.limit_bytes, limit, sizeof(limit)));
}

static void yaml_field(struct strbuf *out, const char *key, const char *value)
{
	strbuf_printf(out, "%s: ", key);
	yaml_quoted(out, value);
	strbuf_append(out, "\n", 1);
}

void recommend_yaml_document(struct strbuf *out, const struct workload *w)
{
	char request[32], limit[32];

	strbuf_puts(out, "---\n");
	yaml_comment(out, w);
	yaml_field(out, "namespace", w->namespace);
	yaml_field(out, "workload", w->name);
	yaml_field(out, "kind", workload_kind_name(w->kind));
	yaml_field(out, "container", w->container);
	yaml_field(out, "reason", w->rec.reason);
	if (!w->rec.recommended)
		return;
	strbuf_printf(out, "resources:\n  requests:\n    memory: %s\n  limits:\n    memory: %s\n",
		      recommend_quantity((double)w->rec.request_bytes, request, sizeof(request)),
		      recommend_quantity((double)w->rec.limit_bytes, limit, sizeof(limit)));
}
