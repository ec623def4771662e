/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_HTTP_SERVER_H
#define MEMSIGHT_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/*
 * `memsight run`'s HTTP/1.1 endpoints, served on a thread of their own (one epoll
 * loop for every connection; requests parsed by http_request.h):
 *   /metrics  the last page the main loop published, rendered for a scrape that
 *             finds newer figures (it waits for it at most 250 ms)
 *   /healthz  200 while the main loop's heartbeat is recent, else 503
 *   /readyz   200 once the agent says it is ready (programs attached), else 503
 */

struct http_server;

/*
 * Binds and listens on host:port (port 0: any free port), so that a taken
 * port fails before the slow start-up; connections wait in the socket's
 * backlog until http_server__serve(). stall_ns: how old a heartbeat may get
 * before /healthz fails. NULL with a one-line reason in err.
 */
struct http_server *http_server__open(const char *host, uint16_t port, uint64_t stall_ns, char *err,
				      size_t err_len);
/*
 * Starts the server's thread: it answers from now on, the waiting connections first.
 * 0, or a negative errno with a one-line reason in err.
 */
int http_server__serve(struct http_server *server, char *err, size_t err_len);
void http_server__stop(struct http_server *server);

/* The address actually bound, e.g. "127.0.0.1:9464" or "[::1]:9464". */
const char *http_server__address(const struct http_server *server);

/*
 * The text becomes the /metrics body, until the next; text gets the old
 * page's buffer to reuse when no response is sending it any more, else an
 * empty one. 0, or -ENOMEM with text left as it was.
 */
int http_server__publish(struct http_server *server, struct strbuf *text);
void http_server__heartbeat(struct http_server *server);
/* Newer figures than the page's: the next scrape asks for a render. */
void http_server__mark_dirty(struct http_server *server);
/*
 * Readable when a scrape asks for a render; render_wanted() takes the asks,
 * true when the page is still older than the figures.
 */
int http_server__render_fd(const struct http_server *server);
bool http_server__render_wanted(struct http_server *server);
void http_server__set_ready(struct http_server *server, bool ready);

#endif
