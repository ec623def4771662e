// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "count_maps.h"
#include "memsight.h"

/* Entries per batch read: small buffers, few system calls. */
#define BATCH_ENTRIES 256

uint32_t count_slots_wanted(void)
{
	FILE *f = fopen("/proc/cgroups", "r");
	unsigned int hierarchy, cgroups = 0, enabled;
	char line[256], name[64];
	uint32_t slots = MEMSIGHT_SLOTS_DEFAULT;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %u %u %u", name, &hierarchy, &cgroups, &enabled) == 4 &&
		    !strcmp(name, "memory"))
			break;
	if (f)
		fclose(f);
	/*
	 * memcg ids are handed out lowest first, so twice today's memcgs leaves
	 * room to grow; a memcg past the array is counted in the overflow hash.
	 */
	while (slots < MEMSIGHT_SLOTS_MAX && slots < 2 * (uint64_t)cgroups)
		slots *= 2;
	return slots;
}

static void visit(const struct count_table *t, count_entry_fn fn, void *ctx, uint64_t key,
		  const uint64_t *value)
{
	fn(ctx, key, value + t->skip);
}

/* Key by key: kernels without batch lookups, or a bucket larger than a batch. */
static int read_by_key(struct count_table *t, count_entry_fn fn, void *ctx)
{
	uint64_t key, next;
	bool first = true;

	while (!bpf_map_get_next_key(t->fd, first ? NULL : &key, &next)) {
		first = false;
		key = next;
		/* deleted meanwhile: the walk restarts, and a second visit adds nothing */
		if (!bpf_map_lookup_elem(t->fd, &key, t->values))
			visit(t, fn, ctx, key, t->values);
	}
	return errno == ENOENT ? 0 : -errno;
}

static int count_table_read(void *src, count_entry_fn fn, void *ctx)
{
	struct count_table *t = src;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint64_t token = 0;
	bool first = true;

	size_t stride = t->value_size / sizeof(uint64_t);

	for (;;) {
		__u32 count = BATCH_ENTRIES;
		int ret = bpf_map_lookup_batch(t->fd, first ? NULL : &token, &token, t->keys,
					       t->values, &count, &opts);
		int err = ret ? errno : 0;

		/* no batch lookups (EINVAL) or a bucket over BATCH_ENTRIES (ENOSPC) */
		if (ret && err != ENOENT)
			return read_by_key(t, fn, ctx);
		for (__u32 i = 0; i < count; i++)
			visit(t, fn, ctx, t->keys[i], t->values + i * stride);
		if (err == ENOENT)
			return 0;
		first = false;
	}
}

static void count_table_delete(void *src, uint64_t cgroup_id)
{
	struct count_table *t = src;

	bpf_map_delete_elem(t->fd, &cgroup_id);
}

static void *map_slots(struct bpf_map *map, size_t *len)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t bytes = (size_t)bpf_map__value_size(map) * bpf_map__max_entries(map);
	void *mem;

	*len = (bytes + page - 1) / page * page;
	mem = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(map), 0);
	return mem == MAP_FAILED ? NULL : mem;
}

int count_maps__open(struct count_source *source, struct count_table *table, struct bpf_map *slots,
		     struct bpf_map *hash, uint32_t skip, uint32_t counters)
{
	memset(source, 0, sizeof(*source));
	memset(table, 0, sizeof(*table));
	table->fd = bpf_map__fd(hash);
	table->value_size = bpf_map__value_size(hash);
	table->skip = skip;
	table->counters = counters;
	if ((skip + counters) * sizeof(uint64_t) != table->value_size)
		return -EINVAL;
	table->keys = calloc(BATCH_ENTRIES, sizeof(*table->keys));
	table->values = calloc(BATCH_ENTRIES, table->value_size);
	if (!table->keys || !table->values) {
		count_maps__close(source, table);
		return -ENOMEM;
	}
	source->counters = counters;
	source->read_table = count_table_read;
	source->delete_entry = count_table_delete;
	source->src = table;
	if (!slots)
		return 0;
	if (bpf_map__value_size(slots) != (SLOT_HEADER_WORDS + counters) * sizeof(uint64_t)) {
		count_maps__close(source, table);
		return -EINVAL;
	}
	source->slots = map_slots(slots, &table->slots_len);
	if (!source->slots) {
		int ret = -errno;

		count_maps__close(source, table);
		return ret;
	}
	source->slot_count = bpf_map__max_entries(slots);
	return 0;
}

void count_maps__close(struct count_source *source, struct count_table *table)
{
	/* the whole mapping: a page left mapped would keep the map alive after its fd closes */
	if (source->slots)
		munmap(source->slots, table->slots_len);
	free(table->keys);
	free(table->values);
	memset(source, 0, sizeof(*source));
	memset(table, 0, sizeof(*table));
}
