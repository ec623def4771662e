// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include <strings.h>

#include "http_request.h"

/* A line of the head: its bytes without the CR LF (or bare LF) that ends it. */
struct head_line {
	const char *text;
	size_t len;
};

/* The line at *pos, which moves past it; false when no LF ends it yet. */
static bool next_line(const char *buf, size_t len, size_t *pos, struct head_line *line)
{
	const char *nl = memchr(buf + *pos, '\n', len - *pos);

	if (!nl)
		return false;
	line->text = buf + *pos;
	line->len = (size_t)(nl - line->text);
	if (line->len && line->text[line->len - 1] == '\r')
		line->len--;
	*pos = (size_t)(nl - buf) + 1;
	return true;
}

/* RFC 9110's tchar: what a method or a field name is made of. */
static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool all_tchars(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_tchar((unsigned char)s[i]))
			return false;
	return len > 0;
}

static bool token_is(const char *s, size_t len, const char *word)
{
	return len == strlen(word) && !strncasecmp(s, word, len);
}

static bool bytes_are(const char *s, size_t len, const char *word)
{
	return len == strlen(word) && !memcmp(s, word, len);
}

/* The path of a request target: origin-form as it is, absolute-form after its authority. */
static enum http_parse target_path(const char *t, size_t len, struct http_request *req)
{
	const char *scheme_end = memchr(t, ':', len);
	size_t path_len = 0;

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)t[i] <= ' ' || t[i] == 0x7f)
			return HTTP_PARSE_BAD;
	if (t[0] != '/' && scheme_end && (size_t)(scheme_end - t) + 3 <= len &&
	    !memcmp(scheme_end, "://", 3)) {
		const char *authority = scheme_end + 3;
		const char *path = memchr(authority, '/', len - (size_t)(authority - t));

		len = path ? len - (size_t)(path - t) : 0;
		t = path;
	}
	while (path_len < len && t[path_len] != '?' && t[path_len] != '#')
		path_len++;
	if (path_len >= sizeof(req->path))
		return HTTP_PARSE_URI_TOO_LONG;
	if (!path_len) /* "http://host" or "?q": the root */
		t = "/", path_len = 1;
	memcpy(req->path, t, path_len);
	req->path[path_len] = '\0';
	return HTTP_PARSE_DONE;
}

/* "METHOD SP target SP HTTP/1.x"; *minor gets x. */
static enum http_parse request_line(const struct head_line *line, struct http_request *req,
				    unsigned int *minor)
{
	const char *sp1 = memchr(line->text, ' ', line->len), *sp2, *version;
	size_t method_len, rest;

	if (!sp1)
		return HTTP_PARSE_BAD;
	method_len = (size_t)(sp1 - line->text);
	if (!all_tchars(line->text, method_len))
		return HTTP_PARSE_BAD;
	/* methods are case-sensitive: "get" is another method */
	req->method = bytes_are(line->text, method_len, "GET")	  ? HTTP_GET
		      : bytes_are(line->text, method_len, "HEAD") ? HTTP_HEAD
								  : HTTP_OTHER;
	rest = line->len - method_len - 1;
	sp2 = memchr(sp1 + 1, ' ', rest);
	if (!sp2 || sp2 == sp1 + 1)
		return HTTP_PARSE_BAD;
	version = sp2 + 1;
	rest = line->len - (size_t)(version - line->text);
	if (rest != 8 || memcmp(version, "HTTP/", 5) || version[6] != '.' || version[5] < '0' ||
	    version[5] > '9' || version[7] < '0' || version[7] > '9')
		return HTTP_PARSE_BAD;
	if (version[5] != '1')
		return HTTP_PARSE_VERSION;
	*minor = (unsigned int)(version[7] - '0');
	return target_path(sp1 + 1, (size_t)(sp2 - sp1 - 1), req);
}

/* What the head's fields say about the connection. */
struct head_fields {
	unsigned int hosts;
	bool close, keep_alive, body;
};

/* Connection: a comma-separated list of options, "close" and "keep-alive" among them. */
static void connection_options(const char *v, size_t len, struct head_fields *f)
{
	size_t start = 0;

	while (start < len) {
		size_t end = start, next;

		while (end < len && v[end] != ',')
			end++;
		next = end + 1;
		while (start < end && (v[start] == ' ' || v[start] == '\t'))
			start++;
		while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
			end--;
		if (token_is(v + start, end - start, "close"))
			f->close = true;
		else if (token_is(v + start, end - start, "keep-alive"))
			f->keep_alive = true;
		start = next;
	}
}

/* "name: value"; no space before the colon, no folded line (RFC 9112, 5.1 and 5.2). */
static enum http_parse header_field(const struct head_line *line, struct head_fields *f)
{
	const char *colon = memchr(line->text, ':', line->len), *v;
	size_t name_len, len;

	if (!colon || !all_tchars(line->text, (size_t)(colon - line->text)))
		return HTTP_PARSE_BAD;
	name_len = (size_t)(colon - line->text);
	v = colon + 1;
	len = line->len - name_len - 1;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)v[i] < ' ' && v[i] != '\t') || v[i] == 0x7f)
			return HTTP_PARSE_BAD;
	while (len && (*v == ' ' || *v == '\t'))
		v++, len--;
	while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (token_is(line->text, name_len, "Host")) {
		f->hosts++;
	} else if (token_is(line->text, name_len, "Connection")) {
		connection_options(v, len, f);
	} else if (token_is(line->text, name_len, "Content-Length")) {
		if (!len)
			return HTTP_PARSE_BAD;
		for (size_t i = 0; i < len; i++) {
			if (v[i] < '0' || v[i] > '9')
				return HTTP_PARSE_BAD;
			if (v[i] != '0')
				f->body = true;
		}
	} else if (token_is(line->text, name_len, "Transfer-Encoding")) {
		f->body = true;
	}
	return HTTP_PARSE_DONE;
}

enum http_parse http_request_parse(const char *buf, size_t len, struct http_request *req)
{
	struct head_fields fields = { 0 };
	struct head_line line;
	unsigned int minor = 0;
	enum http_parse ret;
	size_t pos = 0;

	if (len > HTTP_REQUEST_HEAD_MAX)
		len = HTTP_REQUEST_HEAD_MAX;
	if (memchr(buf, '\0', len))
		return HTTP_PARSE_BAD;
	memset(req, 0, sizeof(*req));
	/* empty lines before the request line are ignored (RFC 9112, 2.2) */
	do {
		if (!next_line(buf, len, &pos, &line))
			goto incomplete;
	} while (!line.len);
	ret = request_line(&line, req, &minor);
	if (ret != HTTP_PARSE_DONE)
		return ret;
	for (;;) {
		if (!next_line(buf, len, &pos, &line))
			goto incomplete;
		if (!line.len)
			break;
		if (line.text[0] == ' ' || line.text[0] == '\t')
			return HTTP_PARSE_BAD; /* obsolete line folding */
		ret = header_field(&line, &fields);
		if (ret != HTTP_PARSE_DONE)
			return ret;
	}
	/* HTTP/1.1 needs exactly one Host; more than one is refused in any version */
	if (fields.hosts > 1 || (minor >= 1 && !fields.hosts))
		return HTTP_PARSE_BAD;
	req->head_len = pos;
	req->keep_alive = (minor >= 1 ? !fields.close : fields.keep_alive && !fields.close) &&
			  !fields.body; /* the unread body would be taken for the next request */
	return HTTP_PARSE_DONE;
incomplete:
	return len >= HTTP_REQUEST_HEAD_MAX ? HTTP_PARSE_TOO_LARGE : HTTP_PARSE_INCOMPLETE;
}
