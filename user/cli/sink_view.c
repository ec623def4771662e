// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The view sink: a stream_view (`top`) shown from the aggregate once per interval. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>

#include "log.h"
#include "sinks.h"
#include "stream.h"

static void key_pressed(struct run *run, void *ctx)
{
	const struct stream_view *view = ctx;

	if (!view->on_input(view->ctx, run_aggregate(run)))
		run_stop(run, false);
}

static int view_start(struct run *run, void **state)
{
	const struct stream_view *view = run_view(run);

	*state = NULL;
	if (view->input_fd >= 0 &&
	    run_watch(run, view->input_fd, EPOLLIN, key_pressed, (void *)view)) {
		log_error("can't watch the keyboard: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void view_tune(struct agent_opts *opts)
{
	/* every container, idle or not; the most faulting processes only the JSON line shows */
	opts->idle_containers = true;
	opts->skip_fault_top = true;
}

static void view_on_event(struct run *run, void *state, const struct memsight_event *ev)
{
	const struct stream_view *view = run_view(run);

	if (ev->type == MEMSIGHT_EVENT_AGENT_STATS &&
	    !view->on_interval(view->ctx, run_aggregate(run), &ev->agent_stats))
		run_stop(run, false);
}

static void view_stop(void *state)
{
}

const struct sink_ops view_sink = {
	.name = "view",
	.start = view_start,
	.tune = view_tune,
	.on_event = view_on_event,
	.stop = view_stop,
};
