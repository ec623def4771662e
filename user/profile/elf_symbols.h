/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_ELF_SYMBOLS_H
#define MEMSIGHT_ELF_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The function symbols of one ELF file (.symtab, else .dynsym), its loadable
 * segments and its GNU build ID, read with libelf from an open file and kept in
 * memory, so the file may be closed (or its process gone) afterwards.
 */

struct elf_symbols;

/* Reads the file open on fd (not closed). 0, or -errno / -EINVAL (not ELF) with why in err. */
int elf_symbols__read(int fd, struct elf_symbols **out, char *err, size_t err_len);
void elf_symbols__free(struct elf_symbols *s);

/*
 * The file-relative virtual address (what nm prints) of a byte at file offset
 * file_offset, through the PT_LOAD segment that maps it: the same arithmetic
 * serves executables, PIE and shared libraries, whatever their load address.
 * false when no segment maps it.
 */
bool elf_symbols__vaddr(const struct elf_symbols *s, uint64_t file_offset, uint64_t *vaddr);

/*
 * The function containing vaddr, NULL when none does; *start (optional) is the
 * symbol's address. Aliases at one address: the global one first.
 */
const char *elf_symbols__lookup(const struct elf_symbols *s, uint64_t vaddr, uint64_t *start);

/* Lowercase hex of the GNU build ID; "" when the file has none. */
const char *elf_symbols__build_id(const struct elf_symbols *s);
/* Function symbols read, and from which table (".symtab", ".dynsym", "none"). */
size_t elf_symbols__count(const struct elf_symbols *s);
const char *elf_symbols__table(const struct elf_symbols *s);

#endif
