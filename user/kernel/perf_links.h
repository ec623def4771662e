/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_PERF_LINKS_H
#define MEMSIGHT_PERF_LINKS_H

#include <stdint.h>

struct bpf_program;
struct bpf_link;

/*
 * A BPF program on a software perf event of every online CPU: perf_event
 * programs have no auto-attach. Page faults come this way where the
 * exceptions tracepoints are missing (arm64, or asked for).
 */
struct perf_links {
	struct bpf_link **links;
	int count, cap;
};

/*
 * prog on the software event config (PERF_COUNT_SW_*) of every online CPU, run
 * for each event, added to links. 0, or -errno with why in err (what was
 * attached stays in links for perf_links_destroy).
 */
int perf_links_attach(struct perf_links *links, struct bpf_program *prog, uint64_t config,
		      const char *what, char *err, size_t err_len);
void perf_links_destroy(struct perf_links *links);

#endif
