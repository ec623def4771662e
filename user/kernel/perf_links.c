// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "perf_links.h"

static int perf_event_open_on(uint64_t config, int cpu)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = config,
		.sample_period = 1, /* every event runs the program (it counts, or samples) */
	};

	return (int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

/* Room for one more link per possible CPU; the CPU count, or -errno. */
static int reserve(struct perf_links *links, char *err, size_t err_len)
{
	int cpus = libbpf_num_possible_cpus();
	struct bpf_link **grown;

	if (cpus <= 0) {
		snprintf(err, err_len, "can't count the possible CPUs: %s",
			 strerror(cpus ? -cpus : EINVAL));
		return cpus ? cpus : -EINVAL;
	}
	if (links->count + cpus <= links->cap)
		return cpus;
	grown = realloc(links->links, (size_t)(links->count + cpus) * sizeof(*grown));
	if (!grown) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	links->links = grown;
	links->cap = links->count + cpus;
	return cpus;
}

int perf_links_attach(struct perf_links *links, struct bpf_program *prog, uint64_t config,
		      const char *what, char *err, size_t err_len)
{
	int cpus = reserve(links, err, err_len);

	for (int cpu = 0; cpu < cpus; cpu++) {
		int fd = perf_event_open_on(config, cpu), ret;
		struct bpf_link *link;

		if (fd < 0 && errno == ENODEV)
			continue; /* a possible CPU that is not online */
		if (fd < 0) {
			ret = -errno;
			snprintf(err, err_len, "perf_event_open(%s, cpu %d): %s", what, cpu,
				 strerror(-ret));
			return ret;
		}
		link = bpf_program__attach_perf_event(prog, fd);
		if (!link) {
			ret = -errno;
			close(fd);
			snprintf(err, err_len, "can't attach to %s events: %s", what,
				 strerror(-ret));
			return ret;
		}
		links->links[links->count++] = link; /* the link owns fd now */
	}
	return cpus < 0 ? cpus : 0;
}

void perf_links_destroy(struct perf_links *links)
{
	for (int i = 0; i < links->count; i++)
		bpf_link__destroy(links->links[i]);
	free(links->links);
	*links = (struct perf_links){ 0 };
}
