// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "prom_api.h"

/* Deep enough for the API's answers, shallow enough that no answer exhausts the stack. */
#define PROM_JSON_DEPTH 16

static int fail(char *err, size_t err_len, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t err_len, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return ret;
}

void prom_clean_text(char *out, size_t out_len, const char *text)
{
	size_t n = 0;

	if (!out_len)
		return;
	for (; text && *text && n + 1 < out_len; text++)
		out[n++] = (unsigned char)*text < 0x20 || *text == 0x7f ? '?' : *text;
	out[n] = '\0';
}

int prom_url_check(const char *url, char *err, size_t err_len)
{
	const char *host;

	if (!strncmp(url, "http://", 7))
		host = url + 7;
	else if (!strncmp(url, "https://", 8))
		host = url + 8;
	else
		return fail(err, err_len, -EINVAL,
			    "--prometheus: '%s' is not an http:// or https:// URL (e.g. "
			    "http://prometheus:9090)",
			    url);
	if (!*host || *host == '/' || *host == ':')
		return fail(err, err_len, -EINVAL, "--prometheus: '%s' has no host", url);
	for (const char *p = url; *p; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return fail(err, err_len, -EINVAL,
				    "--prometheus: the URL has a blank or a control character");
		if (*p == '?' || *p == '#')
			return fail(
				err, err_len, -EINVAL,
				"--prometheus: '%s': give the server's base URL, without a query "
				"or fragment",
				url);
	}
	return 0;
}

void prom_url_display(char *out, size_t out_len, const char *url)
{
	const char *scheme_end = strstr(url, "://"), *host, *at, *slash;
	char clean[1024];

	host = scheme_end ? scheme_end + 3 : url;
	slash = strchr(host, '/');
	at = memchr(host, '@', slash ? (size_t)(slash - host) : strlen(host));
	if (at)
		snprintf(clean, sizeof(clean), "%.*s%s", (int)(host - url), url, at + 1);
	else
		snprintf(clean, sizeof(clean), "%s", url);
	prom_clean_text(out, out_len, clean);
}

void promql_string(struct strbuf *out, const char *value)
{
	strbuf_append(out, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_printf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			strbuf_printf(out, "\\x%02x", *p);
		else
			strbuf_append(out, (const char *)p, 1);
	}
	strbuf_append(out, "\"", 1);
}

static struct json_object *member(struct json_object *obj, const char *key, enum json_type type)
{
	struct json_object *value;

	if (!obj || !json_object_object_get_ex(obj, key, &value) ||
	    !json_object_is_type(value, type))
		return NULL;
	return value;
}

static const char *label(struct json_object *metric, const char *key)
{
	struct json_object *value = member(metric, key, json_type_string);

	return value ? json_object_get_string(value) : "";
}

/* The answer's "data", of the given type, once "status" says success. */
static int parse_answer(const char *body, size_t len, enum json_type type,
			struct json_object **root, struct json_object **data, char *err,
			size_t err_len)
{
	struct json_tokener *tok = json_tokener_new_ex(PROM_JSON_DEPTH);
	struct json_object *status, *message;
	char text[256];

	*root = NULL;
	if (!tok)
		return -ENOMEM;
	if (len <= INT32_MAX)
		*root = json_tokener_parse_ex(tok, body, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(*root);
		*root = NULL;
	}
	json_tokener_free(tok);
	status = member(*root, "status", json_type_string);
	if (!status)
		return fail(err, err_len, -EPROTO, "the answer is not the Prometheus API's JSON");
	if (strcmp(json_object_get_string(status), "success")) {
		message = member(*root, "error", json_type_string);
		prom_clean_text(text, sizeof(text),
				message ? json_object_get_string(message) : "no reason given");
		return fail(err, err_len, -EREMOTEIO, "%s", text);
	}
	*data = member(*root, "data", type);
	if (!*data)
		return fail(err, err_len, -EPROTO, "the answer has no data of the expected shape");
	return 0;
}

/* [time, "value"]: the value, or -EPROTO. */
static int sample_value(struct json_object *pair, double *value)
{
	struct json_object *text;
	char *end;

	if (!json_object_is_type(pair, json_type_array) || json_object_array_length(pair) != 2)
		return -EPROTO;
	text = json_object_array_get_idx(pair, 1);
	if (!json_object_is_type(text, json_type_string))
		return -EPROTO;
	*value = strtod(json_object_get_string(text), &end);
	return *end || end == json_object_get_string(text) ? -EPROTO : 0;
}

int prom_read_vector(const char *body, size_t len, prom_sample_fn fn, void *ctx, char *err,
		     size_t err_len)
{
	struct json_object *root, *data, *kind, *result;
	int ret = parse_answer(body, len, json_type_object, &root, &data, err, err_len);

	if (ret)
		goto out;
	kind = member(data, "resultType", json_type_string);
	result = member(data, "result", json_type_array);
	if (!kind || strcmp(json_object_get_string(kind), "vector") || !result) {
		ret = fail(err, err_len, -EPROTO, "the answer is not an instant vector");
		goto out;
	}
	for (size_t i = 0; !ret && i < json_object_array_length(result); i++) {
		struct json_object *item = json_object_array_get_idx(result, i);
		struct json_object *metric = member(item, "metric", json_type_object);
		struct json_object *value = member(item, "value", json_type_array);
		struct prom_sample s;

		if (!metric || !value || sample_value(value, &s.value)) {
			ret = fail(err, err_len, -EPROTO, "a sample of the answer is malformed");
			break;
		}
		s.namespace = label(metric, "namespace");
		s.pod = label(metric, "pod");
		s.container = label(metric, "container");
		ret = fn(ctx, &s);
	}
out:
	json_object_put(root);
	return ret;
}

int prom_read_names(const char *body, size_t len, prom_name_fn fn, void *ctx, char *err,
		    size_t err_len)
{
	struct json_object *root, *data;
	int ret = parse_answer(body, len, json_type_array, &root, &data, err, err_len);

	for (size_t i = 0; !ret && i < json_object_array_length(data); i++) {
		struct json_object *name = json_object_array_get_idx(data, i);

		if (json_object_is_type(name, json_type_string))
			ret = fn(ctx, json_object_get_string(name));
	}
	json_object_put(root);
	return ret;
}
