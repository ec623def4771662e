/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_FILE_LIMIT_H
#define MEMSIGHT_FILE_LIMIT_H

/*
 * Raises the soft limit on open files to the hard one, as Go programs do at
 * start: for a process that holds a file per client or per profiled process
 * (1024, the usual soft limit, runs out). 0, or -errno.
 */
int file_limit_raise(void);

#endif
