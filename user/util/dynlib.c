// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dlfcn.h>
#include <stdio.h>

#include "dynlib.h"

void *dynlib_open(const char *soname, const char *package, const struct dynlib_symbol *symbols,
		  size_t count, void *table, char *err, size_t err_len)
{
	void *handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (!handle) {
		snprintf(err, err_len, "can't load %s (Debian's %s holds it): %s", soname, package,
			 dlerror());
		return NULL;
	}
	for (size_t i = 0; i < count; i++) {
		void *fn = dlsym(handle, symbols[i].name);

		if (!fn) {
			snprintf(err, err_len, "%s has no %s", soname, symbols[i].name);
			dlclose(handle);
			return NULL;
		}
		/* POSIX: a function pointer and void * convert both ways (dlsym's contract) */
		*(void **)((char *)table + symbols[i].offset) = fn;
	}
	return handle;
}
