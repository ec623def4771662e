// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "prom_api.h"
#include "prom_http.h"

struct prom_client {
	CURL *curl;
	char *base; /* without a trailing '/' */
	char *user_agent;
	bool too_big;
	char curl_error[CURL_ERROR_SIZE];
};

struct prom_client *prom_client_new(const char *base_url, const char *user_agent)
{
	struct prom_client *c;
	size_t len = strlen(base_url);

	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		curl_global_cleanup();
		return NULL;
	}
	while (len && base_url[len - 1] == '/')
		len--;
	c->base = strndup(base_url, len);
	c->user_agent = strdup(user_agent);
	c->curl = curl_easy_init();
	if (!c->base || !c->user_agent || !c->curl) {
		prom_client_free(c);
		return NULL;
	}
	return c;
}

void prom_client_free(struct prom_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->base);
	free(c->user_agent);
	free(c);
	curl_global_cleanup();
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
		char *value = curl_easy_escape(c->curl, params[i + 1], 0);

		if (!value) {
			strbuf_free(&url);
			return NULL;
		}
		strbuf_printf(&url, "%c%s=%s", i ? '&' : '?', params[i], value);
		curl_free(value);
	}
	if (url.failed) {
		strbuf_free(&url);
		return NULL;
	}
	return url.buf;
}

static void set_options(struct prom_client *c, const char *url, void *user)
{
	CURL *h = c->curl;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	/* A week of a big cluster's series is work for Prometheus too. */
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 300L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->curl_error);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, user);
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
	res = curl_easy_perform(c->curl);
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
				c->curl_error[0] ? c->curl_error : curl_easy_strerror(res));
		snprintf(err, err_len, "%s", reason);
		return -EHOSTUNREACH;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
	return 0;
}
