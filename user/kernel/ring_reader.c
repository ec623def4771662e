// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "ring_reader.h"

int ring_reader__open(struct ring_reader *r, int map_fd, size_t max_entries, ring_reader_fn fn,
		      void *ctx)
{
	void *consumer, *producer;

	r->map_fd = -1;
	r->consumer_pos = NULL;
	r->producer_pos = NULL;
	r->page = (size_t)sysconf(_SC_PAGESIZE);
	/* the kernel makes it a power of two and a multiple of the page */
	if (!max_entries || max_entries & (max_entries - 1) || max_entries % r->page)
		return -EINVAL;
	consumer = mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (consumer == MAP_FAILED)
		return -errno;
	producer = mmap(NULL, r->page, PROT_READ, MAP_SHARED, map_fd, (off_t)r->page);
	if (producer == MAP_FAILED) {
		int ret = -errno;

		munmap(consumer, r->page);
		return ret;
	}
	r->map_fd = map_fd;
	r->size = max_entries;
	r->consumer_pos = consumer;
	r->producer_pos = producer;
	r->fn = fn;
	r->ctx = ctx;
	return 0;
}

/*
 * The records in [*cons, prod), whose first byte is at `first`: 1 when a
 * record is still being written, 0 when all were read, or the callback's
 * negative return.
 */
static int deliver(struct ring_reader *r, const char *first, unsigned long *cons,
		   unsigned long prod, int *count)
{
	unsigned long start = *cons;

	while (*cons < prod) {
		uint32_t *header = (uint32_t *)(first + (*cons - start));
		uint32_t len = __atomic_load_n(header, __ATOMIC_ACQUIRE);
		int ret = 0;

		if (len & BPF_RINGBUF_BUSY_BIT)
			return 1;
		*cons += ((len & ~BPF_RINGBUF_DISCARD_BIT) + BPF_RINGBUF_HDR_SZ + 7) & ~7UL;
		if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
			ret = r->fn(r->ctx, (char *)header + BPF_RINGBUF_HDR_SZ,
				    len & ~BPF_RINGBUF_DISCARD_BIT);
			if (ret >= 0 && *count < INT32_MAX)
				(*count)++;
		}
		__atomic_store_n(r->consumer_pos, *cons, __ATOMIC_RELEASE);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int ring_reader__consume(struct ring_reader *r)
{
	unsigned long cons, prod;
	int count = 0, ret = 0;

	if (!r->consumer_pos)
		return 0; /* not opened (a ring left to another reader) */
	cons = __atomic_load_n(r->consumer_pos, __ATOMIC_ACQUIRE);
	while (!ret && (prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE)) > cons) {
		/*
		 * The data pages follow the two position pages, mapped twice in a row:
		 * a window from the consumer position holds every waiting record whole.
		 */
		size_t start = cons & (r->size - 1), skip = start % r->page;
		size_t len = (skip + (prod - cons) + r->page - 1) / r->page * r->page;
		char *window = mmap(NULL, len, PROT_READ, MAP_SHARED, r->map_fd,
				    (off_t)(2 * r->page + start - skip));

		if (window == MAP_FAILED)
			return -errno;
		ret = deliver(r, window + skip, &cons, prod, &count);
		munmap(window, len);
	}
	return ret < 0 ? ret : count;
}

void ring_reader__close(struct ring_reader *r)
{
	if (r->consumer_pos)
		munmap(r->consumer_pos, r->page);
	if (r->producer_pos)
		munmap((void *)r->producer_pos, r->page);
	r->consumer_pos = NULL;
	r->producer_pos = NULL;
	r->map_fd = -1;
}
