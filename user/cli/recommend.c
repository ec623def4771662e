// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "prom_api.h"
#include "prom_http.h"
#include "recommend.h"
#include "recommend_method.h"
#include "recommend_output.h"
#include "version.h"
#include "workloads.h"

#define NS_PER_MS 1000000ULL

/* What one run needs: the server, the window, the selector every query shares. */
struct recommend_ctx {
	struct prom_client *client;
	char url[512]; /* for messages */
	const char *namespace;
	double now; /* unix seconds; every query is evaluated then */
	uint64_t window_ms;
	uint64_t step_ms;	/* the first and last seen subqueries' resolution */
	struct strbuf selector; /* {container!="",namespace="..."} */
	struct strbuf query;
	struct strbuf body;
	struct workload_set set;
	enum workload_figure figure; /* what the query being read measures */
	size_t samples;
};

/*
 * One query per figure, over the window: $S is the selector, $W the window, $R the
 * step of the subqueries that find the first and the last sample. Kills (and risk
 * episodes) in the window are the count at its end less the count at its start, or the
 * whole count of a series born inside it; after a counter reset (an agent restart), the
 * count since the reset.
 */
#define IN_WINDOW(counter)                                                                         \
	"((max_over_time(" counter "$S[$W]) - " counter "$S offset $W >= 0) or "                   \
	"max_over_time(" counter "$S[$W]))"

/*
 * Each step of the window's subquery counts the samples of the step before it: a series
 * is seen at every step it had a sample in, however its scrape interval compares with the
 * lookback, and each sample is read once. The step's time stands for them.
 */
#define SEEN_AT "(count_over_time(memsight_memory_working_set_bytes$S[$R]) * 0 + time())[$W:$R]"

static const struct {
	enum workload_figure figure;
	const char *promql;
} queries[] = {
	{ FIGURE_WS_MAX, "max_over_time(memsight_memory_working_set_bytes$S[$W])" },
	{ FIGURE_WS_P99,
	  "quantile_over_time(" RECOMMEND_QUANTILE ", memsight_memory_working_set_bytes$S[$W])" },
	{ FIGURE_FIRST_SEEN, "min_over_time(" SEEN_AT ")" },
	{ FIGURE_LAST_SEEN, "max_over_time(" SEEN_AT ")" },
	{ FIGURE_OOM_KILLS, IN_WINDOW("memsight_oom_kills_total") },
	{ FIGURE_OOM_RISKS, IN_WINDOW("memsight_oom_risks_total") },
	{ FIGURE_LEAK, "max_over_time(memsight_leak_suspected$S[$W])" },
	{ FIGURE_LIMIT_NOW, "memsight_memory_limit_bytes$S" },
	{ FIGURE_LIMIT_LAST, "last_over_time(memsight_memory_limit_bytes$S[$W])" },
	{ FIGURE_KILL_LIMIT, "max_over_time(memsight_memory_limit_bytes$S[$W]) and " IN_WINDOW(
				     "memsight_oom_kills_total") " > 0" },
};

/* The query with $S, $W and $R put in. */
static void expand(struct strbuf *out, const char *promql, const char *selector, const char *window,
		   const char *step)
{
	for (const char *p = promql; *p; p++) {
		const char *with = NULL;

		if (p[0] == '$' && p[1] == 'S')
			with = selector;
		else if (p[0] == '$' && p[1] == 'W')
			with = window;
		else if (p[0] == '$' && p[1] == 'R')
			with = step;
		if (with) {
			strbuf_puts(out, with);
			p++;
		} else {
			strbuf_append(out, p, 1);
		}
	}
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int on_sample(void *opaque, const struct prom_sample *s)
{
	struct recommend_ctx *ctx = opaque;

	ctx->samples++;
	return workload_set_add(&ctx->set, s->namespace, s->pod, s->container, ctx->figure,
				s->value);
}

/* GETs path; 0 with the answer in ctx->body, or 1 after saying why. */
static int get(struct recommend_ctx *ctx, const char *path, const char *const *params)
{
	char err[512];
	long status = 0;
	int ret = prom_client_get(ctx->client, path, params, &ctx->body, &status, err, sizeof(err));

	if (ret == -EHOSTUNREACH) {
		log_error("can't reach Prometheus at %s: %s", ctx->url, err);
		return 1;
	}
	if (ret) {
		log_error("Prometheus at %s: %s", ctx->url, err);
		return 1;
	}
	/* The API answers its own errors (400, 422, 503) in JSON: read them as such. */
	if (status != 200 && !strstr(ctx->body.buf ? ctx->body.buf : "", "\"status\"")) {
		log_error("%s doesn't answer as a Prometheus server: HTTP %ld for %s", ctx->url,
			  status, path);
		return 1;
	}
	return 0;
}

static int read_failed(struct recommend_ctx *ctx, int ret, const char *err, const char *path)
{
	if (ret == -EREMOTEIO)
		log_error("Prometheus at %s refused the query: %s", ctx->url, err);
	else if (ret == -ENOMEM)
		log_error("out of memory reading Prometheus' answer");
	else
		log_error("%s doesn't answer as a Prometheus server (%s for %s)", ctx->url, err,
			  path);
	return 1;
}

static int run_query(struct recommend_ctx *ctx, size_t i)
{
	char window[32], step[32], err[512];
	const char *params[] = { "query", NULL, "time", NULL, NULL };
	char when[32];
	double started = clock_monotonic_ms();
	int ret;

	snprintf(window, sizeof(window), "%" PRIu64 "ms", ctx->window_ms);
	snprintf(step, sizeof(step), "%" PRIu64 "ms", ctx->step_ms);
	snprintf(when, sizeof(when), "%.3f", ctx->now);
	strbuf_reset(&ctx->query);
	expand(&ctx->query, queries[i].promql, ctx->selector.buf, window, step);
	if (ctx->query.failed)
		return read_failed(ctx, -ENOMEM, "", "");
	params[1] = ctx->query.buf;
	params[3] = when;
	if (get(ctx, "/api/v1/query", params))
		return 1;
	ctx->figure = queries[i].figure;
	ctx->samples = 0;
	ret = prom_read_vector(ctx->body.buf, ctx->body.len, on_sample, ctx, err, sizeof(err));
	if (ret)
		return read_failed(ctx, ret, err, "/api/v1/query");
	log_debug("%s: %zu series in %.0f ms", ctx->query.buf, ctx->samples,
		  clock_monotonic_ms() - started);
	return 0;
}

static int on_name(void *opaque, const char *name)
{
	bool *found = opaque;

	*found = true;
	return 0;
}

/* Whether the series match[] names exist at any time Prometheus holds; -1 on failure. */
static int any_series(struct recommend_ctx *ctx, const char *match)
{
	const char *params[] = { "match[]", match, NULL };
	const char *path = "/api/v1/label/__name__/values";
	bool found = false;
	char err[512];
	int ret;

	if (get(ctx, path, params))
		return -1;
	ret = prom_read_names(ctx->body.buf, ctx->body.len, on_name, &found, err, sizeof(err));
	if (ret) {
		read_failed(ctx, ret, err, path);
		return -1;
	}
	return found;
}

/* No working set in the window: say whether there never was one, or not lately. */
static int explain_no_data(struct recommend_ctx *ctx, const char *window)
{
	char match[1024], ns[256];
	int found;

	snprintf(match, sizeof(match), "memsight_memory_working_set_bytes%s", ctx->selector.buf);
	found = any_series(ctx, match);
	if (found < 0)
		return 1;
	prom_clean_text(ns, sizeof(ns), ctx->namespace ? ctx->namespace : "");
	if (found) {
		log_error("Prometheus at %s holds no memsight data in the last %s%s%s%s: the "
			  "series are older (a longer --window?)",
			  ctx->url, window, *ns ? " for namespace '" : "", ns, *ns ? "'" : "");
		return 1;
	}
	found = any_series(ctx, "{__name__=~\"memsight_.+\"}");
	if (found < 0)
		return 1;
	if (!found)
		log_error("Prometheus at %s has no memsight series: does it scrape "
			  "`memsight run`'s /metrics?",
			  ctx->url);
	else if (*ns)
		log_error("Prometheus at %s has no memsight series of containers in namespace '%s'",
			  ctx->url, ns);
	else
		log_error("Prometheus at %s has memsight series, but none of a container's "
			  "working set (memsight_memory_working_set_bytes with a container label)",
			  ctx->url);
	return 1;
}

/* "7d", "36h", "5m": the window as a person wrote it, give or take. */
static const char *window_text(uint64_t ms, char *buf, size_t len)
{
	static const struct {
		uint64_t ms;
		const char *unit;
	} units[] = { { 86400000, "d" }, { 3600000, "h" }, { 60000, "m" }, { 1000, "s" } };

	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (ms % units[i].ms == 0) {
			snprintf(buf, len, "%" PRIu64 "%s", ms / units[i].ms, units[i].unit);
			return buf;
		}
	snprintf(buf, len, "%" PRIu64 "ms", ms);
	return buf;
}

static void print_all(struct recommend_ctx *ctx, enum recommend_format format)
{
	struct strbuf out;
	double window_s = (double)ctx->window_ms / 1000;

	strbuf_init(&out);
	for (size_t i = 0; i < ctx->set.len; i++)
		recommend_decide(&ctx->set.items[i]->fig, window_s, &ctx->set.items[i]->rec);
	if (format == RECOMMEND_FORMAT_TABLE)
		recommend_table(&out, ctx->set.items, ctx->set.len);
	for (size_t i = 0; format == RECOMMEND_FORMAT_JSON && i < ctx->set.len; i++)
		recommend_json_line(&out, ctx->set.items[i], window_s);
	for (size_t i = 0; format == RECOMMEND_FORMAT_YAML && i < ctx->set.len; i++)
		recommend_yaml_document(&out, ctx->set.items[i]);
	if (out.failed)
		log_error("out of memory writing the recommendations");
	else if (out.len)
		fwrite(out.buf, 1, out.len, stdout);
	strbuf_free(&out);
}

static int prepare(struct recommend_ctx *ctx, const struct env *env)
{
	char err[512];

	prom_url_display(ctx->url, sizeof(ctx->url), env->prometheus_url);
	ctx->client = prom_client_new(env->prometheus_url, "memsight/" MEMSIGHT_VERSION, err,
				      sizeof(err));
	if (!ctx->client) {
		log_error("can't set up an HTTP client: %s", err);
		return 1;
	}
	ctx->namespace = env->namespace;
	/* Whole milliseconds: the same instant in every query, as Prometheus reads it. */
	ctx->now = (double)(clock_realtime_ns() / 1000000) / 1000;
	ctx->window_ms = env->window_ns / NS_PER_MS;
	/* History to 0.1% of the window (10 minutes of a week), in whole seconds. */
	ctx->step_ms = ctx->window_ms / 1000 < 1000 ? 1000 : ctx->window_ms / 1000 / 1000 * 1000;
	strbuf_puts(&ctx->selector, "{container!=\"\"");
	if (env->namespace) {
		strbuf_puts(&ctx->selector, ",namespace=");
		promql_string(&ctx->selector, env->namespace);
	}
	strbuf_puts(&ctx->selector, "}");
	workload_set_init(&ctx->set);
	return ctx->selector.failed ? 1 : 0;
}

int recommend_run(const struct env *env)
{
	struct recommend_ctx ctx;
	char window[32];
	int status = 1;

	memset(&ctx, 0, sizeof(ctx));
	log_verbose = env->verbose;
	if (prepare(&ctx, env))
		goto out;
	window_text(ctx.window_ms, window, sizeof(window));
	for (size_t i = 0; i < ARRAY_SIZE(queries); i++) {
		if (run_query(&ctx, i))
			goto out;
		/* The first query finds the workloads; nothing there, nothing to recommend. */
		if (i == 0 && !ctx.set.len) {
			explain_no_data(&ctx, window);
			goto out;
		}
	}
	workload_set_finish(&ctx.set);
	print_all(&ctx, (enum recommend_format)env->format);
	status = 0;
out:
	workload_set_free(&ctx.set);
	strbuf_free(&ctx.selector);
	strbuf_free(&ctx.query);
	strbuf_free(&ctx.body);
	prom_client_free(ctx.client);
	return status;
}
