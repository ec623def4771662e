// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>

#include "curl_lib.h"

static struct curl_lib lib;
static void *handle;

/* Every function, or false with the name of the first one missing. */
static bool resolve(const char **missing)
{
	static const struct {
		const char *name;
		size_t offset;
	} symbols[] = {
#define SYMBOL(field, name) { name, offsetof(struct curl_lib, field) }
		SYMBOL(global_init, "curl_global_init"),
		SYMBOL(global_cleanup, "curl_global_cleanup"),
		SYMBOL(easy_init, "curl_easy_init"),
		SYMBOL(easy_cleanup, "curl_easy_cleanup"),
		SYMBOL(easy_reset, "curl_easy_reset"),
		SYMBOL(easy_setopt, "curl_easy_setopt"),
		SYMBOL(easy_perform, "curl_easy_perform"),
		SYMBOL(easy_getinfo, "curl_easy_getinfo"),
		SYMBOL(easy_escape, "curl_easy_escape"),
		SYMBOL(free, "curl_free"),
		SYMBOL(easy_strerror, "curl_easy_strerror"),
#undef SYMBOL
	};

	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		void *fn = dlsym(handle, symbols[i].name);

		if (!fn) {
			*missing = symbols[i].name;
			return false;
		}
		/* POSIX: a function pointer and void * convert both ways (dlsym's contract) */
		*(void **)((char *)&lib + symbols[i].offset) = fn;
	}
	return true;
}

const struct curl_lib *curl_lib_get(char *err, size_t err_len)
{
	const char *missing = NULL;

	if (handle)
		return &lib;
	handle = dlopen(CURL_LIB_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		snprintf(err, err_len, "can't load %s (Debian's libcurl4 holds it): %s",
			 CURL_LIB_SONAME, dlerror());
		return NULL;
	}
	if (!resolve(&missing)) {
		snprintf(err, err_len, "%s has no %s", CURL_LIB_SONAME, missing);
		dlclose(handle);
		handle = NULL;
		return NULL;
	}
	return &lib;
}
