// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup_memory.h"
#include "cgroup_mounts.h"
#include "cgroup_walk.h"
#include "clock.h"
#include "container_cache.h"
#include "profile_collect.h"

#define CGROUPS_MAX 65536

struct scan {
	struct cgroup_labels *labels;
	struct container_cache *containers;
	int error;
};

static char *copy_or_empty(const char *text)
{
	return strdup(text ? text : "");
}

static void label_one(const char *path, void *ctx)
{
	struct scan *scan = ctx;
	struct cgroup_labels *l = scan->labels;
	struct container_info info;
	struct cgroup_label *item;
	char full[sizeof(l->root) + 8192];
	struct stat st;

	snprintf(full, sizeof(full), "%s%s", l->root, path);
	if (stat(full, &st))
		return; /* removed meanwhile */
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct cgroup_label *grown = realloc(l->items, cap * sizeof(*grown));

		if (!grown) {
			scan->error = -ENOMEM;
			return;
		}
		l->items = grown;
		l->cap = cap;
	}
	memset(&info, 0, sizeof(info));
	if (scan->containers)
		container_cache__resolve(scan->containers, path, clock_monotonic_ns(), &info);
	item = &l->items[l->count++];
	item->id = st.st_ino; /* a cgroup's id is its directory's inode number */
	item->path = copy_or_empty(path);
	item->container = copy_or_empty(info.meta.name[0] ? info.meta.name : info.id);
	item->pod = copy_or_empty(info.meta.pod);
	item->namespace = copy_or_empty(info.meta.namespace);
	if (!item->path || !item->container || !item->pod || !item->namespace)
		scan->error = -ENOMEM;
}

static void clear_items(struct cgroup_labels *labels)
{
	for (size_t i = 0; i < labels->count; i++) {
		free(labels->items[i].path);
		free(labels->items[i].container);
		free(labels->items[i].pod);
		free(labels->items[i].namespace);
	}
	labels->count = 0;
}

int cgroup_labels_scan(struct cgroup_labels *labels, struct container_cache *containers)
{
	struct scan scan = { .labels = labels, .containers = containers };
	struct cgroup_mounts mounts;

	clear_items(labels);
	cgroup_mounts_read(&mounts);
	if (!strcmp(cgroup_memory_root(&mounts, labels->root, sizeof(labels->root)), "none")) {
		labels->root[0] = '\0';
		return -ENOENT;
	}
	cgroup_walk(labels->root, 64, CGROUPS_MAX, label_one, &scan);
	return scan.error;
}

const struct cgroup_label *cgroup_labels_find(const struct cgroup_labels *labels, uint64_t id)
{
	for (size_t i = 0; i < labels->count; i++)
		if (labels->items[i].id == id)
			return &labels->items[i];
	return NULL;
}

void cgroup_labels_free(struct cgroup_labels *labels)
{
	clear_items(labels);
	free(labels->items);
	labels->items = NULL;
	labels->cap = 0;
}

struct key_list {
	struct memsight_profile_key *keys;
	struct memsight_profile_value *values;
	size_t count, cap;
	bool failed;
};

static void keep_key(const struct memsight_profile_key *key,
		     const struct memsight_profile_value *value, void *ctx)
{
	struct key_list *list = ctx;
	void *keys, *values;

	if (list->count == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 1024;

		keys = realloc(list->keys, cap * sizeof(*list->keys));
		if (keys)
			list->keys = keys;
		values = realloc(list->values, cap * sizeof(*list->values));
		if (values)
			list->values = values;
		if (!keys || !values) {
			list->failed = true;
			return;
		}
		list->cap = cap;
	}
	list->keys[list->count] = *key;
	list->values[list->count++] = *value;
}

/* Frames of one key, leaf first: the kernel's, then the user stack's (or what lost it). */
struct raw_stack {
	struct symbolized_frame frames[2 * MEMSIGHT_PROFILE_STACK_DEPTH + 1];
	uint64_t addresses[2 * MEMSIGHT_PROFILE_STACK_DEPTH + 1];
	size_t count, user_count;
};

static const char *lost_stack_name(int32_t id)
{
	switch (id) {
	case MEMSIGHT_PROFILE_NO_STACK:
		return "[no user stack]";
	case -EFAULT:
		return "[user stack unreadable]";
	case -EEXIST:
		return "[user stack lost: stack map collision]";
	default:
		return "[user stack lost]";
	}
}

/*
 * The kernel stack is walked from inside the tracing machinery: its leaf frames
 * are the BPF program and what ran it (bpf_trace_run3 and the tracepoint's
 * __traceiter_page_fault_kernel, perf's software-event path), whose number
 * differs between kernels and hooks. Frames up to the last of those, counted
 * from the leaf, are not the fault's.
 */
static bool tracing_frame(const char *name)
{
	static const char *const prefixes[] = { "bpf_",	   "__bpf_",   "perf_",
						"__perf_", "___perf_", "__traceiter_" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

static size_t tracing_frames(struct symbolizer *sym, const uint64_t *ips, size_t n)
{
	struct symbolized_frame frame;
	size_t skip = 0;

	for (size_t i = 0; i < n && i < 16; i++) {
		symbolizer__kernel_frame(sym, ips[i], &frame);
		if (tracing_frame(frame.name))
			skip = i + 1;
	}
	return skip;
}

static void symbolize_key(const struct profile_loader *loader, struct symbolizer *sym,
			  const struct memsight_profile_key *key, struct raw_stack *raw)
{
	uint64_t ips[MEMSIGHT_PROFILE_STACK_DEPTH];
	size_t n = profile_loader__stack(loader, key->kernel_stack_id, ips);

	raw->count = 0;
	for (size_t i = tracing_frames(sym, ips, n); i < n; i++) {
		symbolizer__kernel_frame(sym, ips[i], &raw->frames[raw->count]);
		raw->addresses[raw->count++] = ips[i];
	}
	n = profile_loader__stack(loader, key->user_stack_id, ips);
	raw->user_count = n;
	for (size_t i = 0; i < n; i++) {
		symbolizer__user_frame(sym, key->tgid, ips[i], i == 0, &raw->frames[raw->count]);
		raw->addresses[raw->count++] = ips[i];
	}
	if (!n) {
		memset(&raw->frames[raw->count], 0, sizeof(raw->frames[0]));
		snprintf(raw->frames[raw->count].name, sizeof(raw->frames[0].name), "%s",
			 lost_stack_name(key->user_stack_id));
		raw->frames[raw->count].build_id = "";
		raw->addresses[raw->count++] = 0;
	}
}

/* One block per stack: its frames, their mappings, then their names. */
static struct profile_frame *frames_block(const struct raw_stack *raw)
{
	size_t names = 0,
	       head = raw->count * (sizeof(struct profile_frame) + sizeof(struct pprof_mapping));
	struct profile_frame *frames;
	struct pprof_mapping *maps;
	char *text;

	for (size_t i = 0; i < raw->count; i++)
		names += strlen(raw->frames[i].name) + 1;
	frames = malloc(head + names);
	if (!frames)
		return NULL;
	maps = (struct pprof_mapping *)(frames + raw->count);
	text = (char *)(maps + raw->count);
	for (size_t i = 0; i < raw->count; i++) {
		const struct symbolized_frame *sf = &raw->frames[i];
		const struct proc_mapping *m = sf->mapping;
		size_t len = strlen(sf->name) + 1;

		memcpy(text, sf->name, len);
		frames[i] = (struct profile_frame){ .name = text, .address = raw->addresses[i] };
		text += len;
		if (!m)
			continue;
		maps[i] = (struct pprof_mapping){
			.memory_start = m->start,
			.memory_limit = m->end,
			.file_offset = m->offset,
			.filename = m->path,
			.build_id = sf->build_id,
			.has_functions = sf->resolved,
		};
		frames[i].mapping = &maps[i];
	}
	return frames;
}

static void label_stack(struct profile_stack *st, const struct memsight_profile_key *key,
			struct symbolizer *sym, const struct cgroup_labels *labels)
{
	const struct cgroup_label *l = cgroup_labels_find(labels, key->cgroup_id);

	st->pid = key->tgid;
	st->comm = symbolizer__comm(sym, key->tgid);
	st->cgroup = l ? l->path : "";
	st->container = l ? l->container : "";
	st->pod = l ? l->pod : "";
	st->namespace = l ? l->namespace : "";
}

int profile_collect(const struct profile_loader *loader, struct symbolizer *sym,
		    const struct cgroup_labels *labels, struct profile_collection *out)
{
	struct key_list list = { 0 };
	struct raw_stack *raw = malloc(sizeof(*raw));
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (!raw)
		return -ENOMEM;
	ret = profile_loader__each(loader, keep_key, &list);
	ret = ret < 0 ? ret : 0;
	out->stacks = calloc(list.count ? list.count : 1, sizeof(*out->stacks));
	if (!ret && (list.failed || !out->stacks))
		ret = -ENOMEM;
	for (size_t i = 0; !ret && i < list.count; i++) {
		struct profile_stack *st = &out->stacks[out->count];

		symbolize_key(loader, sym, &list.keys[i], raw);
		st->frames = frames_block(raw);
		if (!st->frames) {
			ret = -ENOMEM;
			break;
		}
		st->frame_count = raw->count;
		st->samples = list.values[i].samples;
		st->bytes = list.values[i].bytes;
		label_stack(st, &list.keys[i], sym, labels);
		out->samples += st->samples;
		out->single_frame_samples += raw->user_count == 1 ? st->samples : 0;
		out->lost_stack_samples += raw->user_count == 0 ? st->samples : 0;
		out->truncated_samples +=
			raw->user_count == MEMSIGHT_PROFILE_STACK_DEPTH ? st->samples : 0;
		out->count++;
	}
	free(list.keys);
	free(list.values);
	free(raw);
	if (ret)
		profile_collection_free(out);
	return ret;
}

void profile_collection_free(struct profile_collection *c)
{
	for (size_t i = 0; i < c->count; i++)
		free((void *)c->stacks[i].frames);
	free(c->stacks);
	memset(c, 0, sizeof(*c));
}
