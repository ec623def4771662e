/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_ID_TABLE_H
#define MEMSIGHT_ID_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A hash table keyed by cgroup id (u64) holding fixed-size values, for the
 * per-cgroup state the agent keeps between intervals. Pure.
 */
struct id_table;

struct id_table *id_table__new(size_t value_size);
void id_table__free(struct id_table *table);
/* The value for id, created zeroed when absent (NULL only when out of memory). */
void *id_table__get(struct id_table *table, uint64_t id);
void *id_table__find(const struct id_table *table, uint64_t id);
void id_table__remove(struct id_table *table, uint64_t id);
unsigned int id_table__count(const struct id_table *table);
/* Calls fn for every entry; fn may not add or remove entries. */
void id_table__each(struct id_table *table, void (*fn)(uint64_t id, void *value, void *ctx),
		    void *ctx);

/* Removes every entry for which pred returns true. */
void id_table__remove_if(struct id_table *table, bool (*pred)(uint64_t id, void *value, void *ctx),
			 void *ctx);

#endif
