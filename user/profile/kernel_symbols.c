// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_symbols.h"

struct kernel_symbol {
	uint64_t address;
	char *name;
};

struct kernel_symbols {
	struct kernel_symbol *symbols;
	size_t count, cap;
};

static int by_address(const void *a, const void *b)
{
	const struct kernel_symbol *x = a, *y = b;

	return x->address < y->address ? -1 : x->address > y->address;
}

static int add_symbol(struct kernel_symbols *k, uint64_t address, const char *name)
{
	if (k->count == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 4096;
		struct kernel_symbol *grown = realloc(k->symbols, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		k->symbols = grown;
		k->cap = cap;
	}
	k->symbols[k->count].name = strdup(name);
	if (!k->symbols[k->count].name)
		return -ENOMEM;
	k->symbols[k->count++].address = address;
	return 0;
}

struct kernel_symbols *kernel_symbols__parse(const char *text)
{
	struct kernel_symbols *k = calloc(1, sizeof(*k));
	const char *line = text;

	if (!k)
		return NULL;
	while (line && *line) {
		char type, name[256];
		uint64_t address;

		/* "ffffffff81000000 T _stext" and "... t name [module]": text symbols only */
		if (sscanf(line, "%" SCNx64 " %c %255s", &address, &type, name) == 3 && address &&
		    (type == 't' || type == 'T' || type == 'w' || type == 'W') &&
		    add_symbol(k, address, name)) {
			kernel_symbols__free(k);
			return NULL;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	qsort(k->symbols, k->count, sizeof(*k->symbols), by_address);
	return k;
}

struct kernel_symbols *kernel_symbols__read(void)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	struct kernel_symbols *k;
	char *text = NULL;
	size_t len = 0;
	ssize_t n;

	if (!f)
		return NULL;
	/* one read of the whole file: kallsyms has no size to stat */
	n = getdelim(&text, &len, '\0', f);
	fclose(f);
	if (n < 0) {
		free(text);
		return NULL;
	}
	k = kernel_symbols__parse(text);
	free(text);
	return k;
}

void kernel_symbols__free(struct kernel_symbols *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->count; i++)
		free(k->symbols[i].name);
	free(k->symbols);
	free(k);
}

const char *kernel_symbols__lookup(const struct kernel_symbols *k, uint64_t address)
{
	size_t lo = 0, hi = k ? k->count : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->symbols[mid].address <= address)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? k->symbols[lo - 1].name : NULL;
}

size_t kernel_symbols__count(const struct kernel_symbols *k)
{
	return k ? k->count : 0;
}
