/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_PROC_ANON_H
#define MEMSIGHT_PROC_ANON_H

#include <stdint.h>

/*
 * The anonymous memory of each process in a cgroup, from /proc/PID/status
 * (RssAnon): read only for a container under suspicion of leaking, so the
 * cost is a few small reads per suspect, none per fault.
 */

#define PROC_ANON_MAX 64

struct proc_anon {
	uint32_t pid;
	char comm[16];
	uint64_t anon_bytes;
};

/* The processes of the cgroup directory (cgroup.procs), at most PROC_ANON_MAX; how many. */
unsigned int proc_anon_read(const char *cgroup_dir, struct proc_anon *out);

/* Parses /proc/PID/status text: Name and RssAnon. Pure; -EINVAL without RssAnon (a kernel thread). */
int proc_anon_parse_status(const char *text, struct proc_anon *out);

/*
 * The process that grew most from before to now (by pid; one missing from
 * before grew by all it has). Returns its index in now, or -1 when none grew.
 */
int proc_anon_grew_most(const struct proc_anon *before, unsigned int before_n,
			const struct proc_anon *now, unsigned int now_n, uint64_t *growth);

#endif
