// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The JSON lines sink: each contract event as one line on stdout. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "event_json.h"
#include "log.h"
#include "sinks.h"
#include "stream.h"

struct json_sink {
	struct jsonw line;
	bool stdout_closed;
};

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

/* A pipe reports EPOLLERR once its reader is gone: `memsight | head` ends at once. */
static void reader_gone(struct run *run, void *ctx)
{
	struct json_sink *j = ctx;

	j->stdout_closed = true;
	run_stop(run, false);
}

static int json_start(struct run *run, void **state)
{
	struct json_sink *j = calloc(1, sizeof(*j));

	if (!j) {
		log_error("can't start: %s", strerror(ENOMEM));
		return -1;
	}
	*state = j;
	jsonw_init(&j->line);
	/* Files and ttys can't be watched and needn't be. */
	run_watch(run, STDOUT_FILENO, 0, reader_gone, j);
	return 0;
}

/* Writes one whole line; a reader that went away ends the stream quietly. */
static void json_on_event(struct run *run, void *state, const struct memsight_event *ev)
{
	struct json_sink *j = state;
	struct jsonw *w = &j->line;
	int ret;

	/* Lifecycle events feed the other sinks; they are no line of the contract. */
	if (j->stdout_closed || ev->type == MEMSIGHT_EVENT_CGROUP || event_json(w, ev) == -EINVAL)
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
	if (!ret)
		return;
	/* A reader that left is a normal end; any other write error loses data. */
	if (ret != -EPIPE)
		log_error("can't write to stdout: %s", strerror(-ret));
	j->stdout_closed = true;
	run_stop(run, ret != -EPIPE);
}

static void json_finish(struct run *run, void *state)
{
	struct json_sink *j = state;
	uint64_t received, lost, malformed;

	/* A reader that went away (`| head`) is a normal end, not news. */
	if (j->stdout_closed || !run_agent(run))
		return;
	agent_totals(run_agent(run), &received, &lost, &malformed);
	log_info("stopped: %llu records received, %llu lost (ring buffer full), %llu malformed",
		 (unsigned long long)received, (unsigned long long)lost,
		 (unsigned long long)malformed);
}

static void json_stop(void *state)
{
	struct json_sink *j = state;

	if (!j)
		return;
	jsonw_free(&j->line);
	free(j);
}

const struct sink_ops json_sink = {
	.name = "json",
	.start = json_start,
	.on_event = json_on_event,
	.finish = json_finish,
	.stop = json_stop,
};
