// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc_anon.h"

int proc_anon_parse_status(const char *text, struct proc_anon *out)
{
	const char *name = strstr(text, "Name:\t"), *anon = strstr(text, "\nRssAnon:");
	unsigned long long kib;

	if (!anon || sscanf(anon, "\nRssAnon: %llu kB", &kib) != 1)
		return -EINVAL;
	out->anon_bytes = kib * 1024;
	out->comm[0] = '\0';
	if (name) {
		size_t n = strcspn(name + 6, "\n");

		if (n >= sizeof(out->comm))
			n = sizeof(out->comm) - 1;
		memcpy(out->comm, name + 6, n);
		out->comm[n] = '\0';
	}
	return 0;
}

static int read_status(uint32_t pid, struct proc_anon *out)
{
	char path[64], text[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	text[n] = '\0';
	out->pid = pid;
	return proc_anon_parse_status(text, out);
}

unsigned int proc_anon_read(const char *cgroup_dir, struct proc_anon *out)
{
	char path[8192];
	unsigned int n = 0, pid;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup_dir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (n < PROC_ANON_MAX && fscanf(f, "%u", &pid) == 1)
		if (!read_status(pid, &out[n]))
			n++;
	fclose(f);
	return n;
}

int proc_anon_grew_most(const struct proc_anon *before, unsigned int before_n,
			const struct proc_anon *now, unsigned int now_n, uint64_t *growth)
{
	int best = -1;

	*growth = 0;
	for (unsigned int i = 0; i < now_n; i++) {
		uint64_t was = 0, grew;

		for (unsigned int j = 0; j < before_n; j++)
			if (before[j].pid == now[i].pid)
				was = before[j].anon_bytes;
		grew = now[i].anon_bytes > was ? now[i].anon_bytes - was : 0;
		if (grew > *growth) {
			*growth = grew;
			best = (int)i;
		}
	}
	return best;
}
