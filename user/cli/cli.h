/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_CLI_H
#define MEMSIGHT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agent.h"
#include "hook_choice.h"

/* Command line: commands, options and their help, from one table. Pure. */

enum command {
	CMD_DEFAULT, /* none given: decided by main */
	CMD_TOP,
	CMD_STREAM,
	CMD_RUN,
	CMD_FEATURES,
	CMD_VERSION,
	CMD_RECOMMEND,
	CMD_PROFILE,
	CMD_HELP,
};

/* All configuration, defaults in cli_env_defaults(). */
struct env {
	enum command command;
	uint64_t interval_ns;
	uint64_t duration_ns; /* 0: run until stopped */
	const char *cgroup_prefix;
	const char *btf_path;
	const char *node;
	enum oom_hook oom_hook;
	enum fault_hook fault_hook;
	enum charge_hook charge_hook;
	uint32_t fault_samples; /* fault_sample events per second, node-wide; 0: off */
	uint32_t ringbuf_bytes;
	bool bpf_stats;
	bool json;
	bool verbose;
	const char *help_topic; /* `memsight help stream` */
	/* Container attribution: where each runtime keeps its state on the host. */
	const char *host_root;
	const char *containerd_state;
	const char *crio_state;
	const char *docker_root;
	const char *podman_storage;
	uint64_t tombstone_ns;
	uint64_t oom_risk_horizon_ns;
	uint64_t leak_window_ns;
	/* run: where /metrics, /healthz and /readyz listen */
	char listen_host[64]; /* numeric IPv4 or IPv6 address */
	uint16_t listen_port; /* 0: any free port (printed at start) */
	/* top */
	bool batch;
	uint32_t iterations; /* 0: until stopped */
	const char *pin_dir; /* run: pin the event ring buffer and counting maps here */
	/* recommend */
	const char *prometheus_url;
	uint64_t window_ns;
	const char *namespace;
	int format;		/* enum recommend_format */
	const char *format_arg; /* --format as given: its command reads it (check_command) */
	/* profile */
	uint32_t pid;	       /* --pid; 0: none */
	uint32_t profile_rate; /* samples per second, node-wide */
	const char *output;    /* --output FILE; NULL: stdout */
	int profile_format;    /* enum profile_format */
};

enum profile_format {
	PROFILE_FORMAT_AUTO, /* pprof with --output, folded on stdout */
	PROFILE_FORMAT_PPROF,
	PROFILE_FORMAT_FOLDED,
};

#define PROFILE_RATE_DEFAULT 1000
#define PROFILE_RATE_MAX     100000

/* The longest --pin directory: the agent's limit. */
#define CLI_PIN_DIR_MAX AGENT_PIN_DIR_MAX

void cli_env_defaults(struct env *env);

/*
 * Parses argv into env. On a usage error returns -EINVAL with a one-line
 * message (no newline) in err.
 */
int cli_parse(int argc, char **argv, struct env *env, char *err, size_t err_len);

/* Help for one command, or the overview when command is CMD_DEFAULT/CMD_HELP. */
void cli_print_help(FILE *out, enum command command);

struct runtime_roots;
/* The runtime state roots the options name, defaults for the rest. */
void cli_runtime_roots(const struct env *env, struct runtime_roots *roots);

/*
 * Splits "ADDR:PORT" ("127.0.0.1:9464", "[::1]:9464", "0.0.0.0:0") into host
 * (brackets removed) and port. Returns 0, or -EINVAL with a message in err.
 */
int cli_parse_listen(const char *arg, char *host, size_t host_len, uint16_t *port, char *err,
		     size_t err_len);

/* Name of a command, for messages. */
const char *cli_command_name(enum command command);

#endif
