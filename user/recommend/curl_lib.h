/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_CURL_LIB_H
#define MEMSIGHT_CURL_LIB_H

#include <stddef.h>
#include <curl/curl.h>

/*
 * libcurl, loaded when `recommend` first asks for it rather than linked: the
 * agent (`run`, `stream`) never needs it, and linked it costs every agent
 * about 3 MiB of resident memory at start (libcurl and the TLS, Kerberos and
 * LDAP libraries it pulls in, relocated by the dynamic loader).
 */
#define CURL_LIB_SONAME "libcurl.so.4"

struct curl_lib {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *curl);
	void (*easy_reset)(CURL *curl);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *curl);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	char *(*easy_escape)(CURL *curl, const char *string, int length);
	void (*free)(void *p);
	const char *(*easy_strerror)(CURLcode code);
};

/* libcurl's functions, loaded once; NULL with a one-line reason in err when it can't be. */
const struct curl_lib *curl_lib_get(char *err, size_t err_len);

#endif
