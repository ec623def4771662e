// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test helper: reads the ring buffer `memsight run --pin DIR` pinned, with
 * plain libbpf and the raw record layout of memsight/records.h (bpf/memsight.h
 * in the tree), as another agent would. Prints one line per OOM record:
 *   oom version=V header=H pid=P tid=T comm=C cgroup_id=N path=/a/b limit=L
 * (V: the record's layout version, H: the one this reader was built with)
 * and exits after the first one, or after SECONDS (status 1).
 *
 * Usage: pin_reader DIR SECONDS
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memsight.h"

static int done;

/* The record's path: names are stored leaf first. */
static void print_path(const struct memsight_cgroup *cg)
{
	if (!cg->depth) {
		printf("/");
		return;
	}
	for (int i = (int)cg->depth - 1; i >= 0; i--)
		printf("/%.*s", MEMSIGHT_CGROUP_NAME_LEN, cg->names[i]);
}

static int on_record(void *ctx, void *data, size_t size)
{
	const struct memsight_record_header *hdr = data;
	const struct memsight_oom_record *rec = data;

	if (size < sizeof(*hdr) || hdr->type != MEMSIGHT_RECORD_OOM_KILL || size < sizeof(*rec))
		return 0;
	printf("oom version=%u header=%u pid=%u tid=%u comm=%.*s cgroup_id=%llu path=",
	       hdr->version, MEMSIGHT_RECORD_VERSION, rec->victim_pid, rec->victim_tid,
	       MEMSIGHT_COMM_LEN, rec->victim_comm, (unsigned long long)rec->victim_cgroup.id);
	print_path(&rec->victim_cgroup);
	printf(" limit=%llu\n", (unsigned long long)rec->memcg_limit_bytes);
	fflush(stdout);
	done = 1;
	return 0;
}

int main(int argc, char **argv)
{
	char path[4096];
	struct ring_buffer *rb;
	time_t end;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: pin_reader DIR SECONDS\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/events", argv[1]);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	rb = ring_buffer__new(fd, on_record, NULL, NULL);
	if (!rb) {
		perror("ring_buffer__new");
		return 1;
	}
	printf("reading %s\n", path);
	fflush(stdout);
	end = time(NULL) + atoi(argv[2]);
	while (!done && time(NULL) < end)
		ring_buffer__poll(rb, 100);
	ring_buffer__free(rb);
	return done ? 0 : 1;
}
