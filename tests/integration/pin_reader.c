// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test helper: reads the ring buffer `memsight run --pin DIR` pinned, with
 * plain libbpf and the raw record layout of memsight/records.h (bpf/memsight.h
 * in the tree), as another agent would. Prints one line per OOM record:
 *   oom version=V header=H pid=P tid=T comm=C cgroup_id=N path=/a/b limit=L
 * (V: the record's layout version, H: the one this reader was built with)
 * and exits after the first one, or after SECONDS (status 1). With PATH, only a
 * kill in the memcg at PATH ends it: the ring is node-wide, and other kills on
 * the node print as "other ..." lines.
 *
 * Usage: pin_reader DIR SECONDS [PATH]
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memsight.h"

static int done;
static const char *wanted_path;

/* The record's path into out: names are stored leaf first. */
static void format_path(const struct memsight_cgroup *cg, char *out, size_t len)
{
	size_t used = 0;

	snprintf(out, len, "/");
	for (int i = (int)cg->depth - 1; i >= 0 && used < len; i--) {
		int n = snprintf(out + used, len - used, "/%.*s", MEMSIGHT_CGROUP_NAME_LEN,
				 cg->names[i]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static int on_record(void *ctx, void *data, size_t size)
{
	const struct memsight_record_header *hdr = data;
	const struct memsight_oom_record *rec = data;

	char path[MEMSIGHT_CGROUP_LEVELS_MAX * (MEMSIGHT_CGROUP_NAME_LEN + 1) + 2];
	bool ours;

	if (size < sizeof(*hdr) || hdr->type != MEMSIGHT_RECORD_OOM_KILL || size < sizeof(*rec))
		return 0;
	format_path(&rec->victim_cgroup, path, sizeof(path));
	ours = !wanted_path || !strcmp(path, wanted_path);
	printf("%s version=%u header=%u pid=%u tid=%u comm=%.*s cgroup_id=%llu path=%s "
	       "limit=%llu\n",
	       ours ? "oom" : "other", hdr->version, MEMSIGHT_RECORD_VERSION, rec->victim_pid,
	       rec->victim_tid, MEMSIGHT_COMM_LEN, rec->victim_comm,
	       (unsigned long long)rec->victim_cgroup.id, path,
	       (unsigned long long)rec->memcg_limit_bytes);
	fflush(stdout);
	done = ours;
	return 0;
}

int main(int argc, char **argv)
{
	char path[4096];
	struct ring_buffer *rb;
	time_t end;
	int fd;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: pin_reader DIR SECONDS [PATH]\n");
		return 2;
	}
	wanted_path = argc == 4 ? argv[3] : NULL;
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
