// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>

#include "http_conn.h"

static const char *status_text(unsigned int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Internal Server Error";
	}
}

void http_conn_respond(struct http_conn *c, bool head_only, unsigned int status,
		       const char *content_type, const char *body, size_t len)
{
	int n = snprintf(c->head, sizeof(c->head),
			 "HTTP/1.1 %u %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Cache-Control: no-store\r\n%sConnection: %s\r\n\r\n",
			 status, status_text(status), content_type, len,
			 status == 405 ? "Allow: GET, HEAD\r\n" : "",
			 c->close_after ? "close" : "keep-alive");

	/* a head that did not fit is never sent: http_conn_send() fails it */
	c->head_len = n > 0 && (size_t)n < sizeof(c->head) ? (size_t)n : 0;
	c->body = body;
	c->body_len = head_only ? 0 : len;
	c->sent = 0;
	c->writing = true;
}

void http_conn_reply_text(struct http_conn *c, bool head_only, unsigned int status, const char *fmt,
			  ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&c->owned_body, fmt, ap);
	va_end(ap);
	if (len < 0) { /* out of memory: an empty 500, and the connection ends */
		c->owned_body = NULL;
		c->close_after = true;
		http_conn_respond(c, head_only, 500, HTTP_TEXT_CONTENT_TYPE, "", 0);
		return;
	}
	http_conn_respond(c, head_only, status, HTTP_TEXT_CONTENT_TYPE, c->owned_body, (size_t)len);
}

void http_conn_refuse(struct http_conn *c, enum http_parse parsed)
{
	c->close_after = true;
	switch (parsed) {
	case HTTP_PARSE_URI_TOO_LONG:
		http_conn_reply_text(c, false, 414, "URI too long\n");
		break;
	case HTTP_PARSE_TOO_LARGE:
		http_conn_reply_text(c, false, 431, "request head over %u bytes\n",
				     HTTP_REQUEST_HEAD_MAX);
		break;
	case HTTP_PARSE_VERSION:
		http_conn_reply_text(c, false, 505, "HTTP/1.0 and HTTP/1.1 only\n");
		break;
	default:
		http_conn_reply_text(c, false, 400, "bad request\n");
		break;
	}
}

enum http_send http_conn_send(struct http_conn *c)
{
	if (!c->head_len)
		return HTTP_SEND_FAILED;
	while (c->sent < c->head_len + c->body_len) {
		struct iovec iov[2];
		struct msghdr msg = { .msg_iov = iov };
		size_t body_off = c->sent > c->head_len ? c->sent - c->head_len : 0;
		ssize_t n;

		if (c->sent < c->head_len)
			iov[msg.msg_iovlen++] =
				(struct iovec){ c->head + c->sent, c->head_len - c->sent };
		if (c->body_len > body_off)
			iov[msg.msg_iovlen++] = (struct iovec){ (void *)(c->body + body_off),
								c->body_len - body_off };
		/* MSG_NOSIGNAL: a client gone mid-response is an error here, not a SIGPIPE */
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? HTTP_SEND_AGAIN
								       : HTTP_SEND_FAILED;
		c->sent += (size_t)n;
	}
	return HTTP_SEND_DONE;
}

void http_conn_release_response(struct http_conn *c)
{
	if (c->release)
		c->release(c->release_cls);
	free(c->owned_body);
	c->release = NULL;
	c->release_cls = NULL;
	c->owned_body = NULL;
	c->body = NULL;
	c->body_len = 0;
	c->writing = false;
}
