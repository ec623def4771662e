/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_RING_READER_H
#define MEMSIGHT_RING_READER_H

#include <stddef.h>

/*
 * A BPF ring buffer's consumer that maps the records only while it reads
 * them. libbpf's ring_buffer maps the whole data area twice for as long as it
 * lives, and the kernel inserts every page at mmap: a 4 MiB ring costs 8 MiB
 * of resident memory idle. Here only the two position pages stay mapped; the
 * records waiting (between the consumer and producer positions) are mapped,
 * delivered and unmapped in one consume. Same delivery rules as libbpf's:
 * records in order, discarded ones skipped, a busy one ends the pass, a
 * negative return from the callback ends it after that record.
 */
typedef int (*ring_reader_fn)(void *ctx, void *data, size_t size);

struct ring_reader {
	int map_fd; /* the BPF_MAP_TYPE_RINGBUF map */
	size_t size;
	size_t page;
	unsigned long *consumer_pos;	   /* page 0 of the map, writable */
	const unsigned long *producer_pos; /* page 1, read-only */
	ring_reader_fn fn;
	void *ctx;
};

/* max_entries: the map's (its data size). 0 or -errno. */
int ring_reader__open(struct ring_reader *r, int map_fd, size_t max_entries, ring_reader_fn fn,
		      void *ctx);
/* Records delivered, or the callback's negative return, or -errno of a failed mmap. */
int ring_reader__consume(struct ring_reader *r);
void ring_reader__close(struct ring_reader *r);

#endif
