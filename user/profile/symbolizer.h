/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_SYMBOLIZER_H
#define MEMSIGHT_SYMBOLIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proc_maps.h"

/*
 * Addresses of profiled processes to function names. Each process's
 * executable mappings come from /proc/PID/maps, read when it is first seen;
 * its files are opened through its root (/proc/PID/root, held open from then
 * on, so a container's binaries resolve and stay reachable after it exits)
 * and read with libelf once per file (elf_symbols). Kernel frames come from
 * /proc/kallsyms.
 */

struct symbolizer;

/* What a frame resolved to. name is always set: a function, else module+0xoffset. */
struct symbolized_frame {
	char name[512];
	const struct proc_mapping *mapping; /* NULL: no file mapping (JIT, [vdso], ...) */
	const char *build_id;		    /* "" when unknown */
	bool resolved;			    /* named from a symbol table */
};

struct symbolizer *symbolizer__new(void);
void symbolizer__free(struct symbolizer *s);

/*
 * Reads the process's maps, comm and root now. 0 (also when seen before), or
 * -errno with why in err (e.g. its /proc entry is not visible from here, or it
 * has exited); the process is kept either way, named comm (when not NULL and
 * /proc has none), its frames then addresses.
 */
int symbolizer__add_process(struct symbolizer *s, uint32_t pid, const char *comm, char *err,
			    size_t err_len);
/*
 * Reads the maps of a process added before once more. Its first sample may
 * come while it execs (the kernel faults the new image in, in execve): maps
 * read then hold the old image, or the new one without its libraries yet.
 * The new read comes first; what the first had outside it stays behind it.
 * 0, or -errno with the first read kept (e.g. the process has exited).
 */
int symbolizer__reread_maps(struct symbolizer *s, uint32_t pid);
/* The comm read by add_process, "" when unknown. */
const char *symbolizer__comm(struct symbolizer *s, uint32_t pid);

/*
 * A user-space frame: leaf is the faulting instruction itself; every other
 * frame is a return address, looked up one byte before (the call it returns
 * from, which may be a function's last instruction).
 */
void symbolizer__user_frame(struct symbolizer *s, uint32_t pid, uint64_t address, bool leaf,
			    struct symbolized_frame *out);
void symbolizer__kernel_frame(struct symbolizer *s, uint64_t address, struct symbolized_frame *out);

/*
 * Files that could not be read, one line each ("path: why", the path made
 * terminal-safe), for the summary; "" if none.
 */
const char *symbolizer__problems(struct symbolizer *s);

#endif
