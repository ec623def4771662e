// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container_cache.h"

/* Runtime files are a few KiB; anything past this is not one and is not read whole. */
#define RUNTIME_FILE_MAX (1 << 20)
#define BUCKETS		 4096

struct entry {
	struct entry *hash_next;
	struct entry *lru_prev, *lru_next; /* most recently used at the head */
	char id[CONTAINER_ID_LEN + 1];
	struct container_meta meta;
	enum container_runtime found_runtime;
	bool found;
	uint64_t next_retry_ns;
	uint64_t exited_ns; /* 0 while its cgroup exists */
};

struct container_cache {
	struct runtime_roots roots;
	unsigned int max_entries;
	uint64_t tombstone_ns;
	uint64_t retry_ns;
	unsigned int count;
	struct entry *buckets[BUCKETS];
	struct entry *lru_head, *lru_tail;
};

/*
 * Reads a runtime file without trusting it: a regular file only (a FIFO
 * would block, a device could be endless), at most RUNTIME_FILE_MAX bytes.
 */
static char *read_runtime_file(const char *path, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0, cap;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		goto out;
	/* Sized by the file, so the common few-KiB read costs a few KiB. */
	cap = st.st_size > 0 && st.st_size < RUNTIME_FILE_MAX ? (size_t)st.st_size
							      : RUNTIME_FILE_MAX;
	buf = malloc(cap + 1);
	if (!buf)
		goto out;
	while (got < cap) {
		ssize_t n = read(fd, buf + got, cap - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*len = got;
out:
	close(fd);
	return buf;
}

static void root_path(const struct runtime_roots *roots, const char *root, char *out, size_t len)
{
	snprintf(out, len, "%s%s", roots->host_root, root);
}

typedef int (*meta_parser)(const char *json, size_t len, struct container_meta *meta);

static bool try_file(const char *path, meta_parser parse, struct container_meta *meta)
{
	size_t len = 0;
	char *json = read_runtime_file(path, &len);
	int ret;

	if (!json)
		return false;
	ret = parse(json, len, meta);
	free(json);
	return ret == 0;
}

/* Looks the id up in each runtime's state that could hold it. */
static bool lookup(const struct runtime_roots *roots, enum container_runtime runtime,
		   const char *id, struct container_meta *meta, enum container_runtime *found)
{
	static const char *const containerd_namespaces[] = { "k8s.io", "moby", "default" };
	char root[RUNTIME_ROOT_LEN * 2], path[RUNTIME_ROOT_LEN * 2 + 256];
	bool any = runtime == RUNTIME_UNKNOWN;

	if (any || runtime == RUNTIME_CONTAINERD) {
		root_path(roots, roots->containerd_state, root, sizeof(root));
		for (size_t i = 0; i < sizeof(containerd_namespaces) / sizeof(char *); i++) {
			snprintf(path, sizeof(path), "%s/%s/%s/config.json", root,
				 containerd_namespaces[i], id);
			if (try_file(path, container_meta_from_oci_config, meta)) {
				*found = RUNTIME_CONTAINERD;
				return true;
			}
		}
	}
	if (any || runtime == RUNTIME_CRIO) {
		root_path(roots, roots->crio_state, root, sizeof(root));
		snprintf(path, sizeof(path), "%s/%s/userdata/config.json", root, id);
		if (try_file(path, container_meta_from_oci_config, meta)) {
			*found = RUNTIME_CRIO;
			return true;
		}
	}
	if (any || runtime == RUNTIME_DOCKER) {
		root_path(roots, roots->docker_root, root, sizeof(root));
		snprintf(path, sizeof(path), "%s/containers/%s/config.v2.json", root, id);
		if (try_file(path, container_meta_from_docker_config, meta)) {
			*found = RUNTIME_DOCKER;
			return true;
		}
	}
	if (runtime == RUNTIME_PODMAN) {
		size_t len = 0;
		char *json;
		int ret;

		root_path(roots, roots->podman_storage, root, sizeof(root));
		snprintf(path, sizeof(path), "%s/overlay-containers/containers.json", root);
		json = read_runtime_file(path, &len);
		if (json) {
			ret = container_meta_from_storage_list(json, len, id, meta);
			free(json);
			if (!ret) {
				*found = RUNTIME_PODMAN;
				return true;
			}
		}
	}
	memset(meta, 0, sizeof(*meta));
	return false;
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
	return cache;
}

void container_cache__free(struct container_cache *cache)
{
	if (!cache)
		return;
	while (cache->lru_head)
		drop(cache, cache->lru_head);
	free(cache);
}

void container_cache__resolve(struct container_cache *cache, const char *path, uint64_t now_ns,
			      struct container_info *info)
{
	struct container_path_info parsed;
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
		e->hash_next = cache->buckets[hash_id(e->id)];
		cache->buckets[hash_id(e->id)] = e;
		cache->count++;
		lru_push_front(cache, e);
	} else {
		lru_unlink(cache, e);
		lru_push_front(cache, e);
	}
	/* Names never change; a miss is retried, since the runtime may still be writing. */
	if (!e->found && !e->exited_ns && now_ns >= e->next_retry_ns) {
		e->found = lookup(&cache->roots, parsed.runtime, parsed.id, &e->meta,
				  &e->found_runtime);
		e->next_retry_ns = now_ns + cache->retry_ns;
	}
	container_info_build(&parsed, e->found ? &e->meta : NULL, e->found_runtime, info);
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

unsigned int runtime_roots_detect(const struct runtime_roots *roots, struct runtime_presence *out)
{
	/*
	 * Each runtime is detected by something only it leaves: CRI-O and podman
	 * share containers/storage, so CRI-O is known by its own run folder.
	 */
	const struct {
		const char *runtime;
		const char *root;
		const char *marker;	/* below root; NULL: root itself */
		const char *marker_abs; /* or a fixed host path */
	} known[RUNTIMES_MAX] = {
		{ "containerd", roots->containerd_state, NULL, NULL },
		{ "cri-o", roots->crio_state, NULL, "/run/crio" },
		{ "docker", roots->docker_root, "/containers", NULL },
		{ "podman", roots->podman_storage, "/overlay-containers/containers.json", NULL },
	};

	for (unsigned int i = 0; i < RUNTIMES_MAX; i++) {
		char marker[RUNTIME_ROOT_LEN * 3];
		struct stat st;

		out[i].runtime = known[i].runtime;
		root_path(roots, known[i].root, out[i].root, sizeof(out[i].root));
		if (known[i].marker_abs)
			snprintf(marker, sizeof(marker), "%s%s", roots->host_root,
				 known[i].marker_abs);
		else
			snprintf(marker, sizeof(marker), "%s%s", out[i].root,
				 known[i].marker ? known[i].marker : "");
		out[i].present = !stat(marker, &st);
	}
	return RUNTIMES_MAX;
}
