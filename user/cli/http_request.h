/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_HTTP_REQUEST_H
#define MEMSIGHT_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Pure. The head of an HTTP/1.x request (RFC 9112), as `run`'s server reads it:
 * the request line and the header fields up to the empty line. Only what a GET
 * or HEAD of a fixed page needs is kept. A body is never read, so a request
 * that announces one is answered and its connection closed.
 */

/* A longer head is refused (431): a scrape's or a probe's is a few hundred bytes. */
#define HTTP_REQUEST_HEAD_MAX 8192
#define HTTP_REQUEST_PATH_MAX 256

enum http_parse {
	HTTP_PARSE_INCOMPLETE,	 /* no empty line yet: read more */
	HTTP_PARSE_DONE,	 /* req is filled in */
	HTTP_PARSE_BAD,		 /* 400: not an HTTP/1.x request */
	HTTP_PARSE_URI_TOO_LONG, /* 414: a path of HTTP_REQUEST_PATH_MAX bytes or more */
	HTTP_PARSE_TOO_LARGE,	 /* 431: no empty line within HTTP_REQUEST_HEAD_MAX */
	HTTP_PARSE_VERSION,	 /* 505: a major version other than 1 */
};

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_OTHER
};

struct http_request {
	size_t head_len; /* bytes up to and including the empty line */
	enum http_method method;
	char path[HTTP_REQUEST_PATH_MAX]; /* the target's path, its query left out */
	bool keep_alive;		  /* the connection may carry another request */
};

/* The request whose head starts buf[0..len), or what is wrong with it. */
enum http_parse http_request_parse(const char *buf, size_t len, struct http_request *req);

#endif
