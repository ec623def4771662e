/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_KERNEL_SYMBOLS_H
#define MEMSIGHT_KERNEL_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

/* The kernel's function symbols from /proc/kallsyms text (parsing is pure). */

struct kernel_symbols;

/*
 * From kallsyms text (kallsyms_read below reads the file). Addresses all 0
 * (kptr_restrict) give an empty table: frames then show as addresses.
 */
struct kernel_symbols *kernel_symbols__parse(const char *text);
/* /proc/kallsyms; NULL with errno set when it can't be read. */
struct kernel_symbols *kernel_symbols__read(void);
void kernel_symbols__free(struct kernel_symbols *k);
/* The function at or before address, NULL when none. */
const char *kernel_symbols__lookup(const struct kernel_symbols *k, uint64_t address);
size_t kernel_symbols__count(const struct kernel_symbols *k);

#endif
