// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Page faults through perf_event programs, the fallback where the exceptions
 * tracepoints are missing (arm64, pre-5.5) or not wanted: one software event
 * per CPU and kind, each with the program attached.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "loader.h"
#include "loader_internal.h"
#include "memsight.skel.h"

static int perf_event_open_on(__u64 config, int cpu)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = config,
		.sample_period = 1, /* every fault runs the program, which only adds */
	};

	return (int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

/* perf_event programs have no auto-attach: one event per CPU and kind. */
int loader_attach_perf_faults(struct loader *loader, char *err, size_t err_len)
{
	int cpus = libbpf_num_possible_cpus(), n = 0;

	if (cpus <= 0) {
		snprintf(err, err_len, "can't count CPUs: %s", loader_error_text(cpus));
		return cpus ? cpus : -EINVAL;
	}
	loader->perf_links = calloc((size_t)cpus * 2, sizeof(*loader->perf_links));
	if (!loader->perf_links)
		return -ENOMEM;
	for (int cpu = 0; cpu < cpus; cpu++) {
		for (int major = 0; major < 2; major++) {
			struct bpf_program *prog = major ? loader->skel->progs.faults_perf_major
							 : loader->skel->progs.faults_perf_minor;
			int fd = perf_event_open_on(major ? PERF_COUNT_SW_PAGE_FAULTS_MAJ
							  : PERF_COUNT_SW_PAGE_FAULTS_MIN,
						    cpu);
			struct bpf_link *link;

			if (fd < 0) {
				if (errno == ENODEV)
					continue; /* a possible CPU that is not online */
				snprintf(err, err_len, "perf_event_open(page faults, cpu %d): %s",
					 cpu, strerror(errno));
				return -errno;
			}
			link = bpf_program__attach_perf_event(prog, fd);
			if (!link) {
				int ret = -errno;

				close(fd);
				snprintf(err, err_len, "can't attach to page-fault events: %s",
					 loader_error_text(ret));
				return ret;
			}
			loader->perf_links[n++] = link;
			loader->perf_link_count = n;
		}
	}
	return 0;
}

void loader_detach_perf_faults(struct loader *loader)
{
	for (int i = 0; i < loader->perf_link_count; i++)
		bpf_link__destroy(loader->perf_links[i]);
	free(loader->perf_links);
	loader->perf_links = NULL;
	loader->perf_link_count = 0;
}
