// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "curl_lib.h"
#include "dynlib.h"

static struct curl_lib lib;
static void *handle;

static const struct dynlib_symbol symbols[] = {
#define SYMBOL(field, name) DYNLIB_SYMBOL(struct curl_lib, field, name)
	SYMBOL(global_init, "curl_global_init"),     SYMBOL(global_cleanup, "curl_global_cleanup"),
	SYMBOL(easy_init, "curl_easy_init"),	     SYMBOL(easy_cleanup, "curl_easy_cleanup"),
	SYMBOL(easy_reset, "curl_easy_reset"),	     SYMBOL(easy_setopt, "curl_easy_setopt"),
	SYMBOL(easy_perform, "curl_easy_perform"),   SYMBOL(easy_getinfo, "curl_easy_getinfo"),
	SYMBOL(easy_escape, "curl_easy_escape"),     SYMBOL(free, "curl_free"),
	SYMBOL(easy_strerror, "curl_easy_strerror"),
#undef SYMBOL
};

const struct curl_lib *curl_lib_get(char *err, size_t err_len)
{
	if (!handle)
		handle = dynlib_open(CURL_LIB_SONAME, "libcurl4", symbols,
				     sizeof(symbols) / sizeof(symbols[0]), &lib, err, err_len);
	return handle ? &lib : NULL;
}
