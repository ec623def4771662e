// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The metrics sink (`run`): /metrics, /healthz and /readyz. The page is
 * rendered here, on the main loop (the aggregate's thread), when a scrape
 * wants one and the figures changed since the last: http_server.c says how
 * the two threads share it.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "http_server.h"
#include "log.h"
#include "prom_format.h"
#include "clock.h"
#include "sinks.h"
#include "version.h"

/* What the last agent_stats said, kept for pages rendered between intervals. */
struct kept_agent_stats {
	struct memsight_agent_stats stats;
	struct memsight_program_stats programs[LOADER_PROGRAMS_MAX];
	struct memsight_state_errors errors[64];
};

struct metrics_sink {
	struct run *run;
	struct http_server *server;
	struct strbuf page;
	struct kept_agent_stats last;
	struct prom_context prom;
	struct prom_hook hooks[LOADER_HOOKS_MAX];
};

/* A deep copy: the event's arrays live only while it is delivered (names are the loader's). */
static void keep_agent_stats(struct kept_agent_stats *kept, const struct memsight_agent_stats *a)
{
	unsigned int programs =
		a->program_count < LOADER_PROGRAMS_MAX ? a->program_count : LOADER_PROGRAMS_MAX;
	unsigned int errors = a->state_error_count < 64 ? a->state_error_count : 64;

	kept->stats = *a;
	if (programs)
		memcpy(kept->programs, a->programs, programs * sizeof(*a->programs));
	if (errors)
		memcpy(kept->errors, a->state_errors, errors * sizeof(*a->state_errors));
	kept->stats.programs = kept->programs;
	kept->stats.program_count = programs;
	kept->stats.state_errors = kept->errors;
	kept->stats.state_error_count = errors;
}

/* Renders /metrics: at start, then when a scrape finds newer figures than the page. */
static void publish(struct metrics_sink *m)
{
	uint64_t start = clock_monotonic_ns(), rendered;
	unsigned int idle = run_refresh_idle(m->run, true);
	size_t len;

	strbuf_reset(&m->page);
	rendered = clock_monotonic_ns();
	prom_format(&m->page, run_aggregate(m->run), &m->last.stats, &m->prom);
	log_debug("/metrics: %u idle cgroups read in %.2f ms, %zu bytes rendered in %.2f ms", idle,
		  (double)(rendered - start) / 1e6, m->page.len,
		  (double)(clock_monotonic_ns() - rendered) / 1e6);
	if (m->page.failed) {
		log_error("/metrics: out of memory; serving the previous page");
		return;
	}
	len = m->page.len;
	if (http_server__publish(m->server, &m->page)) {
		log_error("/metrics: out of memory; serving the previous page");
		return;
	}
	/*
	 * m->page is now the previous page's buffer (or none): sized for its
	 * largest page (a churn of short-lived cgroups until their tombstones
	 * expire), it would keep that memory resident. Let it go when the page
	 * has shrunk.
	 */
	if (m->page.cap > 4 * len + 65536) {
		strbuf_free(&m->page);
		malloc_trim(0);
	}
}

static void render_wanted(struct run *run, void *ctx)
{
	struct metrics_sink *m = ctx;
	uint64_t start;
	unsigned int idle;

	if (!http_server__render_wanted(m->server))
		return;
	publish(m);
	/* The scrape has its page: what of idle cgroups can wait is read now, for the next. */
	start = clock_monotonic_ns();
	idle = run_refresh_idle(run, false);
	if (idle)
		log_debug("/metrics: limits and make-up of %u idle cgroups read in %.2f ms, for "
			  "the next page",
			  idle, (double)(clock_monotonic_ns() - start) / 1e6);
}

/*
 * The port is taken before the slow load, so that a taken one fails at once;
 * connections wait in its backlog until metrics_ready() starts the server.
 */
static int metrics_start(struct run *run, void **state)
{
	const struct env *env = run_env(run);
	struct metrics_sink *m = calloc(1, sizeof(*m));
	uint64_t stall_ns = 5 * env->interval_ns;
	char err[512];

	*state = m;
	if (!m) {
		log_error("can't start: %s", strerror(ENOMEM));
		return -1;
	}
	m->run = run;
	strbuf_init(&m->page);
	if (stall_ns < 10000000000ULL)
		stall_ns = 10000000000ULL;
	m->server =
		http_server__open(env->listen_host, env->listen_port, stall_ns, err, sizeof(err));
	if (!m->server) {
		log_error("%s", err);
		return -1;
	}
	if (run_watch(run, http_server__render_fd(m->server), EPOLLIN, render_wanted, m)) {
		log_error("can't set up the event loop: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int metrics_ready(struct run *run, void *state)
{
	const struct loader_report *report = agent_report(run_agent(run));
	struct metrics_sink *m = state;
	char err[512];

	for (unsigned int i = 0; i < report->hook_count && i < LOADER_HOOKS_MAX; i++)
		m->hooks[i] = (struct prom_hook){ report->hooks[i].feature, report->hooks[i].hook };
	m->prom = (struct prom_context){
		.version = MEMSIGHT_VERSION,
		.start_realtime_ns = clock_realtime_ns(),
		.hooks = m->hooks,
		.hook_count = report->hook_count,
	};
	publish(m);
	http_server__set_ready(m->server, true);
	if (http_server__serve(m->server, err, sizeof(err))) {
		log_error("%s", err);
		return -1;
	}
	/* Only now: the line means ready, so errors of the load (--pin) come before it. */
	log_info("serving http://%s/metrics, /healthz and /readyz",
		 http_server__address(m->server));
	return 0;
}

static void metrics_on_event(struct run *run, void *state, const struct memsight_event *ev)
{
	struct metrics_sink *m = state;

	/* A kill is on the next scrape's page, not the next interval's. */
	if (ev->type == MEMSIGHT_EVENT_OOM_KILL)
		http_server__mark_dirty(m->server);
	if (ev->type != MEMSIGHT_EVENT_AGENT_STATS)
		return;
	keep_agent_stats(&m->last, &ev->agent_stats);
	http_server__mark_dirty(m->server);
	http_server__heartbeat(m->server);
}

static void metrics_stop(void *state)
{
	struct metrics_sink *m = state;

	if (!m)
		return;
	http_server__stop(m->server);
	strbuf_free(&m->page);
	free(m);
}

const struct sink_ops metrics_sink = {
	.name = "metrics",
	.start = metrics_start,
	.ready = metrics_ready,
	.on_event = metrics_on_event,
	.stop = metrics_stop,
};
