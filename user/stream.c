// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The CLI's streaming commands on top of the agent (libmemsight): `stream`
 * prints each event as a JSON line, `run` adds the HTTP endpoints, and `top`
 * hands the figures to its view. The loop also watches signals, --duration
 * and the reader of stdout.
 */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "aggregate.h"
#include "clock.h"
#include "http_server.h"
#include "loader.h"
#include "log.h"
#include "prom_format.h"
#include "stream.h"
#include "version.h"

enum wake_source {
	WAKE_AGENT = 1,
	WAKE_DURATION,
	WAKE_SIGNAL,
	WAKE_STDOUT,
	WAKE_INPUT,
	WAKE_RENDER, /* a scrape wants a fresh /metrics page */
};

struct stream {
	const struct env *env;
	struct memsight *ms;
	const struct stream_view *view; /* `top`: no JSON lines then */
	struct http_server *server;	/* `run` only */
	struct strbuf page;
	struct agent_stats last_agent; /* for a page rendered between intervals */
	struct prom_context prom;
	struct prom_hook hooks[LOADER_HOOKS_MAX];
	struct jsonw line;
	bool stdout_closed;
	bool write_failed;
	bool stop;
	unsigned int tracked_high; /* most cgroups tracked since the last trim */
	bool trim;		   /* freed enough heap to hand it back */
};

/* Cgroups gone from the aggregate (tombstones expired) worth a malloc_trim(). */
#define TRIM_AFTER_CGROUPS 64

int stream_write_stdout(const char *buf, size_t len)
{
	struct pollfd out = { .fd = STDOUT_FILENO, .events = POLLOUT };

	while (len) {
		ssize_t n = write(STDOUT_FILENO, buf, len);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/*
		 * O_NONBLOCK is a property of the open file description, which the
		 * reader's end of a pipe may share or have set: a full pipe is then a
		 * slow reader, not an error. Wait for room as a blocking write would.
		 */
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (poll(&out, 1, -1) < 0 && errno != EINTR)
				return -errno;
			continue;
		}
		return n < 0 ? -errno : -EIO;
	}
	return 0;
}

/* Writes one whole line; a reader that went away ends the stream quietly. */
static void emit_line(struct stream *s, struct jsonw *w)
{
	int ret;

	if (s->stdout_closed)
		return;
	/* The newline goes in the same write: a reader never sees half a line's end. */
	if (!w->out.failed)
		strbuf_append(&w->out, "\n", 1);
	if (w->out.failed) {
		log_error("dropped an output line: out of memory");
		return;
	}
	/* write(2), not stdio: stdio discards what it buffered when a write fails with EAGAIN. */
	ret = stream_write_stdout(w->out.buf, w->out.len);
	if (ret) {
		/* A reader that left is a normal end; any other write error loses data. */
		if (ret != -EPIPE) {
			log_error("can't write to stdout: %s", strerror(-ret));
			s->write_failed = true;
		}
		s->stdout_closed = true;
		s->stop = true;
	}
}

/* Renders /metrics: at start, then when a scrape finds newer figures than the page. */
static void publish_metrics(struct stream *s, const struct agent_stats *stats)
{
	size_t len;

	strbuf_reset(&s->page);
	prom_format(&s->page, agent_aggregate(s->ms), stats, &s->prom);
	if (s->page.failed) {
		log_error("/metrics: out of memory; serving the previous page");
		return;
	}
	len = s->page.len;
	http_server__publish(s->server, &s->page);
	/*
	 * s->page is now the previous page's buffer: sized for its largest page
	 * (a churn of short-lived cgroups until their tombstones expire), it
	 * would keep that memory resident. Let it go when the page has shrunk.
	 */
	if (s->page.cap > 4 * len + 65536) {
		strbuf_free(&s->page);
		s->trim = true;
	}
}

/*
 * Freed heap below live allocations stays resident: after a burst of cgroups
 * RSS would stay at its peak. Hand it back, as the loader does after BTF,
 * when the aggregate or a page buffer let go of enough (malloc_trim walks
 * the heap: not every interval).
 */
static void trim_heap(struct stream *s)
{
	unsigned int tracked = aggregate__count(agent_aggregate(s->ms));

	if (tracked > s->tracked_high)
		s->tracked_high = tracked;
	if (s->tracked_high - tracked >= TRIM_AFTER_CGROUPS)
		s->trim = true;
	if (!s->trim)
		return;
	malloc_trim(0);
	s->tracked_high = tracked;
	s->trim = false;
}

static void on_event(const struct memsight_event *ev, void *ctx)
{
	struct stream *s = ctx;
	const struct agent_stats *stats;

	if (!s->view) {
		jsonw_reset(&s->line);
		if (!agent_event_format(ev, &s->line))
			emit_line(s, &s->line);
	}
	/* A kill is on the next scrape's page, not the next interval's. */
	if (ev->type == MEMSIGHT_EVENT_OOM_KILL && s->server)
		http_server__mark_dirty(s->server);
	if (ev->type != MEMSIGHT_EVENT_AGENT_STATS)
		return;
	stats = agent_event_agent_stats(ev);
	s->last_agent = *stats;
	if (s->server) {
		http_server__mark_dirty(s->server);
		http_server__heartbeat(s->server);
	}
	trim_heap(s);
	if (s->view && !s->view->on_interval(s->view->ctx, agent_aggregate(s->ms), stats))
		s->stop = true;
}

static int watch(int epfd, int fd, uint32_t events, enum wake_source source)
{
	struct epoll_event ev = { .events = events, .data.u32 = source };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* Reads one queued signal; returns its number (0 when none). */
static int drain_signal(int fd)
{
	struct signalfd_siginfo info;

	if (read(fd, &info, sizeof(info)) != sizeof(info))
		return 0;
	return (int)info.ssi_signo;
}

/*
 * Starts the HTTP server for `run`: up before the slow load, so probes get "not
 * ready". It says where it serves once ready (server_ready).
 */
static int start_server(struct stream *s)
{
	uint64_t stall_ns = 5 * s->env->interval_ns;
	char err[512];

	if (stall_ns < 10000000000ULL)
		stall_ns = 10000000000ULL;
	s->server = http_server__start(s->env->listen_host, s->env->listen_port, stall_ns, err,
				       sizeof(err));
	if (!s->server) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

static void server_ready(struct stream *s)
{
	const struct loader_report *report = agent_report(s->ms);
	struct agent_stats none = {};

	for (unsigned int i = 0; i < report->hook_count && i < LOADER_HOOKS_MAX; i++)
		s->hooks[i] = (struct prom_hook){ report->hooks[i].feature, report->hooks[i].hook };
	s->prom = (struct prom_context){
		.version = MEMSIGHT_VERSION,
		.start_realtime_ns = clock_realtime_ns(),
		.hooks = s->hooks,
		.hook_count = report->hook_count,
	};
	publish_metrics(s, &none);
	http_server__set_ready(s->server, true);
	/* Only now: the line means ready, so errors of the load (--pin) come before it. */
	log_info("serving http://%s/metrics, /healthz and /readyz",
		 http_server__address(s->server));
}

int stream_run(const struct env *env)
{
	return stream_run_view(env, NULL);
}

int stream_run_view(const struct env *env, const struct stream_view *view)
{
	struct stream s = { .env = env, .view = view };
	int epfd = -1, duration_fd = -1, signal_fd = -1;
	int status = 1, ret;
	uint64_t received, lost, malformed;
	char err[512];
	sigset_t signals;

	/* Queue stop signals from the start so a SIGTERM during load still exits 0. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	if (view)
		sigaddset(&signals, SIGWINCH); /* a resize, through the same signalfd */
	sigprocmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	jsonw_init(&s.line);
	strbuf_init(&s.page);

	if (env->command == CMD_RUN && start_server(&s))
		goto out;
	struct agent_config config = {
		.env = env,
		.on_event = on_event,
		.ctx = &s,
		.skip_container_stats = view != NULL,
		.track_all_containers = view != NULL,
		.pin_dir = env->pin_dir,
	};
	s.ms = agent_open(&config, err, sizeof(err));
	if (!s.ms) {
		log_error("%s", err);
		goto out;
	}
	/* Asked for and not served: say so once, the stream goes on without it. */
	for (unsigned int i = 0; i < agent_report(s.ms)->hook_count; i++) {
		const struct hook_report *h = &agent_report(s.ms)->hooks[i];

		if (env->fault_samples && !strcmp(h->feature, "fault_samples") && !h->hook)
			log_error("--fault-samples: not available here: %s", h->reason);
	}
	if (env->pin_dir)
		log_info("pinned the event ring buffer and the counting maps in %s; OOM kills "
			 "and fault samples go to whoever reads %s/events",
			 env->pin_dir, env->pin_dir);
	if (s.server)
		server_ready(&s);
	log_debug("attached in %.1f ms; oom_kill via %s", agent_report(s.ms)->attach_ms,
		  agent_report(s.ms)->hooks[0].hook);

	epfd = epoll_create1(EPOLL_CLOEXEC);
	signal_fd = signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
	if (epfd < 0 || signal_fd < 0 || watch(epfd, memsight_fd(s.ms), EPOLLIN, WAKE_AGENT) ||
	    watch(epfd, signal_fd, EPOLLIN, WAKE_SIGNAL)) {
		log_error("can't set up the event loop: %s", strerror(errno));
		goto out;
	}
	if (env->duration_ns) {
		struct itimerspec once = {
			.it_value = { (time_t)(env->duration_ns / 1000000000ULL),
				      (long)(env->duration_ns % 1000000000ULL) },
		};

		duration_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (duration_fd < 0 || watch(epfd, duration_fd, EPOLLIN, WAKE_DURATION) ||
		    timerfd_settime(duration_fd, 0, &once, NULL)) {
			log_error("can't set up --duration: %s", strerror(errno));
			goto out;
		}
	}
	/*
	 * A pipe reports EPOLLERR once its reader is gone, so `memsight | head`
	 * ends at once instead of at the next write. Files and ttys can't be
	 * watched and needn't be.
	 */
	if (s.server && watch(epfd, http_server__render_fd(s.server), EPOLLIN, WAKE_RENDER)) {
		log_error("can't set up the event loop: %s", strerror(errno));
		goto out;
	}
	if (!view)
		watch(epfd, STDOUT_FILENO, 0, WAKE_STDOUT);
	else if (view->input_fd >= 0 && watch(epfd, view->input_fd, EPOLLIN, WAKE_INPUT)) {
		log_error("can't watch the keyboard: %s", strerror(errno));
		goto out;
	}

	status = 0;
	while (!s.stop) {
		struct epoll_event events[8];
		int n = epoll_wait(epfd, events, 8, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("epoll_wait: %s", strerror(errno));
			status = 1;
			break;
		}
		for (int i = 0; i < n && !s.stop; i++) {
			switch (events[i].data.u32) {
			case WAKE_AGENT:
				ret = memsight_poll(s.ms, 0);
				if (ret < 0 && ret != -EINTR) {
					log_error("can't read the ring buffer: %s", strerror(-ret));
					status = 1;
					s.stop = true;
				}
				break;
			case WAKE_DURATION:
				s.stop = true;
				break;
			case WAKE_SIGNAL:
				if (drain_signal(signal_fd) == SIGWINCH) {
					if (view && view->on_resize)
						view->on_resize(view->ctx, agent_aggregate(s.ms));
					break;
				}
				/* A second Ctrl-C during teardown ends the process at once. */
				sigprocmask(SIG_UNBLOCK, &signals, NULL);
				s.stop = true;
				break;
			case WAKE_STDOUT:
				s.stdout_closed = true;
				s.stop = true;
				break;
			case WAKE_INPUT:
				if (!view->on_input(view->ctx, agent_aggregate(s.ms)))
					s.stop = true;
				break;
			case WAKE_RENDER:
				if (http_server__render_wanted(s.server))
					publish_metrics(&s, &s.last_agent);
				break;
			}
		}
	}
	/* Records already in the ring buffer are delivered before exit. */
	agent_drain(s.ms);
	if (s.write_failed)
		status = 1;
	agent_totals(s.ms, &received, &lost, &malformed);
	/* A reader that went away (`| head`) is a normal end, not news; a view says nothing. */
	if (!s.stdout_closed && !view)
		log_info("stopped: %llu records received, %llu lost (ring buffer full), %llu "
			 "malformed",
			 (unsigned long long)received, (unsigned long long)lost,
			 (unsigned long long)malformed);
out:
	http_server__stop(s.server);
	memsight_close(s.ms);
	strbuf_free(&s.page);
	jsonw_free(&s.line);
	if (epfd >= 0)
		close(epfd);
	if (duration_fd >= 0)
		close(duration_fd);
	if (signal_fd >= 0)
		close(signal_fd);
	return status;
}
