// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libmemsight's entry points that are not the agent itself: options and JSON. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "btf_info.h"
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

struct memsight *memsight_open(const struct memsight_opts *opts)
{
	struct agent_config config = {};
	struct env env;
	char err[512], *err_buf = NULL;
	size_t err_len = 0;
	struct memsight *ms;
	unsigned int interval_ms, tombstone_ms;
	int ret;

	if (!opts_valid(opts)) {
		errno = EINVAL;
		return NULL;
	}
	err_buf = OPT(opts, err_buf, NULL);
	err_len = OPT(opts, err_len, 0);
	cli_env_defaults(&env);
	interval_ms = OPT(opts, interval_ms, 0);
	tombstone_ms = OPT(opts, tombstone_ms, 0);
	if (interval_ms && interval_ms < 10) {
		snprintf(err, sizeof(err), "interval_ms: %u is below the 10 ms minimum",
			 interval_ms);
		errno = EINVAL;
		goto failed;
	}
	if (interval_ms)
		env.interval_ns = interval_ms * 1000000ULL;
	if (tombstone_ms)
		env.tombstone_ns = tombstone_ms * 1000000ULL;
	env.cgroup_prefix = OPT(opts, cgroup_prefix, NULL);
	if (env.cgroup_prefix && env.cgroup_prefix[0] != '/') {
		snprintf(err, sizeof(err), "cgroup_prefix: '%s' must start with '/'",
			 env.cgroup_prefix);
		errno = EINVAL;
		goto failed;
	}
	env.node = OPT(opts, node, NULL) ? OPT(opts, node, NULL) : node_name();
	env.btf_path = OPT(opts, btf_path, NULL);
	ret = env.btf_path ? btf_info_check_file(env.btf_path, err, sizeof(err)) : 0;
	if (ret) {
		errno = -ret;
		goto failed;
	}
	env.fault_samples = OPT(opts, fault_samples, 0);
	env.host_root = OPT(opts, host_root, NULL);
	/* As the CLI: a root cut short to fit would name another directory, silently. */
	if (env.host_root && strlen(env.host_root) >= RUNTIME_ROOT_LEN) {
		snprintf(err, sizeof(err), "host_root: the path is %zu bytes long, more than %d",
			 strlen(env.host_root), RUNTIME_ROOT_LEN - 1);
		errno = EINVAL;
		goto failed;
	}
	/* libbpf's messages: kept for the reasons in err, printed only with -v in the CLI */
	log_setup_libbpf(false);
	config.env = &env;
	config.on_event = opts->on_event;
	config.ctx = OPT(opts, ctx, NULL);
	config.skip_container_stats = OPT(opts, skip_container_stats, false);
	config.pin_dir = OPT(opts, pin_dir, NULL);
	if (config.pin_dir && strlen(config.pin_dir) > CLI_PIN_DIR_MAX) {
		snprintf(err, sizeof(err), "pin_dir: the path is %zu bytes long, more than %d",
			 strlen(config.pin_dir), CLI_PIN_DIR_MAX);
		errno = EINVAL;
		goto failed;
	}
	ms = agent_open(&config, err, sizeof(err));
	if (ms)
		return ms;
failed:
	if (err_buf && err_len)
		snprintf(err_buf, err_len, "%s", err);
	return NULL;
}

int memsight_event_json(const struct memsight_event *ev, char *buf, size_t len)
{
	struct jsonw w;
	int ret;

	if (!ev || (!buf && len))
		return -EINVAL;
	jsonw_init(&w);
	ret = agent_event_format(ev, &w);
	if (!ret && w.out.len >= len)
		ret = -ENOSPC;
	if (!ret) {
		memcpy(buf, w.out.buf, w.out.len + 1);
		ret = (int)w.out.len;
	}
	jsonw_free(&w);
	return ret;
}
