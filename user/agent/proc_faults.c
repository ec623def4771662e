// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "id_table.h"
#include "proc_faults.h"

struct proc_state {
	uint64_t minflt, majflt;
	unsigned int idle_rounds;
	bool seen;
};

struct proc_faults {
	struct id_table *procs; /* by pid */
};

int proc_stat_parse(const char *line, char comm[16], uint64_t *minflt, uint64_t *majflt)
{
	/* "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt ..." */
	const char *open = strchr(line, '('), *close = strrchr(line, ')');
	unsigned long long min, maj;
	size_t n;

	if (!open || !close || close < open)
		return -EINVAL;
	n = (size_t)(close - open - 1);
	if (n > 15)
		n = 15; /* the kernel's comm is at most 15 bytes; never trust it */
	memcpy(comm, open + 1, n);
	comm[n] = '\0';
	if (sscanf(close + 1, " %*c %*d %*d %*d %*d %*d %*u %llu %*u %llu", &min, &maj) != 2)
		return -EINVAL;
	*minflt = min;
	*majflt = maj;
	return 0;
}

struct proc_faults *proc_faults__new(void)
{
	struct proc_faults *pf = calloc(1, sizeof(*pf));

	if (!pf)
		return NULL;
	pf->procs = id_table__new(sizeof(struct proc_state));
	if (!pf->procs) {
		free(pf);
		return NULL;
	}
	return pf;
}

void proc_faults__free(struct proc_faults *pf)
{
	if (!pf)
		return;
	id_table__free(pf->procs);
	free(pf);
}

static void consider(struct proc_fault_entry top[PROC_FAULTS_TOP], unsigned int *count,
		     const struct proc_fault_entry *e)
{
	unsigned int at = *count < PROC_FAULTS_TOP ? (*count)++ : PROC_FAULTS_TOP;

	if (at == PROC_FAULTS_TOP) {
		/* full: replace the smallest if this one is larger */
		if (e->minor + e->major <=
		    top[PROC_FAULTS_TOP - 1].minor + top[PROC_FAULTS_TOP - 1].major)
			return;
		at = PROC_FAULTS_TOP - 1;
	}
	top[at] = *e;
	while (at > 0 && top[at].minor + top[at].major > top[at - 1].minor + top[at - 1].major) {
		struct proc_fault_entry tmp = top[at - 1];

		top[at - 1] = top[at];
		top[at] = tmp;
		at--;
	}
}

unsigned int proc_faults__top(struct proc_faults *pf, const char *cgroup_dir,
			      struct proc_fault_entry top[PROC_FAULTS_TOP])
{
	char path[8192], line[1024];
	unsigned int count = 0;
	FILE *procs, *stat;
	unsigned int pid;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup_dir);
	procs = fopen(path, "r");
	if (!procs)
		return 0;
	while (fscanf(procs, "%u", &pid) == 1) {
		struct proc_fault_entry e = { .pid = pid };
		struct proc_state *st;
		uint64_t minflt, majflt;
		bool fresh;

		snprintf(path, sizeof(path), "/proc/%u/stat", pid);
		stat = fopen(path, "r");
		if (!stat)
			continue; /* exited meanwhile */
		if (!fgets(line, sizeof(line), stat) ||
		    proc_stat_parse(line, e.comm, &minflt, &majflt)) {
			fclose(stat);
			continue;
		}
		fclose(stat);
		st = id_table__get(pf->procs, pid);
		if (!st)
			continue;
		fresh = !st->seen;
		/*
		 * First sight, or counters below the last reading (the pid was reused):
		 * the process's own totals stand for the interval. A process that was
		 * already long-lived when first seen is over-counted once.
		 */
		if (fresh || minflt < st->minflt || majflt < st->majflt) {
			e.minor = minflt;
			e.major = majflt;
		} else {
			e.minor = minflt - st->minflt;
			e.major = majflt - st->majflt;
		}
		st->minflt = minflt;
		st->majflt = majflt;
		st->seen = true;
		st->idle_rounds = 0;
		if (e.minor || e.major)
			consider(top, &count, &e);
	}
	fclose(procs);
	return count;
}

static bool idle_long(uint64_t pid, void *value, void *ctx)
{
	/* Not seen in a minute of intervals: exited, or no longer in a faulting cgroup. */
	return ++((struct proc_state *)value)->idle_rounds >= 60;
}

void proc_faults__expire(struct proc_faults *pf)
{
	id_table__remove_if(pf->procs, idle_long, NULL);
}
