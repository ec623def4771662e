/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_HTTP_CONN_H
#define MEMSIGHT_HTTP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "http_request.h"

/* A client's address, to count its connections. */
struct peer_addr {
	sa_family_t family;
	unsigned char bytes[16];
};

/*
 * One of the HTTP server's connections (http_server.c runs them): it reads one
 * request head, then sends the response whole, not reading meanwhile, then
 * reads the next, which may be in the buffer already (pipelining).
 */
struct http_conn {
	struct http_conn *prev, *next;
	int fd;
	uint32_t events; /* what epoll watches it for: EPOLLIN or EPOLLOUT */
	struct peer_addr peer;
	uint64_t deadline_ns;
	bool writing;	  /* a response is going out */
	bool close_after; /* ... and the connection ends with it */
	bool lingering;	  /* its last response is out: only reading what still comes */
	size_t consumed;  /* the answered head's bytes, dropped once its response is out */
	char head[384];	  /* the response: status line and fields, then the body */
	size_t head_len;
	const char *body;
	size_t body_len, sent;
	void (*release)(void *cls); /* called with release_cls once the body is sent */
	void *release_cls;
	char *owned_body; /* a body of the response's own, freed with it */
	size_t in_len;
	char in[HTTP_REQUEST_HEAD_MAX];
};

#define HTTP_TEXT_CONTENT_TYPE "text/plain; charset=utf-8"

/*
 * The response to send: status, fields, and body[0..len), which must stay
 * valid until http_conn_release_response(). HEAD (head_only) gets the fields
 * alone, Content-Length still the body's.
 */
void http_conn_respond(struct http_conn *c, bool head_only, unsigned int status,
		       const char *content_type, const char *body, size_t len);
/* A plain-text response, its body printed into one of its own. */
void http_conn_reply_text(struct http_conn *c, bool head_only, unsigned int status, const char *fmt,
			  ...) __attribute__((format(printf, 4, 5)));
/* The error response for a head that can't be answered; the connection ends with it. */
void http_conn_refuse(struct http_conn *c, enum http_parse parsed);

enum http_send {
	HTTP_SEND_DONE,
	HTTP_SEND_AGAIN,
	HTTP_SEND_FAILED
};
/* As much of the response as the socket takes now: DONE once all of it is out. */
enum http_send http_conn_send(struct http_conn *c);
/* Lets the response's body go (release, owned_body): sent, or the connection gone. */
void http_conn_release_response(struct http_conn *c);

#endif
