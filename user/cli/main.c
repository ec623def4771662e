// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* memsight: per-container memory observer. Command dispatch and start-up checks. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "btf_info.h"
#include "cli.h"
#include "version.h"
#include "feature_report.h"
#include "log.h"
#include "node_name.h"
#include "profile.h"
#include "recommend.h"
#include "stream.h"
#include "top.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_capability(const struct __user_cap_data_struct data[2], int cap)
{
	return data[cap / 32].effective & (1U << (cap % 32));
}

/* Loading tracing programs needs CAP_BPF + CAP_PERFMON, or CAP_SYS_ADMIN on any kernel. */
static int check_privileges(void)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	bool bpf, perfmon;

	if (syscall(SYS_capget, &header, data)) {
		log_error("can't read this process's capabilities: %s", strerror(errno));
		return -errno;
	}
	if (has_capability(data, CAP_SYS_ADMIN))
		return 0;
	bpf = has_capability(data, CAP_BPF);
	perfmon = has_capability(data, CAP_PERFMON);
	if (bpf && perfmon)
		return 0;
	log_error("missing capabilit%s %s%s%s: run as root, or grant CAP_BPF and CAP_PERFMON",
		  bpf || perfmon ? "y" : "ies", bpf ? "" : "CAP_BPF",
		  !bpf && !perfmon ? " and " : "", perfmon ? "" : "CAP_PERFMON");
	return -EPERM;
}

/* Data goes to stdout: a write that fails is a runtime failure, not a success. */
static int finish_output(int status)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		if (errno != EPIPE)
			log_error("can't write to stdout: %s", strerror(errno));
		return errno == EPIPE ? status : 1;
	}
	return status;
}

static int do_help(struct env *env)
{
	/* `help help` and `--help` alike show the overview. */
	enum command topic = CMD_DEFAULT;

	for (enum command c = CMD_TOP; env->help_topic && c < CMD_HELP; c++)
		if (!strcmp(cli_command_name(c), env->help_topic))
			topic = c;
	cli_print_help(stdout, topic);
	return finish_output(0);
}

static int do_version(struct env *env)
{
	if (env->json)
		printf("{\"v\":1,\"type\":\"version\",\"version\":\"%s\"}\n", MEMSIGHT_VERSION);
	else
		printf("memsight %s\n", MEMSIGHT_VERSION);
	return finish_output(0);
}

static int do_features(struct env *env)
{
	return finish_output(features_run(env));
}

static int do_recommend(struct env *env)
{
	return finish_output(recommend_run(env));
}

static int do_profile(struct env *env)
{
	return finish_output(profile_run(env));
}

static int do_top(struct env *env)
{
	return top_run(env);
}

static int do_stream(struct env *env)
{
	return stream_run(env);
}

/* No command: a person at a terminal gets the view; a pipe or a log file gets lines. */
static int do_default(struct env *env)
{
	if (env->batch || env->iterations || isatty(STDOUT_FILENO))
		return top_run(env);
	return stream_run(env);
}

/* Keyed by enum command; help, version and recommend answer without loading anything. */
static const struct cmd {
	int (*func)(struct env *env);
	bool loads_bpf; /* needs the --btf, privilege and libbpf set-up first */
} cmds[] = {
	[CMD_DEFAULT] = { .func = do_default, .loads_bpf = true },
	[CMD_TOP] = { .func = do_top, .loads_bpf = true },
	[CMD_STREAM] = { .func = do_stream, .loads_bpf = true },
	[CMD_RUN] = { .func = do_stream, .loads_bpf = true },
	[CMD_FEATURES] = { .func = do_features, .loads_bpf = true },
	[CMD_VERSION] = { .func = do_version },
	[CMD_RECOMMEND] = { .func = do_recommend },
	[CMD_PROFILE] = { .func = do_profile, .loads_bpf = true },
	[CMD_HELP] = { .func = do_help },
};

/* Returns 0, or the exit code: 2 for a bad --btf file, 1 without the privileges. */
static int prepare_to_load(struct env *env)
{
	char err[512];

	if (env->btf_path && btf_info_check_file(env->btf_path, err, sizeof(err))) {
		log_error("--btf: %s", err);
		return 2;
	}
	if (!env->node)
		env->node = node_name();
	if (check_privileges())
		return 1;
	log_setup_libbpf(env->verbose);
	return 0;
}

int main(int argc, char **argv)
{
	const struct cmd *cmd;
	struct env env;
	char err[512];
	int ret;

	/*
	 * Big buffers (the /metrics page, JSON lines, tables) from their own
	 * mappings, always: glibc otherwise raises this threshold after the first
	 * such buffer is freed, later ones come from the heap, and the heap stays
	 * fragmented at its peak after a burst of cgroups has come and gone.
	 */
	mallopt(M_MMAP_THRESHOLD, 64 * 1024);

	/*
	 * Started with stdout closed, the first file memsight opens would become
	 * fd 1 and receive the JSON stream.
	 */
	if (fcntl(STDOUT_FILENO, F_GETFD) < 0) {
		log_error("stdout is closed; redirect it (e.g. > /dev/null) instead");
		return 1;
	}

	cli_env_defaults(&env);
	if (cli_parse(argc, argv, &env, err, sizeof(err))) {
		log_error("%s", err);
		return 2;
	}
	/* cli_parse only sets commands it knows; stream stays the fallback, as before. */
	cmd = (size_t)env.command < sizeof(cmds) / sizeof(cmds[0]) && cmds[env.command].func
		      ? &cmds[env.command]
		      : &cmds[CMD_STREAM];
	if (cmd->loads_bpf) {
		ret = prepare_to_load(&env);
		if (ret)
			return ret;
	}
	return cmd->func(&env);
}
