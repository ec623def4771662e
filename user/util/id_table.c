// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>

#include "id_table.h"

struct id_entry {
	struct id_entry *next;
	uint64_t id;
	unsigned char value[];
};

struct id_table {
	size_t value_size;
	unsigned int count;
	unsigned int bucket_count;
	struct id_entry **buckets;
};

static unsigned int bucket_of(const struct id_table *table, uint64_t id)
{
	/* cgroup ids are inode numbers: mix them before taking a bucket */
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return (unsigned int)(id % table->bucket_count);
}

struct id_table *id_table__new(size_t value_size)
{
	struct id_table *table = calloc(1, sizeof(*table));

	if (!table)
		return NULL;
	table->value_size = value_size;
	table->bucket_count = 1024;
	table->buckets = calloc(table->bucket_count, sizeof(*table->buckets));
	if (!table->buckets) {
		free(table);
		return NULL;
	}
	return table;
}

void id_table__free(struct id_table *table)
{
	if (!table)
		return;
	for (unsigned int b = 0; b < table->bucket_count; b++) {
		struct id_entry *e = table->buckets[b], *next;

		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(table->buckets);
	free(table);
}

static void grow(struct id_table *table)
{
	unsigned int old_count = table->bucket_count;
	struct id_entry **old = table->buckets, **grown;

	grown = calloc((size_t)old_count * 2, sizeof(*grown));
	if (!grown)
		return; /* keep working with longer chains */
	table->buckets = grown;
	table->bucket_count = old_count * 2;
	for (unsigned int b = 0; b < old_count; b++) {
		struct id_entry *e = old[b], *next;

		for (; e; e = next) {
			unsigned int nb = bucket_of(table, e->id);

			next = e->next;
			e->next = grown[nb];
			grown[nb] = e;
		}
	}
	free(old);
}

void *id_table__find(const struct id_table *table, uint64_t id)
{
	for (struct id_entry *e = table->buckets[bucket_of(table, id)]; e; e = e->next)
		if (e->id == id)
			return e->value;
	return NULL;
}

void *id_table__get(struct id_table *table, uint64_t id)
{
	void *value = id_table__find(table, id);
	struct id_entry *e;
	unsigned int b;

	if (value)
		return value;
	if (table->count >= table->bucket_count * 2)
		grow(table);
	e = calloc(1, sizeof(*e) + table->value_size);
	if (!e)
		return NULL;
	e->id = id;
	b = bucket_of(table, id);
	e->next = table->buckets[b];
	table->buckets[b] = e;
	table->count++;
	return e->value;
}

void id_table__remove(struct id_table *table, uint64_t id)
{
	struct id_entry **link = &table->buckets[bucket_of(table, id)];

	for (; *link; link = &(*link)->next) {
		if ((*link)->id == id) {
			struct id_entry *gone = *link;

			*link = gone->next;
			free(gone);
			table->count--;
			return;
		}
	}
}

unsigned int id_table__count(const struct id_table *table)
{
	return table ? table->count : 0;
}

void id_table__each(struct id_table *table, void (*fn)(uint64_t id, void *value, void *ctx),
		    void *ctx)
{
	for (unsigned int b = 0; b < table->bucket_count; b++)
		for (struct id_entry *e = table->buckets[b]; e; e = e->next)
			fn(e->id, e->value, ctx);
}

void id_table__remove_if(struct id_table *table, bool (*pred)(uint64_t id, void *value, void *ctx),
			 void *ctx)
{
	for (unsigned int b = 0; b < table->bucket_count; b++) {
		struct id_entry **link = &table->buckets[b];

		while (*link) {
			struct id_entry *e = *link;

			if (pred(e->id, e->value, ctx)) {
				*link = e->next;
				free(e);
				table->count--;
			} else {
				link = &e->next;
			}
		}
	}
}
