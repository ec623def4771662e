// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "file_limit.h"
#include "http_server.h"
#include "log.h"
#include "mhd_lib.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The page is sent by reference: a response that calls back when done with it. */
#if MHD_VERSION < 0x00097302
#error "libmicrohttpd 0.9.73 or later is needed (MHD_create_response_from_buffer_with_free_callback_cls)"
#endif

/*
 * Slowloris: a client that sends a header every few seconds never lets
 * libmicrohttpd's idle timeout fire (every byte resets it), so 32 of them held
 * every slot and the kubelet's probes failed. What protects, even when the
 * attacker shares the probes' address (hostNetwork pods, loopback):
 *   - an exchange deadline: a connection must have sent a whole request and
 *     received its response within EXCHANGE_DEADLINE_S of its accept or of its
 *     previous response, or it is shut down, trickling or not. libmicrohttpd
 *     has no such option, so the reaper thread below enforces it; a kubelet
 *     probe (1 s timeout) or a Prometheus scrape (10 s by default) needs far less;
 *   - slots to spare: CONNECTION_SLOTS, so that holding them all takes hundreds
 *     of sockets renewed every few seconds, not 32 idle ones;
 *   - a per-address cap (PER_IP_SLOTS, a quarter of the slots): one pod can't
 *     take them all. It can't tell the kubelet from a pod on the node's
 *     address, hence the deadline and the spare slots above.
 * One polling thread (epoll) serves every connection: a slow client costs a
 * socket and a memory pool, never a thread, as thread-per-connection would.
 */
#define EXCHANGE_DEADLINE_S 10U
#define CONNECTION_SLOTS    512U
#define PER_IP_SLOTS	    (CONNECTION_SLOTS / 4)

/* libmicrohttpd's functions, loaded by http_server__serve(). */
static const struct mhd_lib *mhd;

/*
 * A published /metrics page, never changed once published: the responses
 * that send it hold a reference each, so a scrape takes no copy of it and a
 * page published meanwhile frees it only once the last of them is done.
 */
struct http_page {
	atomic_uint refs; /* the server's while it is the page, one per response sending it */
	struct strbuf text;
};

/* An accepted connection, tracked for the exchange deadline. */
struct http_conn {
	struct http_conn *prev, *next;
	int fd;
	bool shut;
	uint64_t deadline_ns;
};

struct http_server {
	struct MHD_Daemon *daemon;
	int listen_fd;
	char address[96];
	uint64_t stall_ns;
	pthread_mutex_t lock; /* guards page, dirty, generation; held only to read or swap them */
	pthread_cond_t rendered;
	struct http_page *page; /* NULL until the first is published */
	bool dirty;		/* newer figures than the page's: render on the next scrape */
	uint64_t generation;	/* pages published */
	int render_fd;		/* eventfd: a scrape asks the main loop for a page */
	atomic_uint_fast64_t heartbeat_ns;
	atomic_bool ready;
	/* the reaper: shuts down connections past their deadline */
	pthread_mutex_t conns_lock; /* guards conns, stopping; held while an fd is shut down */
	pthread_cond_t reaper_wake;
	struct http_conn *conns;
	bool stopping;
	bool reaper_idle; /* waiting with no deadline: a new connection must wake it */
	bool reaper_started;
	pthread_t reaper;
};

/* Sends resp (NULL: out of memory, the connection closes) and lets it go. */
static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status,
			     const char *content_type, struct MHD_Response *resp)
{
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	mhd->add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	mhd->add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		mhd->add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = mhd->queue_response(conn, status, resp);
	mhd->destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned int status, const char *fmt,
				  ...) __attribute__((format(printf, 3, 4)));

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned int status, const char *fmt,
				  ...)
{
	struct MHD_Response *resp;
	char *body = NULL;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&body, fmt, ap);
	va_end(ap);
	if (len < 0)
		return MHD_NO;
	resp = mhd->create_response_from_buffer((size_t)len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp)
		free(body);
	return reply(conn, status, "text/plain; charset=utf-8", resp);
}

/*
 * /metrics is rendered when scraped, not every interval: no CPU for a page
 * nobody reads. The threads: the main loop owns the aggregate (it changes it
 * with every event) and is the only one to render, so nothing of the
 * aggregate is shared or locked. A scrape, on libmicrohttpd's thread, that
 * finds newer figures than the page's (dirty: a new interval, an OOM kill)
 * asks the main loop for a page through render_fd and waits for it at most
 * RENDER_WAIT_MS; a stalled agent then still gets its last page served, not
 * a hung scrape. Further scrapes, until the next figures, are served that
 * page: two Prometheus servers cost one render. lock is held only to swap the
 * page pointer or take a reference to it, never while rendering or sending,
 * so neither thread waits on the other for longer than that.
 */
#define RENDER_WAIT_MS 250

static void page_release(void *cls)
{
	struct http_page *page = cls;

	if (atomic_fetch_sub(&page->refs, 1) == 1) {
		strbuf_free(&page->text);
		free(page);
	}
}

static void wait_for_render(struct http_server *server)
{
	uint64_t generation = server->generation;
	struct timespec until;

	if (eventfd_write(server->render_fd, 1))
		return;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += RENDER_WAIT_MS * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	while (server->generation == generation &&
	       !pthread_cond_timedwait(&server->rendered, &server->lock, &until))
		;
}

static enum MHD_Result serve_metrics(struct http_server *server, struct MHD_Connection *conn)
{
	struct MHD_Response *resp;
	struct http_page *page;

	/* A reference taken under the lock: the main loop may publish a new page meanwhile. */
	pthread_mutex_lock(&server->lock);
	if (server->page && server->dirty)
		wait_for_render(server);
	page = server->page;
	if (page)
		atomic_fetch_add(&page->refs, 1);
	pthread_mutex_unlock(&server->lock);
	if (!page)
		return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "no figures yet: memsight is starting\n");
	resp = mhd->create_response_from_buffer_with_free_callback_cls(
		page->text.len, page->text.buf, page_release, page);
	if (!resp) {
		page_release(page);
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	return reply(conn, MHD_HTTP_OK, METRICS_CONTENT_TYPE, resp);
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

static uint64_t exchange_deadline(void)
{
	return clock_monotonic_ns() + EXCHANGE_DEADLINE_S * 1000000000ULL;
}

/*
 * libmicrohttpd calls this with NOTIFY_CLOSED before it closes the socket, and
 * the entry leaves the list under conns_lock: the reaper, holding that lock,
 * never shuts down an fd that was closed and reused.
 */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http_server *server = cls;
	struct http_conn *c = *socket_context;
	const union MHD_ConnectionInfo *info;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		info = mhd->get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		c = info ? calloc(1, sizeof(*c)) : NULL;
		*socket_context = c;
		if (!c)
			return; /* untracked: only the idle timeout applies */
		c->fd = info->connect_fd;
		c->deadline_ns = exchange_deadline();
		pthread_mutex_lock(&server->conns_lock);
		c->next = server->conns;
		if (c->next)
			c->next->prev = c;
		/*
		 * With no deadline to wait for (no connection, or only ones shut
		 * and not yet closed), the reaper sleeps until one comes; else it
		 * wakes by the earliest, which is earlier than this one's.
		 */
		if (server->reaper_idle)
			pthread_cond_signal(&server->reaper_wake);
		server->conns = c;
		pthread_mutex_unlock(&server->conns_lock);
		return;
	}
	if (!c)
		return;
	pthread_mutex_lock(&server->conns_lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		server->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&server->conns_lock);
	free(c);
	*socket_context = NULL;
}

/* A response went out whole: the connection may keep alive for one more exchange. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode code)
{
	struct http_server *server = cls;
	const union MHD_ConnectionInfo *info;
	struct http_conn *c;

	if (code != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		return;
	info = mhd->get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	c = info ? info->socket_context : NULL;
	if (!c)
		return;
	pthread_mutex_lock(&server->conns_lock);
	c->deadline_ns = exchange_deadline();
	pthread_mutex_unlock(&server->conns_lock);
}

/*
 * At the earliest deadline, shuts down the connections past theirs; with no
 * deadline to wait for (no connection, or only ones shut and not yet closed)
 * it sleeps until one comes (a scrape every 15 s wakes it twice).
 * shutdown(), not close(): the socket stays libmicrohttpd's, which sees the
 * end of the stream at once and closes and forgets the connection itself.
 */
static void *reaper_main(void *arg)
{
	struct http_server *server = arg;
	struct timespec wake;

	pthread_mutex_lock(&server->conns_lock);
	while (!server->stopping) {
		uint64_t now = clock_monotonic_ns(), next = UINT64_MAX;
		unsigned int reaped = 0;

		for (struct http_conn *c = server->conns; c; c = c->next) {
			if (c->shut)
				continue;
			if (now < c->deadline_ns) {
				next = c->deadline_ns < next ? c->deadline_ns : next;
				continue;
			}
			shutdown(c->fd, SHUT_RDWR);
			c->shut = true;
			reaped++;
		}
		if (reaped)
			log_debug("http: closed %u connection%s that sent no whole request in %u s",
				  reaped, reaped == 1 ? "" : "s", EXCHANGE_DEADLINE_S);
		if (next == UINT64_MAX) {
			server->reaper_idle = true;
			pthread_cond_wait(&server->reaper_wake, &server->conns_lock);
			server->reaper_idle = false;
			continue;
		}
		/* a deadline only moves later (on_completed): waking early just looks again */
		wake.tv_sec = (time_t)(next / 1000000000ULL);
		wake.tv_nsec = (long)(next % 1000000000ULL);
		pthread_cond_timedwait(&server->reaper_wake, &server->conns_lock, &wake);
	}
	pthread_mutex_unlock(&server->conns_lock);
	return NULL;
}

static int start_reaper(struct http_server *server)
{
	pthread_condattr_t attr;
	int ret;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	ret = pthread_cond_init(&server->reaper_wake, &attr);
	pthread_condattr_destroy(&attr);
	if (ret)
		return -ret;
	ret = pthread_create(&server->reaper, NULL, reaper_main, server);
	if (ret) {
		pthread_cond_destroy(&server->reaper_wake);
		return -ret;
	}
	server->reaper_started = true;
	return 0;
}

static void stop_reaper(struct http_server *server)
{
	if (!server->reaper_started)
		return;
	pthread_mutex_lock(&server->conns_lock);
	server->stopping = true;
	pthread_cond_signal(&server->reaper_wake);
	pthread_mutex_unlock(&server->conns_lock);
	pthread_join(server->reaper, NULL);
	pthread_cond_destroy(&server->reaper_wake);
	server->reaper_started = false;
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

/* The render wait counts on the monotonic clock: a clock step must not stretch it. */
static void init_rendered_cond(struct http_server *server)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&server->rendered, &attr);
	pthread_condattr_destroy(&attr);
}

struct http_server *http_server__open(const char *host, uint16_t port, uint64_t stall_ns, char *err,
				      size_t err_len)
{
	struct http_server *server = calloc(1, sizeof(*server));

	if (!server) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	server->listen_fd = -1;
	server->render_fd = -1;
	server->stall_ns = stall_ns;
	pthread_mutex_init(&server->lock, NULL);
	init_rendered_cond(server);
	server->render_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (server->render_fd < 0) {
		snprintf(err, err_len, "can't set up the HTTP server: %s", strerror(errno));
		http_server__stop(server);
		return NULL;
	}
	pthread_mutex_init(&server->conns_lock, NULL);
	atomic_store(&server->heartbeat_ns, clock_monotonic_ns());
	/* every slot is a socket: full slots must leave the agent the files it opens itself */
	file_limit_raise();
	if (open_listener(server, host, port, err, err_len)) {
		http_server__stop(server);
		return NULL;
	}
	return server;
}

int http_server__serve(struct http_server *server, char *err, size_t err_len)
{
	int ret;

	mhd = mhd_lib_get(err, err_len);
	if (!mhd)
		return -ENOENT;
	ret = start_reaper(server);
	if (ret) {
		snprintf(err, err_len, "can't start the HTTP server's reaper thread: %s",
			 strerror(-ret));
		return ret;
	}
	/* The idle timeout matches the deadline: a keep-alive connection waits no longer. */
	server->daemon = mhd->start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG, 0, NULL, NULL,
		on_request, server, MHD_OPTION_LISTEN_SOCKET, server->listen_fd,
		MHD_OPTION_CONNECTION_LIMIT, CONNECTION_SLOTS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		PER_IP_SLOTS, MHD_OPTION_CONNECTION_TIMEOUT, EXCHANGE_DEADLINE_S,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, server, MHD_OPTION_NOTIFY_COMPLETED,
		on_completed, server, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
	if (!server->daemon) {
		snprintf(err, err_len, "can't start the HTTP server on %s", server->address);
		return -EIO;
	}
	server->listen_fd = -1; /* the daemon owns and closes it now */
	return 0;
}

void http_server__stop(struct http_server *server)
{
	if (!server)
		return;
	stop_reaper(server);
	/* closes every connection, each through on_connection: the list empties */
	if (server->daemon)
		mhd->stop_daemon(server->daemon);
	if (server->listen_fd >= 0)
		close(server->listen_fd);
	if (server->page)
		page_release(server->page); /* the responses went with the daemon */
	if (server->render_fd >= 0)
		close(server->render_fd);
	pthread_cond_destroy(&server->rendered);
	pthread_mutex_destroy(&server->conns_lock);
	pthread_mutex_destroy(&server->lock);
	free(server);
}

const char *http_server__address(const struct http_server *server)
{
	return server->address;
}

int http_server__publish(struct http_server *server, struct strbuf *text)
{
	struct http_page *page = malloc(sizeof(*page)), *old;

	if (!page)
		return -ENOMEM;
	page->text = *text;
	atomic_init(&page->refs, 1);
	pthread_mutex_lock(&server->lock);
	old = server->page;
	server->page = page;
	server->dirty = false;
	server->generation++;
	pthread_cond_broadcast(&server->rendered);
	pthread_mutex_unlock(&server->lock);
	strbuf_init(text);
	if (!old)
		return 0;
	/* No response sends the old page any more (the usual case): its buffer is text's now. */
	if (atomic_fetch_sub(&old->refs, 1) == 1) {
		*text = old->text;
		strbuf_reset(text);
		free(old);
	}
	return 0;
}

void http_server__mark_dirty(struct http_server *server)
{
	pthread_mutex_lock(&server->lock);
	server->dirty = true;
	pthread_mutex_unlock(&server->lock);
}

int http_server__render_fd(const struct http_server *server)
{
	return server->render_fd;
}

bool http_server__render_wanted(struct http_server *server)
{
	eventfd_t asks;
	bool dirty;

	if (eventfd_read(server->render_fd, &asks))
		return false;
	/* Asks that came while a page was being made for an earlier one want no other. */
	pthread_mutex_lock(&server->lock);
	dirty = server->dirty;
	pthread_mutex_unlock(&server->lock);
	return dirty;
}

void http_server__heartbeat(struct http_server *server)
{
	atomic_store(&server->heartbeat_ns, clock_monotonic_ns());
}

void http_server__set_ready(struct http_server *server, bool ready)
{
	atomic_store(&server->ready, ready);
}
