/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_PROC_MAPS_H
#define MEMSIGHT_PROC_MAPS_H

#include <stdbool.h>
#include <stdint.h>

/* One line of /proc/PID/maps. Pure: text in, struct out. */

#define PROC_MAPS_PATH_LEN 512

struct proc_mapping {
	uint64_t start, end; /* [start, end) in the process */
	uint64_t offset;     /* file offset mapped at start */
	uint64_t inode;	     /* 0: anonymous ([heap], [stack], [vdso], ...) */
	bool exec;
	bool deleted;		       /* the file was removed or replaced since it was mapped */
	bool path_cut;		       /* longer than path holds: it names another file */
	char path[PROC_MAPS_PATH_LEN]; /* as the process sees it: inside its root */
};

/*
 * 0, or -EINVAL for a line that is not a mapping. line is one whole line of the
 * file (a path is up to PATH_MAX, escaped): a piece of one would let a process
 * that names its file after a maps line add a mapping. A path that does not fit
 * is cut and path_cut set.
 */
int proc_maps_parse_line(const char *line, struct proc_mapping *m);

#endif
