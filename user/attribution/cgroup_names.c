// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>

#include "cgroup_names.h"
#include "id_table.h"

struct name_entry {
	char *path;
	uint64_t removed_ns;
	uint64_t walk; /* the walk that last found it */
};

struct cgroup_names {
	struct id_table *table;
	uint64_t keep_removed_ns;
	uint64_t walk; /* cgroupfs walks since start */
};

struct cgroup_names *cgroup_names__new(uint64_t keep_removed_ns)
{
	struct cgroup_names *names = calloc(1, sizeof(*names));

	if (!names)
		return NULL;
	names->keep_removed_ns = keep_removed_ns;
	names->table = id_table__new(sizeof(struct name_entry));
	if (!names->table) {
		free(names);
		return NULL;
	}
	return names;
}

static void free_path(uint64_t id, void *value, void *ctx)
{
	free(((struct name_entry *)value)->path);
}

void cgroup_names__free(struct cgroup_names *names)
{
	if (!names)
		return;
	id_table__each(names->table, free_path, NULL);
	id_table__free(names->table);
	free(names);
}

void cgroup_names__add(struct cgroup_names *names, uint64_t id, const char *path)
{
	struct name_entry *e = id_table__get(names->table, id);
	char *copy;

	if (!e)
		return;
	e->walk = names->walk;
	if (e->path && !strcmp(e->path, path)) {
		e->removed_ns = 0;
		return;
	}
	copy = strdup(path);
	if (!copy)
		return;
	free(e->path);
	e->path = copy;
	e->removed_ns = 0;
}

void cgroup_names__removed(struct cgroup_names *names, uint64_t id, uint64_t now_ns)
{
	/* Also an id never named: its counting slot must still be released. */
	struct name_entry *e = id_table__get(names->table, id);

	if (e && !e->removed_ns)
		e->removed_ns = now_ns ? now_ns : 1;
}

void cgroup_names__walk_begin(struct cgroup_names *names)
{
	names->walk++;
}

struct walk_end {
	uint64_t walk, now_ns;
	void (*gone)(uint64_t id, const char *path, void *ctx);
	void *ctx;
};

static void mark_unseen(uint64_t id, void *value, void *ctx)
{
	struct name_entry *e = value;
	struct walk_end *w = ctx;

	if (e->removed_ns || e->walk == w->walk)
		return;
	e->removed_ns = w->now_ns ? w->now_ns : 1;
	if (w->gone)
		w->gone(id, e->path, w->ctx);
}

void cgroup_names__walk_end(struct cgroup_names *names, uint64_t now_ns,
			    void (*gone)(uint64_t id, const char *path, void *ctx), void *ctx)
{
	struct walk_end w = { names->walk, now_ns, gone, ctx };

	id_table__each(names->table, mark_unseen, &w);
}

bool cgroup_names__is_removed(const struct cgroup_names *names, uint64_t id)
{
	const struct name_entry *e = id_table__find(names->table, id);

	return e && e->removed_ns;
}

const char *cgroup_names__path(const struct cgroup_names *names, uint64_t id)
{
	struct name_entry *e = id_table__find(names->table, id);

	return e ? e->path : NULL;
}

struct expiry {
	struct cgroup_names *names;
	uint64_t now_ns;
};

static bool expired(uint64_t id, void *value, void *ctx)
{
	struct name_entry *e = value;
	struct expiry *x = ctx;

	if (!e->removed_ns || x->now_ns - e->removed_ns < x->names->keep_removed_ns)
		return false;
	free(e->path);
	return true;
}

void cgroup_names__expire(struct cgroup_names *names, uint64_t now_ns)
{
	struct expiry x = { names, now_ns };

	id_table__remove_if(names->table, expired, &x);
}

unsigned int cgroup_names__count(const struct cgroup_names *names)
{
	return id_table__count(names->table);
}

struct each_walk {
	void (*fn)(uint64_t id, const char *path, void *ctx);
	void *ctx;
};

static void each_present(uint64_t id, void *value, void *ctx)
{
	struct name_entry *e = value;
	struct each_walk *w = ctx;

	if (!e->removed_ns && e->path)
		w->fn(id, e->path, w->ctx);
}

void cgroup_names__each(struct cgroup_names *names,
			void (*fn)(uint64_t id, const char *path, void *ctx), void *ctx)
{
	struct each_walk w = { fn, ctx };

	id_table__each(names->table, each_present, &w);
}
