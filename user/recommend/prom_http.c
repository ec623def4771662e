// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "curl_lib.h"
#include "prom_api.h"
#include "prom_http.h"

struct prom_client {
	const struct curl_lib *lib;
	CURL *curl;
	char *base; /* without a trailing '/' */
	char *user_agent;
	bool too_big;
	char curl_error[CURL_ERROR_SIZE];
};

struct prom_client *prom_client_new(const char *base_url, const char *user_agent, char *err,
				    size_t err_len)
{
	const struct curl_lib *lib = curl_lib_get(err, err_len);
	struct prom_client *c;
	size_t len = strlen(base_url);

	if (!lib)
		return NULL;
	if (lib->global_init(CURL_GLOBAL_DEFAULT)) {
		snprintf(err, err_len, "libcurl could not start");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		lib->global_cleanup();
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	c->lib = lib;
	while (len && base_url[len - 1] == '/')
		len--;
	c->base = strndup(base_url, len);
	c->user_agent = strdup(user_agent);
	c->curl = lib->easy_init();
	if (!c->base || !c->user_agent || !c->curl) {
		prom_client_free(c);
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	return c;
}

void prom_client_free(struct prom_client *c)
{
	if (!c)
		return;
	if (c->curl)
		c->lib->easy_cleanup(c->curl);
	free(c->base);
	free(c->user_agent);
	c->lib->global_cleanup();
	free(c);
}

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
	struct prom_client *c = ((void **)user)[0];
	struct strbuf *body = ((void **)user)[1];
	size_t bytes = size * n;

	if (body->len + bytes > PROM_ANSWER_MAX) {
		c->too_big = true;
		return 0; /* ends the transfer */
	}
	strbuf_append(body, data, bytes);
	return body->failed ? 0 : bytes;
}

/* base + path + "?name=value&...", escaped; NULL when out of memory. */
static char *request_url(struct prom_client *c, const char *path, const char *const *params)
{
	struct strbuf url;

	strbuf_init(&url);
	strbuf_printf(&url, "%s%s", c->base, path);
	for (size_t i = 0; params && params[i] && params[i + 1]; i += 2) {
		char *value = c->lib->easy_escape(c->curl, params[i + 1], 0);

		if (!value) {
			strbuf_free(&url);
			return NULL;
		}
		strbuf_printf(&url, "%c%s=%s", i ? '&' : '?', params[i], value);
		c->lib->free(value);
	}
	if (url.failed) {
		strbuf_free(&url);
		return NULL;
	}
	return url.buf;
}

static void set_options(struct prom_client *c, const char *url, void *user)
{
	CURLcode (*set)(CURL *, CURLoption, ...) = c->lib->easy_setopt;
	CURL *h = c->curl;

	c->lib->easy_reset(h);
	set(h, CURLOPT_URL, url);
	set(h, CURLOPT_PROTOCOLS_STR, "http,https");
	set(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	set(h, CURLOPT_FOLLOWLOCATION, 1L);
	set(h, CURLOPT_MAXREDIRS, 5L);
	set(h, CURLOPT_CONNECTTIMEOUT, 10L);
	/* A week of a big cluster's series is work for Prometheus too. */
	set(h, CURLOPT_TIMEOUT, 300L);
	set(h, CURLOPT_NOSIGNAL, 1L);
	set(h, CURLOPT_ACCEPT_ENCODING, "");
	set(h, CURLOPT_USERAGENT, c->user_agent);
	set(h, CURLOPT_ERRORBUFFER, c->curl_error);
	set(h, CURLOPT_WRITEFUNCTION, on_body);
	set(h, CURLOPT_WRITEDATA, user);
}

int prom_client_get(struct prom_client *c, const char *path, const char *const *params,
		    struct strbuf *body, long *status, char *err, size_t err_len)
{
	char *url = request_url(c, path, params), reason[CURL_ERROR_SIZE];
	void *user[] = { c, body };
	CURLcode res;

	if (!url) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	strbuf_reset(body);
	c->too_big = false;
	c->curl_error[0] = '\0';
	set_options(c, url, user);
	res = c->lib->easy_perform(c->curl);
	free(url);
	if (c->too_big) {
		snprintf(err, err_len, "its answer is over %lu MiB (narrow it with --namespace)",
			 PROM_ANSWER_MAX >> 20);
		return -E2BIG;
	}
	if (body->failed) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	if (res != CURLE_OK) {
		prom_clean_text(reason, sizeof(reason),
				c->curl_error[0] ? c->curl_error : c->lib->easy_strerror(res));
		snprintf(err, err_len, "%s", reason);
		return -EHOSTUNREACH;
	}
	c->lib->easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
	return 0;
}
