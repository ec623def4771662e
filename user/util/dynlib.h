/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_DYNLIB_H
#define MEMSIGHT_DYNLIB_H

#include <stddef.h>

/*
 * A library loaded with dlopen when first needed, not linked: the agent
 * (`stream`, `run`) then maps only what it uses, and pays for a big library
 * (libcurl and the TLS libraries it pulls in, relocated by the dynamic
 * loader) only when, and after, it needs it.
 */
struct dynlib_symbol {
	const char *name;
	size_t offset; /* of the function pointer in the caller's table */
};

#define DYNLIB_SYMBOL(table_type, field, name)                                                     \
	{                                                                                          \
		name, offsetof(table_type, field)                                                  \
	}

/*
 * Loads soname and fills table with every symbol, or returns NULL with a
 * one-line reason in err naming package (the Debian package that holds it).
 */
void *dynlib_open(const char *soname, const char *package, const struct dynlib_symbol *symbols,
		  size_t count, void *table, char *err, size_t err_len);

#endif
