// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confined_file.h"
#include "container_cache.h"

/* Runtime files are a few KiB; anything past this is not one and is not read. */
#define RUNTIME_FILE_MAX (1 << 20)
#define BUCKETS		 4096
/* A miss is retried after 1, 2, 4 ... 256 retry periods (about 4 min at 1 s). */
#define RETRY_SHIFT_MAX 8

struct entry {
	struct entry *hash_next;
	struct entry *lru_prev, *lru_next; /* most recently used at the head */
	char id[CONTAINER_ID_LEN + 1];
	/*
	 * The metadata found, packed (meta_pack): a struct container_meta is
	 * 1.3 KiB of mostly empty fields, and there is an entry per container.
	 */
	char *meta;
	enum container_runtime found_runtime;
	bool found;
	uint8_t failures;   /* lookups in a row that named nothing: the backoff's exponent */
	int8_t failed_file; /* the state file that was there but named nothing; -1 */
	struct file_version failed_version;
	uint64_t next_retry_ns;
	uint64_t next_check_ns; /* when failed_file is looked at again for a change */
	uint64_t exited_ns;	/* 0 while its cgroup exists */
};

struct container_cache {
	struct runtime_roots roots;
	int root_fd; /* the host root, O_PATH; -errno until it could be opened */
	enum confined_resolve resolve;
	unsigned int max_entries;
	uint64_t tombstone_ns;
	uint64_t retry_ns;
	unsigned int count;
	uint64_t files_read;
	struct runtime_state_errors errors;
	struct entry *buckets[BUCKETS];
	struct entry *lru_head, *lru_tail;
};

typedef int (*meta_parser)(const char *json, size_t len, const char *id,
			   struct container_meta *meta);

static int parse_oci(const char *json, size_t len, const char *id, struct container_meta *meta)
{
	return container_meta_from_oci_config(json, len, meta);
}

static int parse_docker(const char *json, size_t len, const char *id, struct container_meta *meta)
{
	return container_meta_from_docker_config(json, len, meta);
}

/* Where each runtime keeps a container's names, in the order they are tried. */
static const struct state_file {
	enum container_runtime runtime;
	size_t root;	       /* offsetof(struct runtime_roots, ...) */
	const char *before_id; /* below the root: before_id, the id, after_id */
	const char *after_id;  /* NULL: one file for every container */
	meta_parser parse;
} state_files[] = {
	{ RUNTIME_CONTAINERD, offsetof(struct runtime_roots, containerd_state), "/k8s.io/",
	  "/config.json", parse_oci },
	{ RUNTIME_CONTAINERD, offsetof(struct runtime_roots, containerd_state), "/moby/",
	  "/config.json", parse_oci },
	{ RUNTIME_CONTAINERD, offsetof(struct runtime_roots, containerd_state), "/default/",
	  "/config.json", parse_oci },
	{ RUNTIME_CRIO, offsetof(struct runtime_roots, crio_state), "/", "/userdata/config.json",
	  parse_oci },
	{ RUNTIME_DOCKER, offsetof(struct runtime_roots, docker_root), "/containers/",
	  "/config.v2.json", parse_docker },
	{ RUNTIME_PODMAN, offsetof(struct runtime_roots, podman_storage),
	  "/overlay-containers/containers.json", NULL, container_meta_from_storage_list },
};
#define STATE_FILES (sizeof(state_files) / sizeof(state_files[0]))

/* Podman's one list is read only for paths that say podman: it is not small. */
static bool tried_for(const struct state_file *file, enum container_runtime runtime)
{
	return file->runtime == runtime ||
	       (runtime == RUNTIME_UNKNOWN && file->runtime != RUNTIME_PODMAN);
}

static void state_file_path(const struct container_cache *cache, const struct state_file *file,
			    const char *id, char *out, size_t len)
{
	const char *root = (const char *)&cache->roots + file->root;

	if (file->after_id)
		snprintf(out, len, "%s%s%s%s", root, file->before_id, id, file->after_id);
	else
		snprintf(out, len, "%s%s", root, file->before_id);
}

/* Every runtime file is read inside the host root (see confined_file.h). */
/* Opened once and kept; tried again on the next lookup while it can't be opened. */
static int host_root_fd(struct container_cache *cache)
{
	if (cache->root_fd < 0)
		cache->root_fd = runtime_roots_open_host(&cache->roots);
	return cache->root_fd;
}

#define META_STRINGS 5

static char *meta_string(struct container_meta *meta, int i)
{
	char *const strings[META_STRINGS] = { meta->name, meta->pod, meta->namespace, meta->pod_uid,
					      meta->image };

	return strings[i];
}

/* The sandbox flag, then each string NUL-ended: NULL when out of memory. */
static char *meta_pack(struct container_meta *meta)
{
	size_t len = 1, used = 1;
	char *packed;

	for (int i = 0; i < META_STRINGS; i++)
		len += strlen(meta_string(meta, i)) + 1;
	packed = malloc(len);
	if (!packed)
		return NULL;
	packed[0] = meta->sandbox;
	for (int i = 0; i < META_STRINGS; i++) {
		size_t n = strlen(meta_string(meta, i)) + 1;

		memcpy(packed + used, meta_string(meta, i), n);
		used += n;
	}
	return packed;
}

/* All empty when nothing is packed. */
static void meta_unpack(const char *packed, struct container_meta *meta)
{
	memset(meta, 0, sizeof(*meta));
	if (!packed)
		return;
	meta->sandbox = packed[0];
	packed++;
	for (int i = 0; i < META_STRINGS; i++) {
		snprintf(meta_string(meta, i), CONTAINER_META_FIELD_LEN, "%s", packed);
		packed += strlen(packed) + 1;
	}
}

/* Reads and parses one state file: 0 with meta filled, else -errno (*read: it was read). */
static int try_file(struct container_cache *cache, int root_fd, const struct state_file *file,
		    struct entry *e, struct container_meta *meta, bool *read)
{
	char path[RUNTIME_ROOT_LEN + 256], *json;
	struct stat st;
	size_t len;
	int err;

	state_file_path(cache, file, e->id, path, sizeof(path));
	err = confined_read(root_fd, path, RUNTIME_FILE_MAX, cache->resolve, &json, &len, &st);
	*read = !err;
	if (err)
		return err;
	cache->files_read++;
	err = file->parse(json, len, e->id, meta);
	free(json);
	return err;
}

/* What the failed file looks like now (all zero when it can't be seen). */
static void failed_file_version(const struct container_cache *cache, int root_fd,
				const struct entry *e, struct file_version *version)
{
	char path[RUNTIME_ROOT_LEN + 256];
	struct stat st;
	int fd;

	memset(version, 0, sizeof(*version));
	state_file_path(cache, &state_files[e->failed_file], e->id, path, sizeof(path));
	fd = confined_open(root_fd, path, O_PATH, cache->resolve);
	if (fd < 0)
		return;
	if (!fstat(fd, &st))
		file_version_of(&st, version);
	close(fd);
}

/*
 * Looks the id up in each runtime's state that could hold it. A miss is counted
 * once, by the first file that was there but named nothing, else as not found.
 */
static bool lookup(struct container_cache *cache, struct entry *e, enum container_runtime runtime)
{
	int root_fd = host_root_fd(cache), err = root_fd, failed_err = -ENOENT;
	bool read, failed_read = false;
	struct container_meta meta;

	meta_unpack(e->meta, &meta);
	free(e->meta);
	e->meta = NULL;
	e->failed_file = -1;
	for (size_t i = 0; root_fd >= 0 && i < STATE_FILES; i++) {
		if (!tried_for(&state_files[i], runtime))
			continue;
		err = try_file(cache, root_fd, &state_files[i], e, &meta, &read);
		if (!err) {
			e->found_runtime = state_files[i].runtime;
			e->meta = meta_pack(&meta);
			return true;
		}
		if (e->failed_file < 0 && (read || (err != -ENOENT && err != -ENOTDIR))) {
			e->failed_file = (int8_t)i;
			failed_err = err;
			failed_read = read;
		}
	}
	if (root_fd < 0)
		failed_err = err;
	if (e->failed_file >= 0) {
		runtime = state_files[e->failed_file].runtime;
		failed_file_version(cache, root_fd, e, &e->failed_version);
	}
	cache->errors.count[runtime][runtime_state_error_from_errno(failed_err, failed_read)]++;
	return false;
}

/* A file that named nothing is looked at once a retry period, and read again once it changed. */
static bool failed_file_changed(struct container_cache *cache, struct entry *e, uint64_t now_ns)
{
	struct file_version now;
	int root_fd;

	if (e->failed_file < 0 || now_ns < e->next_check_ns)
		return false;
	e->next_check_ns = now_ns + cache->retry_ns;
	root_fd = host_root_fd(cache);
	if (root_fd < 0)
		return false;
	failed_file_version(cache, root_fd, e, &now);
	return !file_version_equal(&now, &e->failed_version);
}

/*
 * Names never change once found. A miss is retried, since the runtime may still
 * be writing, but less often each time (a file that never names anything must
 * not be parsed every interval), and at once when the file that failed changes.
 */
static void refresh(struct container_cache *cache, struct entry *e, enum container_runtime runtime,
		    uint64_t now_ns)
{
	unsigned int shift;

	if (e->found || e->exited_ns)
		return;
	if (now_ns < e->next_retry_ns && !failed_file_changed(cache, e, now_ns))
		return;
	e->found = lookup(cache, e, runtime);
	if (e->found)
		return;
	shift = e->failures < RETRY_SHIFT_MAX ? e->failures : RETRY_SHIFT_MAX;
	if (e->failures < UINT8_MAX)
		e->failures++;
	e->next_retry_ns = now_ns + (cache->retry_ns << shift);
	e->next_check_ns = now_ns + cache->retry_ns;
}

static unsigned int hash_id(const char *id)
{
	unsigned int h = 2166136261u; /* FNV-1a */

	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h % BUCKETS;
}

static void lru_unlink(struct container_cache *cache, struct entry *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		cache->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		cache->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void lru_push_front(struct container_cache *cache, struct entry *e)
{
	e->lru_prev = NULL;
	e->lru_next = cache->lru_head;
	if (cache->lru_head)
		cache->lru_head->lru_prev = e;
	cache->lru_head = e;
	if (!cache->lru_tail)
		cache->lru_tail = e;
}

static struct entry *find(struct container_cache *cache, const char *id)
{
	for (struct entry *e = cache->buckets[hash_id(id)]; e; e = e->hash_next)
		if (!strcmp(e->id, id))
			return e;
	return NULL;
}

static void drop(struct container_cache *cache, struct entry *e)
{
	struct entry **link = &cache->buckets[hash_id(e->id)];

	while (*link && *link != e)
		link = &(*link)->hash_next;
	if (*link)
		*link = e->hash_next;
	lru_unlink(cache, e);
	cache->count--;
	free(e->meta);
	free(e);
}

struct container_cache *container_cache__new(const struct container_cache_opts *opts)
{
	struct container_cache *cache = calloc(1, sizeof(*cache));

	if (!cache)
		return NULL;
	if (opts->roots)
		cache->roots = *opts->roots;
	else
		runtime_roots_defaults(&cache->roots);
	cache->max_entries = opts->max_entries ? opts->max_entries : 16384;
	cache->tombstone_ns = opts->tombstone_ns;
	cache->retry_ns = opts->retry_ns ? opts->retry_ns : 1000000000ULL;
	cache->resolve = opts->resolve_by_walk ? CONFINED_WALK : CONFINED_AUTO;
	cache->root_fd = -ENOENT;
	return cache;
}

void container_cache__free(struct container_cache *cache)
{
	if (!cache)
		return;
	while (cache->lru_head)
		drop(cache, cache->lru_head);
	if (cache->root_fd >= 0)
		close(cache->root_fd);
	free(cache);
}

void container_cache__resolve(struct container_cache *cache, const char *path, uint64_t now_ns,
			      struct container_info *info)
{
	struct container_path_info parsed;
	struct container_meta meta;
	struct entry *e;

	container_path_parse(path, &parsed);
	if (!parsed.id[0] || !cache) {
		container_info_build(&parsed, NULL, RUNTIME_NONE, info);
		return;
	}
	e = find(cache, parsed.id);
	if (!e) {
		if (cache->count >= cache->max_entries)
			drop(cache, cache->lru_tail);
		e = calloc(1, sizeof(*e));
		if (!e) {
			container_info_build(&parsed, NULL, RUNTIME_NONE, info);
			return;
		}
		memcpy(e->id, parsed.id, sizeof(e->id));
		e->failed_file = -1;
		e->hash_next = cache->buckets[hash_id(e->id)];
		cache->buckets[hash_id(e->id)] = e;
		cache->count++;
		lru_push_front(cache, e);
	} else {
		lru_unlink(cache, e);
		lru_push_front(cache, e);
	}
	refresh(cache, e, parsed.runtime, now_ns);
	meta_unpack(e->meta, &meta);
	container_info_build(&parsed, e->found ? &meta : NULL, e->found_runtime, info);
	info->exited = e->exited_ns != 0;
}

void container_cache__cgroup_removed(struct container_cache *cache, const char *path,
				     uint64_t now_ns)
{
	struct container_path_info parsed;
	struct entry *e;

	if (!cache)
		return;
	container_path_parse(path, &parsed);
	if (!parsed.id[0] || parsed.monitor)
		return;
	e = find(cache, parsed.id);
	if (e && !e->exited_ns)
		e->exited_ns = now_ns ? now_ns : 1;
}

void container_cache__expire(struct container_cache *cache, uint64_t now_ns)
{
	struct entry *e, *prev;

	if (!cache)
		return;
	for (e = cache->lru_tail; e; e = prev) {
		prev = e->lru_prev;
		if (e->exited_ns && now_ns - e->exited_ns >= cache->tombstone_ns)
			drop(cache, e);
	}
}

unsigned int container_cache__count(const struct container_cache *cache)
{
	return cache ? cache->count : 0;
}

size_t container_cache__memory_bytes(const struct container_cache *cache)
{
	return cache ? sizeof(*cache) + (size_t)cache->count * sizeof(struct entry) : 0;
}

uint64_t container_cache__files_read(const struct container_cache *cache)
{
	return cache ? cache->files_read : 0;
}

void container_cache__state_errors(const struct container_cache *cache,
				   struct runtime_state_errors *out)
{
	if (cache)
		*out = cache->errors;
	else
		memset(out, 0, sizeof(*out));
}
