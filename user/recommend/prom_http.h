/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_PROM_HTTP_H
#define MEMSIGHT_PROM_HTTP_H

#include <stddef.h>

#include "strbuf.h"

/* GET requests to a Prometheus server's HTTP API, through libcurl (loaded on first use). */

/* The most an answer may hold: a tree of it in json-c takes several times more. */
#define PROM_ANSWER_MAX (128UL << 20)

struct prom_client;

/*
 * base_url: already checked (prom_url_check). Returns NULL with a one-line
 * reason in err: libcurl can't be loaded (curl_lib.h), or out of memory.
 */
struct prom_client *prom_client_new(const char *base_url, const char *user_agent, char *err,
				    size_t err_len);
void prom_client_free(struct prom_client *c);

/*
 * GET base_url + path, with the query parameters given as name, value, ..., NULL
 * (escaped here). Returns 0 with the body and the HTTP status, or a negative errno
 * with a one-line message in err: -EHOSTUNREACH for a server that can't be reached
 * (name, connection, TLS, timeout), -E2BIG for an answer over PROM_ANSWER_MAX.
 */
int prom_client_get(struct prom_client *c, const char *path, const char *const *params,
		    struct strbuf *body, long *status, char *err, size_t err_len);

#endif
