/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_PROM_API_H
#define MEMSIGHT_PROM_API_H

#include <stddef.h>

#include "strbuf.h"

/*
 * The Prometheus HTTP API's side that needs no network: checking the base URL a person
 * gives, PromQL string literals, and reading the JSON answers of /api/v1/query and
 * /api/v1/label/.../values. Label values in answers are whatever was scraped: treated as
 * hostile bytes by whoever prints them. Pure.
 */

/* http:// or https://, a host, no query or fragment (paths are appended to it). */
int prom_url_check(const char *url, char *err, size_t err_len);

/* The URL for messages: without a user name or password, control bytes as '?'. */
void prom_url_display(char *out, size_t out_len, const char *url);

/* Appends value as a PromQL string literal, quotes included. */
void promql_string(struct strbuf *out, const char *value);

/* One sample of an instant vector: the labels recommend groups by ("" when absent). */
struct prom_sample {
	const char *namespace;
	const char *pod;
	const char *container;
	double value;
};

typedef int (*prom_sample_fn)(void *ctx, const struct prom_sample *sample);
typedef int (*prom_name_fn)(void *ctx, const char *name);

/*
 * Reads a query answer whose result is an instant vector, calling fn for each sample
 * (a non-zero return stops and is returned). -EREMOTEIO with Prometheus' own error in
 * err when the answer says "status":"error"; -EPROTO (err says why) when the answer is
 * not the API's JSON.
 */
int prom_read_vector(const char *body, size_t len, prom_sample_fn fn, void *ctx, char *err,
		     size_t err_len);

/* Reads a label values answer ("data":[names]), the same way. */
int prom_read_names(const char *body, size_t len, prom_name_fn fn, void *ctx, char *err,
		    size_t err_len);

/* Copies text into out, cut to fit, control bytes as '?': for messages on a terminal. */
void prom_clean_text(char *out, size_t out_len, const char *text);

#endif
