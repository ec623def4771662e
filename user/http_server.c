// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http_server.h"
#include "log.h"
#include "self_stats.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct http_server {
	struct MHD_Daemon *daemon;
	int listen_fd;
	char address[96];
	uint64_t stall_ns;
	pthread_mutex_t lock; /* guards page */
	struct strbuf page;
	bool published;
	atomic_uint_fast64_t heartbeat_ns;
	atomic_bool ready;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status,
			     const char *content_type, char *body, size_t len, bool owned)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!resp) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned int status, const char *fmt,
				  ...) __attribute__((format(printf, 3, 4)));

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned int status, const char *fmt,
				  ...)
{
	char *body = NULL;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&body, fmt, ap);
	va_end(ap);
	if (len < 0)
		return MHD_NO;
	return reply(conn, status, "text/plain; charset=utf-8", body, (size_t)len, true);
}

static enum MHD_Result serve_metrics(struct http_server *server, struct MHD_Connection *conn)
{
	char *copy = NULL;
	size_t len = 0;

	/* Copied under the lock: the main loop may publish a new page meanwhile. */
	pthread_mutex_lock(&server->lock);
	if (server->published) {
		len = server->page.len;
		copy = malloc(len ? len : 1);
		if (copy && len)
			memcpy(copy, server->page.buf, len);
	}
	pthread_mutex_unlock(&server->lock);
	if (!server->published)
		return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "no figures yet: memsight is starting\n");
	if (!copy)
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	return reply(conn, MHD_HTTP_OK, METRICS_CONTENT_TYPE, copy, len, true);
}

static enum MHD_Result serve_healthz(struct http_server *server, struct MHD_Connection *conn)
{
	uint64_t age = clock_monotonic_ns() - atomic_load(&server->heartbeat_ns);

	if (age > server->stall_ns)
		return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "unhealthy: the main loop last turned %.1f s ago\n",
				  (double)age / 1e9);
	return reply_text(conn, MHD_HTTP_OK, "ok\n");
}

static enum MHD_Result serve_readyz(struct http_server *server, struct MHD_Connection *conn)
{
	if (!atomic_load(&server->ready))
		return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "not ready: BPF programs not attached yet\n");
	return reply_text(conn, MHD_HTTP_OK, "ready\n");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct http_server *server = cls;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "method not allowed: use GET or HEAD\n");
	if (!strcmp(url, "/metrics"))
		return serve_metrics(server, conn);
	if (!strcmp(url, "/healthz"))
		return serve_healthz(server, conn);
	if (!strcmp(url, "/readyz"))
		return serve_readyz(server, conn);
	if (!strcmp(url, "/"))
		return reply_text(conn, MHD_HTTP_OK,
				  "memsight\n\n/metrics  Prometheus metrics\n"
				  "/healthz  liveness: the main loop turns\n"
				  "/readyz   readiness: the BPF programs are attached\n");
	return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics, /healthz, /readyz\n");
}

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("http: %s", msg);
}

/* Binds the socket here rather than in libmicrohttpd, to report bind errors precisely. */
static int open_listener(struct http_server *server, const char *host, uint16_t port, char *err,
			 size_t err_len)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	struct sockaddr_storage bound;
	socklen_t bound_len = sizeof(bound);
	char port_text[8], ip[INET6_ADDRSTRLEN];
	int fd, ret, one = 1;

	snprintf(port_text, sizeof(port_text), "%u", port);
	ret = getaddrinfo(host, port_text, &hints, &res);
	if (ret) {
		snprintf(err, err_len, "--listen: can't resolve '%s': %s", host, gai_strerror(ret));
		return -EINVAL;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 64) ||
	    getsockname(fd, (struct sockaddr *)&bound, &bound_len)) {
		ret = -errno;
		snprintf(err, err_len, "can't listen on %s:%u: %s", host, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return ret;
	}
	freeaddrinfo(res);
	if (bound.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&bound;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(server->address, sizeof(server->address), "[%s]:%u", ip,
			 ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&bound;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(server->address, sizeof(server->address), "%s:%u", ip, ntohs(a->sin_port));
	}
	server->listen_fd = fd;
	return 0;
}

struct http_server *http_server__start(const char *host, uint16_t port, uint64_t stall_ns,
				       char *err, size_t err_len)
{
	struct http_server *server = calloc(1, sizeof(*server));

	if (!server) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	server->listen_fd = -1;
	server->stall_ns = stall_ns;
	pthread_mutex_init(&server->lock, NULL);
	strbuf_init(&server->page);
	atomic_store(&server->heartbeat_ns, clock_monotonic_ns());
	if (open_listener(server, host, port, err, err_len)) {
		http_server__stop(server);
		return NULL;
	}
	/* Scrapes are small and few: one thread, a cap on connections, short timeouts. */
	server->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG, 0, NULL, NULL,
		on_request, server, MHD_OPTION_LISTEN_SOCKET, server->listen_fd,
		MHD_OPTION_CONNECTION_LIMIT, 32U, MHD_OPTION_CONNECTION_TIMEOUT, 15U,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
	if (!server->daemon) {
		snprintf(err, err_len, "can't start the HTTP server on %s", server->address);
		http_server__stop(server);
		return NULL;
	}
	server->listen_fd = -1; /* the daemon owns and closes it now */
	return server;
}

void http_server__stop(struct http_server *server)
{
	if (!server)
		return;
	if (server->daemon)
		MHD_stop_daemon(server->daemon);
	if (server->listen_fd >= 0)
		close(server->listen_fd);
	strbuf_free(&server->page);
	pthread_mutex_destroy(&server->lock);
	free(server);
}

const char *http_server__address(const struct http_server *server)
{
	return server->address;
}

void http_server__publish(struct http_server *server, struct strbuf *page)
{
	struct strbuf old;

	pthread_mutex_lock(&server->lock);
	old = server->page;
	server->page = *page;
	server->published = true;
	pthread_mutex_unlock(&server->lock);
	*page = old;
	strbuf_reset(page);
}

void http_server__heartbeat(struct http_server *server)
{
	atomic_store(&server->heartbeat_ns, clock_monotonic_ns());
}

void http_server__set_ready(struct http_server *server, bool ready)
{
	atomic_store(&server->ready, ready);
}
