/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_PROC_FAULTS_H
#define MEMSIGHT_PROC_FAULTS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The top faulting processes of a cgroup, from the kernel's own per-process
 * counters (/proc/PID/stat minflt, majflt) read only for cgroups whose faults
 * moved: no per-process work in the kernel's fault path.
 */

#define PROC_FAULTS_TOP 5

struct proc_fault_entry {
	uint32_t pid;
	char comm[16];
	uint64_t minor;
	uint64_t major;
};

struct proc_faults;

struct proc_faults *proc_faults__new(void);
void proc_faults__free(struct proc_faults *pf);
/*
 * Fills top[] (most faults first) with the processes in the cgroup directory
 * whose counters moved since the last call for them; returns how many.
 */
unsigned int proc_faults__top(struct proc_faults *pf, const char *cgroup_dir,
			      struct proc_fault_entry top[PROC_FAULTS_TOP]);
/* Drops processes not seen for a while; call once per interval. */
void proc_faults__expire(struct proc_faults *pf);

/* Parses a /proc/PID/stat line: comm, minflt and majflt. Pure; -EINVAL if malformed. */
int proc_stat_parse(const char *line, char comm[16], uint64_t *minflt, uint64_t *majflt);

#endif
