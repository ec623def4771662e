// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "file_limit.h"
#include "http_conn.h"
#include "http_request.h"
#include "http_server.h"
#include "log.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * Slowloris: a client that sends a header every few seconds never lets an idle
 * timeout fire (every byte resets it); 32 of them once held every slot of the
 * server and the kubelet's probes failed. What protects, even when the attacker
 * shares the probes' address (hostNetwork pods, loopback):
 *   - an exchange deadline: a connection must have sent a whole request and
 *     received its response within EXCHANGE_DEADLINE_S of its accept or of its
 *     previous response, or it is closed, trickling or not; a kubelet probe
 *     (1 s timeout) or a Prometheus scrape (10 s by default) needs far less;
 *   - slots to spare: CONNECTION_SLOTS, so that holding them all takes hundreds
 *     of sockets renewed every few seconds, not 32 idle ones;
 *   - a per-address cap (PER_IP_SLOTS, a quarter of the slots): one pod can't
 *     take them all. It can't tell the kubelet from a pod on the node's
 *     address, hence the deadline and the spare slots above.
 * One thread (epoll) serves every connection: a slow client costs a socket and
 * its request buffer, never a thread.
 */
#define EXCHANGE_DEADLINE_S 10U
#define CONNECTION_SLOTS    512U
#define PER_IP_SLOTS	    (CONNECTION_SLOTS / 4)
/* out of file descriptors: accepting waits this long rather than spin on the backlog */
#define ACCEPT_PAUSE_NS 100000000ULL
/* a closing connection reads what the client still sends, at most this long (see linger) */
#define LINGER_NS 2000000000ULL

/*
 * A published /metrics page, never changed once published: the responses
 * that send it hold a reference each, so a scrape takes no copy of it and a
 * page published meanwhile frees it only once the last of them is done.
 */
struct http_page {
	atomic_uint refs; /* the server's while it is the page, one per response sending it */
	struct strbuf text;
};

struct http_server {
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
	/* the server's thread and what only it touches */
	int epoll_fd;
	int stop_fd; /* eventfd: http_server__stop() ends the thread */
	bool thread_started;
	pthread_t thread;
	struct http_conn *conns;
	unsigned int conn_count;
	uint64_t accept_resume_ns; /* accepting paused until then (0: not paused) */
};

/*
 * /metrics is rendered when scraped, not every interval: no CPU for a page
 * nobody reads. The threads: the main loop owns the aggregate (it changes it
 * with every event) and is the only one to render, so nothing of the
 * aggregate is shared or locked. A scrape, on the server's thread, that
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

static uint64_t exchange_deadline(void)
{
	return clock_monotonic_ns() + EXCHANGE_DEADLINE_S * 1000000000ULL;
}

static void serve_metrics(struct http_server *server, struct http_conn *c, bool head_only)
{
	struct http_page *page;

	/* A reference taken under the lock: the main loop may publish a new page meanwhile. */
	pthread_mutex_lock(&server->lock);
	if (server->page && server->dirty)
		wait_for_render(server);
	page = server->page;
	if (page)
		atomic_fetch_add(&page->refs, 1);
	pthread_mutex_unlock(&server->lock);
	if (!page) {
		http_conn_reply_text(c, head_only, 503, "no figures yet: memsight is starting\n");
		return;
	}
	c->release = page_release;
	c->release_cls = page;
	http_conn_respond(c, head_only, 200, METRICS_CONTENT_TYPE, page->text.buf, page->text.len);
}

static void serve_healthz(struct http_server *server, struct http_conn *c, bool head_only)
{
	uint64_t age = clock_monotonic_ns() - atomic_load(&server->heartbeat_ns);

	if (age > server->stall_ns)
		http_conn_reply_text(c, head_only, 503,
				     "unhealthy: the main loop last turned %.1f s ago\n",
				     (double)age / 1e9);
	else
		http_conn_reply_text(c, head_only, 200, "ok\n");
}

static void serve_readyz(struct http_server *server, struct http_conn *c, bool head_only)
{
	if (!atomic_load(&server->ready))
		http_conn_reply_text(c, head_only, 503,
				     "not ready: BPF programs not attached yet\n");
	else
		http_conn_reply_text(c, head_only, 200, "ready\n");
}

static void answer(struct http_server *server, struct http_conn *c, const struct http_request *req)
{
	bool head_only = req->method == HTTP_HEAD;

	if (req->method == HTTP_OTHER)
		http_conn_reply_text(c, false, 405, "method not allowed: use GET or HEAD\n");
	else if (!strcmp(req->path, "/metrics"))
		serve_metrics(server, c, head_only);
	else if (!strcmp(req->path, "/healthz"))
		serve_healthz(server, c, head_only);
	else if (!strcmp(req->path, "/readyz"))
		serve_readyz(server, c, head_only);
	else if (!strcmp(req->path, "/"))
		http_conn_reply_text(c, head_only, 200,
				     "memsight\n\n/metrics  Prometheus metrics\n"
				     "/healthz  liveness: the main loop turns\n"
				     "/readyz   readiness: the BPF programs are attached\n");
	else
		http_conn_reply_text(c, head_only, 404,
				     "not found: try /metrics, /healthz, /readyz\n");
}

/* A response for the head in c's buffer, if a whole one is there; false if not yet. */
static bool take_request(struct http_server *server, struct http_conn *c)
{
	struct http_request req;
	enum http_parse parsed = http_request_parse(c->in, c->in_len, &req);

	if (parsed == HTTP_PARSE_INCOMPLETE)
		return false;
	if (parsed != HTTP_PARSE_DONE) {
		c->consumed = c->in_len;
		http_conn_refuse(c, parsed);
		return true;
	}
	c->consumed = req.head_len;
	c->close_after = !req.keep_alive;
	answer(server, c, &req);
	return true;
}

static void conn_close(struct http_server *server, struct http_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		server->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	server->conn_count--;
	close(c->fd); /* leaves the epoll set with it */
	http_conn_release_response(c);
	free(c);
}

/* Watches c for reading or for writing, whichever it waits for. */
static bool conn_watch(struct http_server *server, struct http_conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (c->events == events)
		return true;
	if (epoll_ctl(server->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev))
		return false;
	c->events = events;
	return true;
}

/*
 * The last response is out: closed now, with bytes of the client's still
 * unread (the rest of a refused head, a body), the kernel would send a reset
 * that can destroy the response before the client reads it. So the server
 * sends its FIN and reads until the client's, for at most LINGER_NS.
 */
static void linger(struct http_server *server, struct http_conn *c)
{
	uint64_t until = clock_monotonic_ns() + LINGER_NS;

	if (shutdown(c->fd, SHUT_WR) || !conn_watch(server, c, EPOLLIN)) {
		conn_close(server, c);
		return;
	}
	c->lingering = true;
	c->deadline_ns = until < c->deadline_ns ? until : c->deadline_ns;
}

/*
 * Answers the requests in c's buffer, each response sent whole before the
 * next is read, until one needs more bytes or the socket's room; c may be
 * closed on return.
 */
static void conn_serve(struct http_server *server, struct http_conn *c)
{
	for (;;) {
		if (!c->writing && !take_request(server, c)) {
			if (!conn_watch(server, c, EPOLLIN))
				conn_close(server, c);
			return;
		}
		switch (http_conn_send(c)) {
		case HTTP_SEND_AGAIN:
			if (!conn_watch(server, c, EPOLLOUT))
				conn_close(server, c);
			return;
		case HTTP_SEND_FAILED:
			conn_close(server, c);
			return;
		case HTTP_SEND_DONE:
			break;
		}
		http_conn_release_response(c);
		if (c->close_after) {
			linger(server, c);
			return;
		}
		c->in_len -= c->consumed;
		memmove(c->in, c->in + c->consumed, c->in_len);
		c->consumed = 0;
		c->deadline_ns = exchange_deadline(); /* one more exchange may keep it alive */
	}
}

static void conn_event(struct http_server *server, struct http_conn *c, uint32_t events)
{
	ssize_t n;

	if (events & (EPOLLERR | EPOLLHUP)) {
		conn_close(server, c);
		return;
	}
	if (c->lingering) {
		char scratch[4096];

		n = recv(c->fd, scratch, sizeof(scratch), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			conn_close(server, c);
		return;
	}
	if (!c->writing && c->in_len < sizeof(c->in)) {
		n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
		/* the client is gone, or closed its side before a whole head */
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			conn_close(server, c);
			return;
		}
		if (n > 0)
			c->in_len += (size_t)n;
	}
	conn_serve(server, c);
}

static struct peer_addr peer_of(const struct sockaddr_storage *ss)
{
	struct peer_addr addr = { .family = ss->ss_family };

	if (ss->ss_family == AF_INET6)
		memcpy(addr.bytes, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	else if (ss->ss_family == AF_INET)
		memcpy(addr.bytes, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	return addr;
}

static unsigned int conns_from(const struct http_server *server, const struct peer_addr *addr)
{
	unsigned int n = 0;

	for (const struct http_conn *c = server->conns; c; c = c->next)
		n += !memcmp(&c->peer, addr, sizeof(*addr));
	return n;
}

/* Out of file descriptors or memory: the backlog waits a moment rather than spin. */
static void pause_accepting(struct http_server *server, int error)
{
	log_debug("http: can't accept: %s; retrying in %llu ms", strerror(error),
		  ACCEPT_PAUSE_NS / 1000000);
	epoll_ctl(server->epoll_fd, EPOLL_CTL_DEL, server->listen_fd, NULL);
	server->accept_resume_ns = clock_monotonic_ns() + ACCEPT_PAUSE_NS;
}

static void resume_accepting(struct http_server *server)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &server->listen_fd };

	if (!server->accept_resume_ns || clock_monotonic_ns() < server->accept_resume_ns)
		return;
	if (!epoll_ctl(server->epoll_fd, EPOLL_CTL_ADD, server->listen_fd, &ev))
		server->accept_resume_ns = 0;
}

static void accept_all(struct http_server *server)
{
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		struct epoll_event ev = { .events = EPOLLIN };
		struct peer_addr addr;
		struct http_conn *c;
		int fd = accept4(server->listen_fd, (struct sockaddr *)&ss, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				pause_accepting(server, errno);
			return;
		}
		addr = peer_of(&ss);
		if (server->conn_count >= CONNECTION_SLOTS ||
		    conns_from(server, &addr) >= PER_IP_SLOTS) {
			log_debug("http: connection refused: %s",
				  server->conn_count >= CONNECTION_SLOTS
					  ? "every slot taken"
					  : "its address has a quarter of them");
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		ev.data.ptr = c;
		if (!c || epoll_ctl(server->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
			free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->events = EPOLLIN;
		c->peer = addr;
		c->deadline_ns = exchange_deadline();
		c->next = server->conns;
		if (c->next)
			c->next->prev = c;
		server->conns = c;
		server->conn_count++;
	}
}

/* Closes the connections past their deadline; the milliseconds to the next one, or -1. */
static int reap_expired(struct http_server *server)
{
	uint64_t now = clock_monotonic_ns(),
		 next = server->accept_resume_ns ? server->accept_resume_ns : UINT64_MAX;
	unsigned int reaped = 0;

	for (struct http_conn *c = server->conns, *next_c; c; c = next_c) {
		next_c = c->next;
		if (now >= c->deadline_ns) {
			reaped += !c->lingering;
			conn_close(server, c);
		} else if (c->deadline_ns < next) {
			next = c->deadline_ns;
		}
	}
	if (reaped)
		log_debug("http: closed %u connection%s that sent no whole request in %u s", reaped,
			  reaped == 1 ? "" : "s", EXCHANGE_DEADLINE_S);
	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int)((next - now + 999999) / 1000000);
}

static void *serve_main(void *arg)
{
	struct http_server *server = arg;
	struct epoll_event events[32];

	for (;;) {
		int n = epoll_wait(server->epoll_fd, events, 32, reap_expired(server));

		if (n < 0 && errno != EINTR) {
			log_error("http: the server stopped: epoll_wait: %s", strerror(errno));
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			void *source = events[i].data.ptr;

			if (source == &server->stop_fd)
				return NULL;
			if (source == &server->listen_fd)
				accept_all(server);
			else
				conn_event(server, source, events[i].events);
		}
		resume_accepting(server);
	}
}

/* Binds before the slow load, so that a taken port fails at once, with its reason. */
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
	server->epoll_fd = -1;
	server->stop_fd = -1;
	server->stall_ns = stall_ns;
	pthread_mutex_init(&server->lock, NULL);
	init_rendered_cond(server);
	server->render_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (server->render_fd < 0) {
		snprintf(err, err_len, "can't set up the HTTP server: %s", strerror(errno));
		http_server__stop(server);
		return NULL;
	}
	atomic_store(&server->heartbeat_ns, clock_monotonic_ns());
	/* every slot is a socket: full slots must leave the agent the files it opens itself */
	file_limit_raise();
	if (open_listener(server, host, port, err, err_len)) {
		http_server__stop(server);
		return NULL;
	}
	return server;
}

/* The listening socket and the stop eventfd in a new epoll set. */
static int watch_sources(struct http_server *server)
{
	struct epoll_event listen_ev = { .events = EPOLLIN, .data.ptr = &server->listen_fd };
	struct epoll_event stop_ev = { .events = EPOLLIN, .data.ptr = &server->stop_fd };
	int flags = fcntl(server->listen_fd, F_GETFL);

	server->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	server->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (server->epoll_fd < 0 || server->stop_fd < 0 || flags < 0 ||
	    fcntl(server->listen_fd, F_SETFL, flags | O_NONBLOCK) ||
	    epoll_ctl(server->epoll_fd, EPOLL_CTL_ADD, server->listen_fd, &listen_ev) ||
	    epoll_ctl(server->epoll_fd, EPOLL_CTL_ADD, server->stop_fd, &stop_ev))
		return -errno;
	return 0;
}

int http_server__serve(struct http_server *server, char *err, size_t err_len)
{
	int ret = watch_sources(server);

	if (!ret)
		ret = -pthread_create(&server->thread, NULL, serve_main, server);
	if (ret) {
		snprintf(err, err_len, "can't start the HTTP server on %s: %s", server->address,
			 strerror(-ret));
		return ret;
	}
	pthread_setname_np(server->thread, "memsight-http");
	server->thread_started = true;
	return 0;
}

void http_server__stop(struct http_server *server)
{
	if (!server)
		return;
	if (server->thread_started) {
		eventfd_write(server->stop_fd, 1);
		pthread_join(server->thread, NULL);
	}
	while (server->conns)
		conn_close(server, server->conns);
	if (server->epoll_fd >= 0)
		close(server->epoll_fd);
	if (server->stop_fd >= 0)
		close(server->stop_fd);
	if (server->listen_fd >= 0)
		close(server->listen_fd);
	if (server->page)
		page_release(server->page);
	if (server->render_fd >= 0)
		close(server->render_fd);
	pthread_cond_destroy(&server->rendered);
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
