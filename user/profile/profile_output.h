/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_PROFILE_OUTPUT_H
#define MEMSIGHT_PROFILE_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "pprof.h"
#include "strbuf.h"

/*
 * A fault profile, symbolized, written as folded stacks or as pprof. Pure:
 * the stacks in, the bytes out.
 */

struct profile_frame {
	const char *name; /* a function, or module+0xoffset: never empty */
	uint64_t address;
	const struct pprof_mapping *mapping; /* NULL: no file behind it */
};

struct profile_stack {
	uint32_t pid;
	const char *comm;
	const char *cgroup;		    /* memcg path; "" when unknown */
	const char *container;		    /* container name (else id); "" when not in one */
	const char *pod;		    /* "" outside Kubernetes */
	const char *namespace;		    /* "" outside Kubernetes */
	const struct profile_frame *frames; /* leaf first: kernel frames, then user frames */
	size_t frame_count;
	uint64_t samples; /* sampled faults */
	uint64_t bytes;	  /* page size per sampled fault */
};

struct profile_meta {
	int64_t time_ns; /* start, CLOCK_REALTIME */
	int64_t duration_ns;
	uint64_t faults_matched; /* faults of the profiled processes */
	uint64_t faults_sampled;
	const char *comment; /* a line about the run; NULL: none */
};

/*
 * One line per distinct stack, `comm;outermost;...;leaf count` (the process
 * name as the root frame, as flame graph tools expect), most sampled first.
 * ';', control characters (C0, DEL, C1) and malformed UTF-8 in names become
 * one '?' each. 0 or -ENOMEM.
 */
int profile_write_folded(const struct profile_stack *stacks, size_t count, struct strbuf *out);

/*
 * profile.proto, gzipped: sample types faults/count and memory/bytes, labels
 * pid, comm, cgroup, container, pod, namespace; period: faults per sample.
 * 0, or -ENOMEM / -EIO / -EFBIG (pprof__write).
 */
int profile_write_pprof(const struct profile_stack *stacks, size_t count,
			const struct profile_meta *meta, struct strbuf *out);

#endif
