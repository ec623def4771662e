// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The CLI's run loop on top of the agent (libmemsight): one loop for
 * `stream`, `run` and `top`, feeding the sinks each command registers
 * (sinks.h). The loop also watches signals and --duration.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sinks.h"
#include "stream.h"

#define RUN_WATCHES_MAX 8
#define RUN_SINKS_MAX	4

/* Which sinks each kind of run feeds, in order: the aggregate before those that read it. */
static const struct sink_ops *const stream_sinks[] = { &json_sink, NULL };
static const struct sink_ops *const daemon_sinks[] = { &json_sink, &aggregate_sink, &metrics_sink,
						       NULL };
static const struct sink_ops *const view_sinks[] = { &aggregate_sink, &view_sink, NULL };

struct run_watch {
	run_wake_fn fn;
	void *ctx;
};

struct run {
	const struct env *env;
	const struct stream_view *view; /* `top`: no JSON lines then */
	struct memsight *ms;
	struct aggregate *agg;
	run_refresh_fn refresh_idle;
	void *refresh_ctx;
	int epfd, signal_fd, duration_fd;
	sigset_t signals;
	struct run_watch watches[RUN_WATCHES_MAX];
	unsigned int watch_count;
	const struct sink_ops *const *sinks;
	void *states[RUN_SINKS_MAX];
	unsigned int sink_count; /* started (or tried to) */
	bool stop;
	int status;
};

const struct env *run_env(const struct run *run)
{
	return run->env;
}

struct memsight *run_agent(const struct run *run)
{
	return run->ms;
}

const struct stream_view *run_view(const struct run *run)
{
	return run->view;
}

struct aggregate *run_aggregate(const struct run *run)
{
	return run->agg;
}

void run_set_aggregate(struct run *run, struct aggregate *agg, run_refresh_fn refresh_idle,
		       void *ctx)
{
	run->agg = agg;
	run->refresh_idle = refresh_idle;
	run->refresh_ctx = ctx;
}

unsigned int run_refresh_idle(struct run *run, bool soon)
{
	return run->refresh_idle ? run->refresh_idle(run->refresh_ctx, soon) : 0;
}

int run_watch(struct run *run, int fd, uint32_t events, run_wake_fn fn, void *ctx)
{
	struct epoll_event ev = { .events = events, .data.u32 = run->watch_count };

	if (run->watch_count == RUN_WATCHES_MAX)
		return -ENOSPC;
	if (epoll_ctl(run->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	run->watches[run->watch_count++] = (struct run_watch){ fn, ctx };
	return 0;
}

void run_stop(struct run *run, bool failed)
{
	run->stop = true;
	if (failed)
		run->status = 1;
}

static void on_event(const struct memsight_event *ev, void *ctx)
{
	struct run *run = ctx;

	for (unsigned int i = 0; i < run->sink_count; i++)
		run->sinks[i]->on_event(run, run->states[i], ev);
}

static void agent_ready(struct run *run, void *ctx)
{
	int ret = memsight_poll(run->ms, 0);

	if (ret < 0 && ret != -EINTR) {
		log_error("can't read the ring buffer: %s", strerror(-ret));
		run_stop(run, true);
	}
}

static void duration_over(struct run *run, void *ctx)
{
	run_stop(run, false);
}

static void on_signal(struct run *run, void *ctx)
{
	struct signalfd_siginfo info;

	if (read(run->signal_fd, &info, sizeof(info)) != sizeof(info))
		return;
	if (info.ssi_signo == SIGWINCH) {
		if (run->view && run->view->on_resize)
			run->view->on_resize(run->view->ctx, run->agg);
		return;
	}
	/* A second Ctrl-C during teardown ends the process at once. */
	sigprocmask(SIG_UNBLOCK, &run->signals, NULL);
	run_stop(run, false);
}

/* Stop signals queue from the start, so a SIGTERM during the load still exits 0. */
static int watch_signals(struct run *run)
{
	sigemptyset(&run->signals);
	sigaddset(&run->signals, SIGINT);
	sigaddset(&run->signals, SIGTERM);
	if (run->view)
		sigaddset(&run->signals, SIGWINCH); /* a resize, through the same signalfd */
	sigprocmask(SIG_BLOCK, &run->signals, NULL);
	signal(SIGPIPE, SIG_IGN);
	run->epfd = epoll_create1(EPOLL_CLOEXEC);
	run->signal_fd = signalfd(-1, &run->signals, SFD_CLOEXEC | SFD_NONBLOCK);
	if (run->epfd < 0 || run->signal_fd < 0 ||
	    run_watch(run, run->signal_fd, EPOLLIN, on_signal, NULL)) {
		log_error("can't set up the event loop: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int watch_duration(struct run *run)
{
	uint64_t ns = run->env->duration_ns;
	struct itimerspec once = {
		.it_value = { (time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL) },
	};

	if (!ns)
		return 0;
	run->duration_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (run->duration_fd < 0 ||
	    run_watch(run, run->duration_fd, EPOLLIN, duration_over, NULL) ||
	    timerfd_settime(run->duration_fd, 0, &once, NULL)) {
		log_error("can't set up --duration: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The CLI's settings as the agent's, and what each sink needs of it. */
static void agent_opts_from_env(const struct run *run, struct agent_opts *opts,
				struct runtime_roots *roots)
{
	const struct env *env = run->env;

	cli_runtime_roots(env, roots);
	*opts = (struct agent_opts){
		.sz = sizeof(*opts),
		.interval_ns = env->interval_ns,
		.tombstone_ns = env->tombstone_ns,
		.cgroup_prefix = env->cgroup_prefix,
		.node = env->node,
		.btf_path = env->btf_path,
		.oom_hook = env->oom_hook,
		.fault_hook = env->fault_hook,
		.charge_hook = env->charge_hook,
		.fault_samples = env->fault_samples,
		.oom_risk_horizon_ns = env->oom_risk_horizon_ns,
		.leak_window_ns = env->leak_window_ns,
		.bpf_stats = env->bpf_stats,
		.roots = roots,
		.pin_dir = env->pin_dir,
		.on_event = on_event,
		.ctx = (void *)run,
	};
	for (unsigned int i = 0; run->sinks[i]; i++)
		if (run->sinks[i]->tune)
			run->sinks[i]->tune(opts);
}

/* Loads the agent and says what of the asked for it could not serve. */
static int open_agent(struct run *run)
{
	const struct env *env = run->env;
	const struct loader_report *report;
	struct agent_opts opts;
	struct runtime_roots roots;
	char err[512];

	agent_opts_from_env(run, &opts, &roots);
	run->ms = agent_open(&opts, err, sizeof(err));
	if (!run->ms) {
		log_error("%s", err);
		return -1;
	}
	report = agent_report(run->ms);
	/* Asked for and not served: say so once, the stream goes on without it. */
	for (unsigned int i = 0; i < report->hook_count; i++)
		if (env->fault_samples && !strcmp(report->hooks[i].feature, "fault_samples") &&
		    !report->hooks[i].hook)
			log_error("--fault-samples: not available here: %s",
				  report->hooks[i].reason);
	if (env->pin_dir)
		log_info("pinned the event ring buffer and the counting maps in %s; OOM kills "
			 "and fault samples go to whoever reads %s/events",
			 env->pin_dir, env->pin_dir);
	log_debug("attached in %.1f ms; oom_kill via %s", report->attach_ms, report->hooks[0].hook);
	for (unsigned int i = 0; i < report->hook_count; i++)
		if (!strcmp(report->hooks[i].feature, "gauges"))
			log_debug("usage and limit via %s (%s)", report->hooks[i].hook,
				  report->hooks[i].reason);
	return run_watch(run, memsight_fd(run->ms), EPOLLIN, agent_ready, NULL);
}

/* Starts the sinks, the agent, then tells the sinks it is up. */
static int start(struct run *run)
{
	for (; run->sinks[run->sink_count]; run->sink_count++)
		if (run->sinks[run->sink_count]->start(run, &run->states[run->sink_count])) {
			run->sink_count++; /* stopped too: it may hold half its state */
			return -1;
		}
	if (open_agent(run))
		return -1;
	for (unsigned int i = 0; i < run->sink_count; i++)
		if (run->sinks[i]->ready && run->sinks[i]->ready(run, run->states[i]))
			return -1;
	return watch_duration(run);
}

static void loop(struct run *run)
{
	while (!run->stop) {
		struct epoll_event events[8];
		int n = epoll_wait(run->epfd, events, 8, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_error("epoll_wait: %s", strerror(errno));
			run_stop(run, true);
			break;
		}
		for (int i = 0; i < n && !run->stop; i++) {
			const struct run_watch *w = &run->watches[events[i].data.u32];

			w->fn(run, w->ctx);
		}
	}
	/* Records already in the ring buffer are delivered before exit. */
	agent_drain(run->ms);
	for (unsigned int i = 0; i < run->sink_count; i++)
		if (run->sinks[i]->finish)
			run->sinks[i]->finish(run, run->states[i]);
}

int stream_run(const struct env *env)
{
	return stream_run_view(env, NULL);
}

int stream_run_view(const struct env *env, const struct stream_view *view)
{
	struct run run = {
		.env = env,
		.view = view,
		.epfd = -1,
		.signal_fd = -1,
		.duration_fd = -1,
		.sinks = view			   ? view_sinks
			 : env->command == CMD_RUN ? daemon_sinks
						   : stream_sinks,
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!watch_signals(&run) && !start(&run))
		loop(&run);
	else
		run.status = 1;
	memsight_close(run.ms);
	for (unsigned int i = run.sink_count; i-- > 0;)
		run.sinks[i]->stop(run.states[i]);
	if (run.epfd >= 0)
		close(run.epfd);
	if (run.signal_fd >= 0)
		close(run.signal_fd);
	if (run.duration_fd >= 0)
		close(run.duration_fd);
	return run.status;
}
