// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The request heads `run`'s server parses, against RFC 9112's rules and the heads
 * real clients send (Prometheus' scrape, the kubelet's probe, curl).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http_request.h"

static enum http_parse parse(const char *head, struct http_request *req)
{
	return http_request_parse(head, strlen(head), req);
}

static void test_real_clients(void **state)
{
	/* Prometheus 2.x's scrape: keep-alive, gzip asked for (never given: identity is fine) */
	const char *prometheus =
		"GET /metrics HTTP/1.1\r\nHost: 10.0.0.7:9464\r\nUser-Agent: Prometheus/2.42.0\r\n"
		"Accept: "
		"application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n"
		"Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n";
	/* the kubelet's HTTP probe closes after one exchange */
	const char *kubelet =
		"GET /healthz HTTP/1.1\r\nHost: 10.0.0.7:9464\r\n"
		"User-Agent: kube-probe/1.29\r\nAccept: */*\r\nConnection: close\r\n\r\n";
	const char *curl_head = "HEAD /metrics HTTP/1.1\r\nHost: 127.0.0.1:9464\r\n"
				"User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";
	struct http_request req;

	assert_int_equal(parse(prometheus, &req), HTTP_PARSE_DONE);
	assert_int_equal(req.method, HTTP_GET);
	assert_string_equal(req.path, "/metrics");
	assert_true(req.keep_alive);
	assert_int_equal(req.head_len, strlen(prometheus));

	assert_int_equal(parse(kubelet, &req), HTTP_PARSE_DONE);
	assert_string_equal(req.path, "/healthz");
	assert_false(req.keep_alive);

	assert_int_equal(parse(curl_head, &req), HTTP_PARSE_DONE);
	assert_int_equal(req.method, HTTP_HEAD);
}

static void test_incomplete_until_the_empty_line(void **state)
{
	const char *head = "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
	struct http_request req;

	/* every proper prefix of a head waits for more */
	for (size_t n = 0; n < strlen(head); n++)
		assert_int_equal(http_request_parse(head, n, &req), HTTP_PARSE_INCOMPLETE);
	assert_int_equal(http_request_parse(head, strlen(head), &req), HTTP_PARSE_DONE);
}

static void test_pipelined_head_len(void **state)
{
	const char *two =
		"GET /readyz HTTP/1.1\nHost: a\n\nGET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
	struct http_request req;

	/* bare LF ends lines too (RFC 9112, 2.2); head_len is where the next request starts */
	assert_int_equal(parse(two, &req), HTTP_PARSE_DONE);
	assert_string_equal(req.path, "/readyz");
	assert_int_equal(req.head_len, strlen("GET /readyz HTTP/1.1\nHost: a\n\n"));
	assert_int_equal(parse(two + req.head_len, &req), HTTP_PARSE_DONE);
	assert_string_equal(req.path, "/metrics");
}

static void test_targets(void **state)
{
	struct http_request req;
	char path[HTTP_REQUEST_PATH_MAX + 1], head[HTTP_REQUEST_PATH_MAX + 64];

	assert_int_equal(parse("GET /metrics?name[]=x HTTP/1.1\r\nHost: a\r\n\r\n", &req),
			 HTTP_PARSE_DONE);
	assert_string_equal(req.path, "/metrics");
	/* absolute-form, which a server must accept (RFC 9112, 3.2.2) */
	assert_int_equal(parse("GET http://node:9464/healthz HTTP/1.1\r\nHost: node\r\n\r\n", &req),
			 HTTP_PARSE_DONE);
	assert_string_equal(req.path, "/healthz");
	assert_int_equal(parse("GET http://node:9464 HTTP/1.1\r\nHost: node\r\n\r\n", &req),
			 HTTP_PARSE_DONE);
	assert_string_equal(req.path, "/");
	assert_int_equal(parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", &req), HTTP_PARSE_DONE);
	assert_int_equal(req.method, HTTP_OTHER);
	assert_string_equal(req.path, "*");

	/* a path of HTTP_REQUEST_PATH_MAX bytes has no room for its NUL; one less fits */
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[HTTP_REQUEST_PATH_MAX] = '\0';
	snprintf(head, sizeof(head), "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", path);
	assert_int_equal(parse(head, &req), HTTP_PARSE_URI_TOO_LONG);
	path[HTTP_REQUEST_PATH_MAX - 1] = '\0';
	snprintf(head, sizeof(head), "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", path);
	assert_int_equal(parse(head, &req), HTTP_PARSE_DONE);
	assert_int_equal(strlen(req.path), HTTP_REQUEST_PATH_MAX - 1);
}

static void test_methods(void **state)
{
	struct http_request req;

	assert_int_equal(
		parse("POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n", &req),
		HTTP_PARSE_DONE);
	assert_int_equal(req.method, HTTP_OTHER);
	assert_false(req.keep_alive); /* its body is never read */
	/* methods are case-sensitive (RFC 9110, 9.1) */
	assert_int_equal(parse("get /metrics HTTP/1.1\r\nHost: a\r\n\r\n", &req), HTTP_PARSE_DONE);
	assert_int_equal(req.method, HTTP_OTHER);
	assert_int_equal(parse("GETS /metrics HTTP/1.1\r\nHost: a\r\n\r\n", &req), HTTP_PARSE_DONE);
	assert_int_equal(req.method, HTTP_OTHER);
}

static void test_connection_persistence(void **state)
{
	struct http_request req;

	/* 1.0 closes unless asked to keep alive; 1.1 keeps alive unless asked to close */
	assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", &req), HTTP_PARSE_DONE);
	assert_false(req.keep_alive);
	assert_int_equal(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &req),
			 HTTP_PARSE_DONE);
	assert_true(req.keep_alive);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: TE, close\r\n\r\n", &req),
			 HTTP_PARSE_DONE);
	assert_false(req.keep_alive);
	assert_int_equal(
		parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive ,x\r\n\r\n", &req),
		HTTP_PARSE_DONE);
	assert_true(req.keep_alive);
	assert_int_equal(
		parse("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", &req),
		HTTP_PARSE_DONE);
	assert_false(req.keep_alive);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", &req),
			 HTTP_PARSE_DONE);
	assert_true(req.keep_alive);
}

static void test_refusals(void **state)
{
	struct http_request req;
	static char big[HTTP_REQUEST_HEAD_MAX + 10];

	assert_int_equal(parse("GET /metrics\r\n\r\n", &req), HTTP_PARSE_BAD); /* HTTP/0.9 */
	assert_int_equal(parse("GET  /metrics HTTP/1.1\r\nHost: a\r\n\r\n", &req), HTTP_PARSE_BAD);
	assert_int_equal(parse("GET /metrics HTTP/1.1 \r\nHost: a\r\n\r\n", &req), HTTP_PARSE_BAD);
	assert_int_equal(parse("GET /metrics HTTP/2.0\r\nHost: a\r\n\r\n", &req),
			 HTTP_PARSE_VERSION);
	assert_int_equal(parse("GET /metrics HTTP/1.1\r\n\r\n", &req),
			 HTTP_PARSE_BAD); /* no Host */
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", &req),
			 HTTP_PARSE_BAD);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost : a\r\n\r\n", &req), HTTP_PARSE_BAD);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n  folded\r\n\r\n", &req),
			 HTTP_PARSE_BAD);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", &req),
			 HTTP_PARSE_BAD);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n", &req),
			 HTTP_PARSE_BAD);
	assert_int_equal(parse("GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", &req), HTTP_PARSE_BAD);
	static const char nul[] = "GET / HTTP/1.1\r\nHost: a\0\r\n\r\n";
	assert_int_equal(http_request_parse(nul, sizeof(nul) - 1, &req), HTTP_PARSE_BAD);
	/* a head that never ends within the limit */
	memset(big, 'x', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	assert_int_equal(http_request_parse(big, sizeof(big), &req), HTTP_PARSE_TOO_LARGE);
	assert_int_equal(http_request_parse(big, HTTP_REQUEST_HEAD_MAX - 1, &req),
			 HTTP_PARSE_INCOMPLETE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_clients),
		cmocka_unit_test(test_incomplete_until_the_empty_line),
		cmocka_unit_test(test_pipelined_head_len),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_connection_persistence),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests_name("http_request", tests, NULL, NULL);
}
