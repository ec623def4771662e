/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_STREAM_H
#define MEMSIGHT_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"

struct aggregate;
struct memsight_agent_stats;

/*
 * A view shows the agent's figures instead of the JSON lines: `memsight top`.
 * It runs inside the agent's loop, so it never misses an interval or a kill.
 */
struct stream_view {
	void *ctx;
	int input_fd; /* watched for reading (the keyboard); -1: none */
	/* Once per interval, with the figures in agg. Returns false to stop. */
	bool (*on_interval)(void *ctx, struct aggregate *agg,
			    const struct memsight_agent_stats *agent);
	/* input_fd is readable. Returns false to stop. */
	bool (*on_input)(void *ctx, struct aggregate *agg);
	/* The terminal was resized (SIGWINCH). */
	void (*on_resize)(void *ctx, struct aggregate *agg);
};

/* `memsight stream` and `run`: JSON lines on stdout until stopped. Returns the exit status. */
int stream_run(const struct env *env);

/*
 * The same loop feeding a view: no JSON lines; every container known is in
 * the aggregate, idle or not, and its usage and limit are read every interval.
 */
int stream_run_view(const struct env *env, const struct stream_view *view);

/*
 * Writes all of buf to stdout with write(2), waiting for room when stdout is
 * non-blocking and full. 0, or -errno (-EPIPE: the reader went away).
 */
int stream_write_stdout(const char *buf, size_t len);

#endif
