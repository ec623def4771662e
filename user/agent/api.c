// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libmemsight's entry points that are not the agent itself: options and JSON. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "btf_info.h"
#include "event_json.h"
#include "log.h"
#include "node_name.h"
#include "runtime_roots.h"

/* Opts from a newer caller: fine as long as every field this build doesn't know is zero. */
static bool opts_valid(const struct memsight_opts *opts)
{
	const size_t known = offsetof(struct memsight_opts, memsight_opts__last_field) +
			     sizeof(opts->memsight_opts__last_field);

	if (!opts || opts->sz < offsetof(struct memsight_opts, on_event))
		return false;
	for (size_t i = known; i < opts->sz; i++)
		if (((const char *)opts)[i])
			return false;
	return true;
}

/* A field of opts, or zero when the caller's struct is older (shorter). */
#define OPT(opts, field, zero)                                                                     \
	((opts)->sz >= offsetof(struct memsight_opts, field) + sizeof((opts)->field)               \
		 ? (opts)->field                                                                   \
		 : (zero))

/* The public opts as the agent's; a one-line reason in err when they can't be. */
static int agent_opts_from(const struct memsight_opts *opts, struct agent_opts *out,
			   struct runtime_roots *roots, char *err, size_t err_len)
{
	unsigned int interval_ms = OPT(opts, interval_ms, 0);
	unsigned int tombstone_ms = OPT(opts, tombstone_ms, 0);
	const char *host_root = OPT(opts, host_root, NULL);
	int ret;

	*out = (struct agent_opts){
		.sz = sizeof(*out),
		.interval_ns = (interval_ms ? interval_ms : 1000) * 1000000ULL,
		.tombstone_ns = (tombstone_ms ? tombstone_ms : 300000) * 1000000ULL,
		.cgroup_prefix = OPT(opts, cgroup_prefix, NULL),
		.node = OPT(opts, node, NULL) ? OPT(opts, node, NULL) : node_name(),
		.btf_path = OPT(opts, btf_path, NULL),
		.fault_samples = OPT(opts, fault_samples, 0),
		.bpf_stats = true,
		.roots = roots,
		.pin_dir = OPT(opts, pin_dir, NULL),
		.on_event = opts->on_event,
		.ctx = OPT(opts, ctx, NULL),
		.skip_container_stats = OPT(opts, skip_container_stats, false),
		.cgroup_events = OPT(opts, cgroup_events, false),
	};
	if (interval_ms && interval_ms < 10)
		return snprintf(err, err_len, "interval_ms: %u is below the 10 ms minimum",
				interval_ms),
		       -EINVAL;
	if (out->cgroup_prefix && out->cgroup_prefix[0] != '/')
		return snprintf(err, err_len, "cgroup_prefix: '%s' must start with '/'",
				out->cgroup_prefix),
		       -EINVAL;
	ret = out->btf_path ? btf_info_check_file(out->btf_path, err, err_len) : 0;
	if (ret)
		return ret;
	/* As the CLI: a root cut short to fit would name another directory, silently. */
	if (host_root && strlen(host_root) >= RUNTIME_ROOT_LEN)
		return snprintf(err, err_len, "host_root: the path is %zu bytes long, more than %d",
				strlen(host_root), RUNTIME_ROOT_LEN - 1),
		       -EINVAL;
	if (out->pin_dir && strlen(out->pin_dir) > AGENT_PIN_DIR_MAX)
		return snprintf(err, err_len, "pin_dir: the path is %zu bytes long, more than %d",
				strlen(out->pin_dir), AGENT_PIN_DIR_MAX),
		       -EINVAL;
	runtime_roots_under(roots, host_root);
	return 0;
}

struct memsight *memsight_open(const struct memsight_opts *opts)
{
	struct agent_opts agent;
	struct runtime_roots roots;
	char err[512], *err_buf;
	size_t err_len;
	struct memsight *ms = NULL;
	int ret;

	if (!opts_valid(opts)) {
		errno = EINVAL;
		return NULL;
	}
	err_buf = OPT(opts, err_buf, NULL);
	err_len = OPT(opts, err_len, 0);
	ret = agent_opts_from(opts, &agent, &roots, err, sizeof(err));
	if (ret) {
		errno = -ret;
	} else {
		/* libbpf's print callback is the whole process's: taken only when asked */
		if (OPT(opts, capture_libbpf_log, false))
			log_setup_libbpf(false);
		ms = agent_open(&agent, err, sizeof(err));
	}
	if (!ms && err_buf && err_len)
		snprintf(err_buf, err_len, "%s", err);
	return ms;
}

int memsight_event_json(const struct memsight_event *ev, char *buf, size_t len)
{
	struct jsonw w;
	int ret;

	if (!ev || (!buf && len))
		return -EINVAL;
	jsonw_init(&w);
	ret = event_json(&w, ev);
	if (!ret && w.out.len >= len)
		ret = -ENOSPC;
	if (!ret) {
		memcpy(buf, w.out.buf, w.out.len + 1);
		ret = (int)w.out.len;
	}
	jsonw_free(&w);
	return ret;
}
