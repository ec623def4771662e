// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>

#include "cli.h"
#include "cli_profile.h"
#include "runtime_roots.h"
#include "duration.h"
#include "prom_api.h"
#include "recommend_output.h"

#define CMD_BIT(c) (1U << (c))
#define ALL_RUNNING                                                                                \
	(CMD_BIT(CMD_DEFAULT) | CMD_BIT(CMD_TOP) | CMD_BIT(CMD_STREAM) | CMD_BIT(CMD_RUN) |        \
	 CMD_BIT(CMD_FEATURES))
/* The options `profile` shares with the agent's commands. */
#define PROFILING (ALL_RUNNING | CMD_BIT(CMD_PROFILE))
#define AGGREGATING                                                                                \
	(CMD_BIT(CMD_DEFAULT) | CMD_BIT(CMD_TOP) | CMD_BIT(CMD_STREAM) | CMD_BIT(CMD_RUN))

static const struct command_spec {
	const char *name;
	enum command command;
	const char *summary;
	const char *description;
} commands[] = {
	{ "top", CMD_TOP, "live per-container view of memory, faults, reclaim and OOM kills",
	  "A full-screen table with one row per container (or cgroup): usage, limit,\n"
	  "% of limit, growth, page faults per second, reclaim stall, OOM kills and\n"
	  "how long ago the last one was, under a header with node totals. Keys: sort\n"
	  "with the letters in the footer, / filters by name, space pauses, h helps,\n"
	  "q quits. Exited containers stay on screen, marked, for --tombstone.\n"
	  "Without a terminal (or with --batch) it prints plain-text snapshots." },
	{ "stream", CMD_STREAM, "stream events as JSON lines on stdout",
	  "Attaches memsight's BPF programs and prints one JSON object per line: an\n"
	  "oom_kill line for every OOM kill on the node (victim, trigger, cgroup,\n"
	  "container, the memcg's usage and limit), a container_stats line per\n"
	  "active cgroup every interval (faults, charges, reclaim, usage, limit) and\n"
	  "an agent_stats line (lost events, BPF run time, memsight's own RSS and\n"
	  "CPU). Runs until SIGINT or SIGTERM, --duration, or a closed stdout." },
	{ "run", CMD_RUN, "DaemonSet mode: the stream plus /metrics, /healthz and /readyz",
	  "Everything `stream` prints, plus an HTTP server on --listen:\n"
	  "  /metrics  Prometheus text format: per-container counters and gauges\n"
	  "            (memsight_oom_kills_total, memsight_page_faults_total, ...)\n"
	  "            and the agent's own figures\n"
	  "  /healthz  200 while the main loop turns, 503 when it has stalled\n"
	  "  /readyz   200 once the BPF programs are attached\n"
	  "A container's series go away when its tombstone expires (--tombstone)." },
	{ "features", CMD_FEATURES, "show the kernel's features and the hooks memsight uses",
	  "Loads and attaches the BPF programs as `stream` would, reports which hooks\n"
	  "are in use, which fallbacks were taken and why, then detaches and exits.\n"
	  "Exits 1 when memsight could not attach at all." },
	{ "version", CMD_VERSION, "print memsight's version", "Prints the version and exits." },
	{ "recommend", CMD_RECOMMEND, "memory requests and limits from what Prometheus holds",
	  "Reads memsight's series over --window from a Prometheus server, groups\n"
	  "containers into workloads (namespace, container, and the pod name without\n"
	  "its Deployment, StatefulSet, DaemonSet or Job suffix) and prints, per\n"
	  "workload: the current limit, p99 and peak working set, OOM kills, OOM risk\n"
	  "episodes and leak suspicion, and a memory request and limit with the reason\n"
	  "(p99 working set + 15%, raised after OOM kills, none for a leak or too\n"
	  "little history). Needs no privileges: it only talks to Prometheus.\n"
	  "Exits 1 when Prometheus can't be reached or holds no memsight data." },
	{ "profile", CMD_PROFILE, "where in the code a process or container faults memory in",
	  cli_profile_description },
	{ "help", CMD_HELP, "show help for a command", "memsight help [COMMAND]" },
};

struct option_spec {
	const char *name;
	char short_name;
	const char *arg;
	unsigned int commands;
	const char *help;
	int (*apply)(struct env *env, const char *arg, char *err, size_t err_len);
};

int usage_error(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int positive_duration(const char *opt, const char *arg, uint64_t *ns, char *err,
			     size_t err_len)
{
	int ret = duration_parse(arg, ns);

	if (ret == -ERANGE)
		return usage_error(err, err_len, "%s: duration '%s' is too large", opt, arg);
	if (ret)
		return usage_error(err, err_len,
				   "%s: invalid duration '%s' (use e.g. 500ms, 1s, 2m, 1h)", opt,
				   arg);
	if (*ns == 0)
		return usage_error(err, err_len, "%s: duration must be greater than zero", opt);
	return 0;
}

static int apply_interval(struct env *env, const char *arg, char *err, size_t err_len)
{
	int ret = positive_duration("--interval", arg, &env->interval_ns, err, err_len);

	/* Below 10 ms the agent's own work would dominate what it measures. */
	if (!ret && env->interval_ns < 10000000ULL)
		return usage_error(err, err_len, "--interval: '%s' is below the 10ms minimum", arg);
	return ret;
}

static int apply_duration(struct env *env, const char *arg, char *err, size_t err_len)
{
	return positive_duration("--duration", arg, &env->duration_ns, err, err_len);
}

static int apply_cgroup(struct env *env, const char *arg, char *err, size_t err_len)
{
	if (arg[0] != '/')
		return usage_error(err, err_len,
				   "--cgroup: '%s' must start with '/' (a path below the cgroup "
				   "root, e.g. /kubepods)",
				   arg);
	env->cgroup_prefix = arg;
	return 0;
}

static int apply_btf(struct env *env, const char *arg, char *err, size_t err_len)
{
	if (!*arg)
		return usage_error(err, err_len, "--btf: empty file name");
	env->btf_path = arg;
	return 0;
}

static int apply_node(struct env *env, const char *arg, char *err, size_t err_len)
{
	if (!*arg)
		return usage_error(err, err_len, "--node: empty node name");
	env->node = arg;
	return 0;
}

static int apply_oom_hook(struct env *env, const char *arg, char *err, size_t err_len)
{
	if (!strcmp(arg, "auto"))
		env->oom_hook = OOM_HOOK_AUTO;
	else if (!strcmp(arg, "tp_btf"))
		env->oom_hook = OOM_HOOK_TP_BTF;
	else if (!strcmp(arg, "fentry"))
		env->oom_hook = OOM_HOOK_FENTRY;
	else if (!strcmp(arg, "tracepoint"))
		env->oom_hook = OOM_HOOK_TRACEPOINT;
	else
		return usage_error(
			err, err_len,
			"--oom-hook: '%s' is not one of auto, tp_btf, fentry, tracepoint", arg);
	return 0;
}

static int apply_tombstone(struct env *env, const char *arg, char *err, size_t err_len)
{
	return positive_duration("--tombstone", arg, &env->tombstone_ns, err, err_len);
}

static int apply_leak_window(struct env *env, const char *arg, char *err, size_t err_len)
{
	return positive_duration("--leak-window", arg, &env->leak_window_ns, err, err_len);
}

static int apply_oom_risk_horizon(struct env *env, const char *arg, char *err, size_t err_len)
{
	return positive_duration("--oom-risk-horizon", arg, &env->oom_risk_horizon_ns, err,
				 err_len);
}

/*
 * An absolute directory that must fit, whole, in the buffer it is copied into:
 * a path cut short would name another directory and fail later in silence.
 */
static int absolute_dir(const char *opt, const char *arg, size_t max_len, const char **slot,
			char *err, size_t err_len)
{
	size_t len = strlen(arg);

	if (arg[0] != '/')
		return usage_error(err, err_len, "%s: '%s' must be an absolute path", opt, arg);
	if (len > max_len)
		return usage_error(err, err_len, "%s: the path is %zu bytes long, more than %zu",
				   opt, len, max_len);
	*slot = arg;
	return 0;
}

/* Runtime state roots: absolute host paths, --host-root is put in front of each. */
static int runtime_root(const char *opt, const char *arg, const char **slot, char *err,
			size_t err_len)
{
	return absolute_dir(opt, arg, RUNTIME_ROOT_LEN - 1, slot, err, err_len);
}

static int apply_host_root(struct env *env, const char *arg, char *err, size_t err_len)
{
	return runtime_root("--host-root", arg, &env->host_root, err, err_len);
}

static int apply_containerd_state(struct env *env, const char *arg, char *err, size_t err_len)
{
	return runtime_root("--containerd-state", arg, &env->containerd_state, err, err_len);
}

static int apply_crio_state(struct env *env, const char *arg, char *err, size_t err_len)
{
	return runtime_root("--crio-state", arg, &env->crio_state, err, err_len);
}

static int apply_docker_root(struct env *env, const char *arg, char *err, size_t err_len)
{
	return runtime_root("--docker-root", arg, &env->docker_root, err, err_len);
}

static int apply_podman_storage(struct env *env, const char *arg, char *err, size_t err_len)
{
	return runtime_root("--podman-storage", arg, &env->podman_storage, err, err_len);
}

static int apply_fault_hook(struct env *env, const char *arg, char *err, size_t err_len)
{
	/* in enum fault_hook's order */
	static const char *const names[] = { "auto",   "tp_btf",     "fentry",
					     "kprobe", "perf_event", "off" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(arg, names[i]))
			return env->fault_hook = (enum fault_hook)i, 0;
	return usage_error(
		err, err_len,
		"--fault-hook: '%s' is not one of auto, tp_btf, fentry, kprobe, perf_event, off",
		arg);
}

static int apply_charge_hook(struct env *env, const char *arg, char *err, size_t err_len)
{
	/* in enum charge_hook's order */
	static const char *const names[] = { "auto", "tp_btf", "fentry", "kprobe", "stat" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(arg, names[i]))
			return env->charge_hook = (enum charge_hook)i, 0;
	return usage_error(err, err_len,
			   "--charge-hook: '%s' is not one of auto, tp_btf, fentry, kprobe, stat",
			   arg);
}

bool parse_decimal(const char *arg, unsigned long max, unsigned long *n)
{
	char *end;

	if (arg[0] < '0' || arg[0] > '9')
		return false;
	errno = 0;
	*n = strtoul(arg, &end, 10);
	return !*end && !errno && *n <= max;
}

static int apply_fault_samples(struct env *env, const char *arg, char *err, size_t err_len)
{
	unsigned long n;

	if (!parse_decimal(arg, 100000, &n))
		return usage_error(err, err_len,
				   "--fault-samples: '%s' is not a number of samples per second "
				   "from 0 to 100000",
				   arg);
	env->fault_samples = (uint32_t)n;
	return 0;
}

int cli_parse_listen(const char *arg, char *host, size_t host_len, uint16_t *port, char *err,
		     size_t err_len)
{
	const char *colon = strrchr(arg, ':'), *start = arg, *end;
	unsigned long n;
	size_t len;

	if (!colon || colon == arg)
		return usage_error(err, err_len,
				   "--listen: '%s' is not ADDR:PORT (e.g. 127.0.0.1:9464, "
				   "0.0.0.0:9464, [::]:9464)",
				   arg);
	end = colon;
	if (arg[0] == '[') {
		if (end[-1] != ']')
			return usage_error(err, err_len,
					   "--listen: '%s': an IPv6 address goes in brackets, e.g. "
					   "[::1]:9464",
					   arg);
		start++;
		end--;
	} else if (memchr(arg, ':', (size_t)(colon - arg))) {
		return usage_error(
			err, err_len,
			"--listen: '%s': put an IPv6 address in brackets, e.g. [::1]:9464", arg);
	}
	len = (size_t)(end - start);
	if (!len || len >= host_len)
		return usage_error(err, err_len, "--listen: '%s' has no usable address", arg);
	if (!parse_decimal(colon + 1, 65535, &n))
		return usage_error(err, err_len,
				   "--listen: port '%s' is not a number from 0 to 65535",
				   colon + 1);
	memcpy(host, start, len);
	host[len] = '\0';
	*port = (uint16_t)n;
	return 0;
}

static int apply_listen(struct env *env, const char *arg, char *err, size_t err_len)
{
	return cli_parse_listen(arg, env->listen_host, sizeof(env->listen_host), &env->listen_port,
				err, err_len);
}

static int apply_pin(struct env *env, const char *arg, char *err, size_t err_len)
{
	return absolute_dir("--pin", arg, CLI_PIN_DIR_MAX, &env->pin_dir, err, err_len);
}

static int apply_batch(struct env *env, const char *arg, char *err, size_t err_len)
{
	env->batch = true;
	return 0;
}

static int apply_iterations(struct env *env, const char *arg, char *err, size_t err_len)
{
	unsigned long n;

	if (!parse_decimal(arg, 1000000000UL, &n) || n == 0)
		return usage_error(err, err_len,
				   "--iterations: '%s' is not a positive number of snapshots", arg);
	env->iterations = (uint32_t)n;
	return 0;
}

static int apply_no_bpf_stats(struct env *env, const char *arg, char *err, size_t err_len)
{
	env->bpf_stats = false;
	return 0;
}

static int apply_json(struct env *env, const char *arg, char *err, size_t err_len)
{
	env->json = true;
	return 0;
}

static int apply_verbose(struct env *env, const char *arg, char *err, size_t err_len)
{
	env->verbose = true;
	return 0;
}

static int apply_help(struct env *env, const char *arg, char *err, size_t err_len)
{
	env->help_topic = env->command == CMD_DEFAULT ? NULL : cli_command_name(env->command);
	env->command = CMD_HELP;
	return 0;
}

static int apply_prometheus(struct env *env, const char *arg, char *err, size_t err_len)
{
	env->prometheus_url = arg;
	return prom_url_check(arg, err, err_len);
}

static int apply_window(struct env *env, const char *arg, char *err, size_t err_len)
{
	int ret = positive_duration("--window", arg, &env->window_ns, err, err_len);

	if (!ret && env->window_ns < 60000000000ULL)
		return usage_error(err, err_len, "--window: '%s' is below the 1m minimum", arg);
	return ret;
}

static int apply_namespace(struct env *env, const char *arg, char *err, size_t err_len)
{
	if (!*arg)
		return usage_error(err, err_len, "--namespace: empty namespace");
	env->namespace = arg;
	return 0;
}

static int apply_format(struct env *env, const char *arg, char *err, size_t err_len)
{
	env->format_arg = arg; /* read by check_command once the command is known */
	return 0;
}

static int recommend_format(struct env *env, const char *arg, char *err, size_t err_len)
{
	if (!strcmp(arg, "table"))
		env->format = RECOMMEND_FORMAT_TABLE;
	else if (!strcmp(arg, "json"))
		env->format = RECOMMEND_FORMAT_JSON;
	else if (!strcmp(arg, "yaml"))
		env->format = RECOMMEND_FORMAT_YAML;
	else
		return usage_error(err, err_len, "--format: '%s' is not one of table, json, yaml",
				   arg);
	return 0;
}

static const struct option_spec options[] = {
	{ "interval", 0, "DUR", ALL_RUNNING,
	  "how often figures are reported and top refreshes (default 1s; min 10ms)",
	  apply_interval },
	{ "duration", 0, "DUR", PROFILING, "exit after DUR (default: run until stopped)",
	  apply_duration },
	{ "cgroup", 0, "PREFIX", PROFILING,
	  "only events whose cgroup path starts with PREFIX (e.g. /kubepods)", apply_cgroup },
	{ "btf", 0, "FILE", PROFILING, "kernel BTF to use when /sys/kernel/btf/vmlinux is missing",
	  apply_btf },
	{ "node", 0, "NAME", ALL_RUNNING,
	  "node name in every line (default: $NODE_NAME, else the host name)", apply_node },
	{ "oom-hook", 0, "HOOK", ALL_RUNNING,
	  "auto, tp_btf, fentry or tracepoint: how OOM kills are traced (default auto)",
	  apply_oom_hook },
	{ "fault-hook", 0, "HOOK", PROFILING,
	  "auto, tp_btf, fentry, kprobe, perf_event or off: how page faults are counted "
	  "(default auto; profile: auto, tp_btf or perf_event)",
	  apply_fault_hook },
	{ "charge-hook", 0, "HOOK", ALL_RUNNING,
	  "auto, tp_btf, fentry, kprobe or stat (memory.stat deltas): how charges are counted",
	  apply_charge_hook },
	{ "fault-samples", 0, "N", ALL_RUNNING & ~CMD_BIT(CMD_TOP),
	  "emit at most N fault_sample events a second node-wide (x86; default 0: off)",
	  apply_fault_samples },
	{ "host-root", 0, "DIR", PROFILING,
	  "the host's / mounted at DIR (DaemonSet); prefixes every runtime root", apply_host_root },
	{ "containerd-state", 0, "DIR", PROFILING,
	  "containerd task state (default /run/containerd/io.containerd.runtime.v2.task)",
	  apply_containerd_state },
	{ "crio-state", 0, "DIR", PROFILING,
	  "CRI-O container state (default /run/containers/storage/overlay-containers)",
	  apply_crio_state },
	{ "docker-root", 0, "DIR", PROFILING, "docker's data root (default /var/lib/docker)",
	  apply_docker_root },
	{ "podman-storage", 0, "DIR", PROFILING,
	  "podman's storage root (default /var/lib/containers/storage)", apply_podman_storage },
	{ "tombstone", 0, "DUR", AGGREGATING,
	  "how long an exited container keeps its name for late events (default 5m)",
	  apply_tombstone },
	{ "oom-risk-horizon", 0, "DUR", ALL_RUNNING,
	  "an oom_risk line when a container would reach its limit within DUR at its current "
	  "growth (default 5m)",
	  apply_oom_risk_horizon },
	{ "leak-window", 0, "DUR", ALL_RUNNING,
	  "a leak_suspect line for a container whose anonymous memory kept growing across DUR "
	  "(default 10m)",
	  apply_leak_window },
	{ "no-bpf-stats", 0, NULL, ALL_RUNNING,
	  "don't enable kernel BPF run-time statistics (agent_stats run_time_ns stays 0)",
	  apply_no_bpf_stats },
	{ "listen", 0, "ADDR:PORT", CMD_BIT(CMD_RUN),
	  "where /metrics, /healthz, /readyz listen (default 127.0.0.1:9464; port 0: any free)",
	  apply_listen },
	{ "pin", 0, "DIR", CMD_BIT(CMD_RUN),
	  "pin the event ring buffer and counting maps in DIR (bpffs) for another reader",
	  apply_pin },
	{ "batch", 'b', NULL, CMD_BIT(CMD_TOP) | CMD_BIT(CMD_DEFAULT),
	  "plain-text snapshots every interval instead of the full-screen view", apply_batch },
	{ "iterations", 'n', "N", CMD_BIT(CMD_TOP) | CMD_BIT(CMD_DEFAULT),
	  "exit after N refreshes (default: run until q or stopped)", apply_iterations },
	{ "prometheus", 0, "URL", CMD_BIT(CMD_RECOMMEND),
	  "recommend: the Prometheus server's base URL (e.g. http://prometheus:9090)",
	  apply_prometheus },
	{ "window", 0, "DUR", CMD_BIT(CMD_RECOMMEND),
	  "recommend: how far back to look (default 7d; min 1m)", apply_window },
	{ "namespace", 0, "NS", CMD_BIT(CMD_RECOMMEND), "recommend: only workloads in namespace NS",
	  apply_namespace },
	{ "format", 0, "FMT", CMD_BIT(CMD_RECOMMEND) | CMD_BIT(CMD_PROFILE),
	  "recommend: table (default), json (a line per workload) or yaml (resources blocks); "
	  "profile: pprof or folded",
	  apply_format },
	{ "pid", 0, "PID", CMD_BIT(CMD_PROFILE), "profile: the process to profile", cli_apply_pid },
	{ "rate", 0, "N", CMD_BIT(CMD_PROFILE),
	  "profile: at most N sampled faults a second, node-wide (default 1000)", cli_apply_rate },
	{ "output", 'o', "FILE", CMD_BIT(CMD_PROFILE),
	  "profile: write the profile to FILE (pprof unless --format folded)", cli_apply_output },
	{ "json", 0, NULL, CMD_BIT(CMD_FEATURES) | CMD_BIT(CMD_VERSION),
	  "print the report as one JSON object", apply_json },
	{ "verbose", 'v', NULL, ~0U, "print debug output on stderr (libbpf's; recommend's queries)",
	  apply_verbose },
	{ "help", 'h', NULL, ~0U, "show help", apply_help },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void cli_env_defaults(struct env *env)
{
	memset(env, 0, sizeof(*env));
	env->command = CMD_DEFAULT;
	env->interval_ns = 1000000000ULL;
	env->oom_hook = OOM_HOOK_AUTO;
	env->bpf_stats = true;
	env->tombstone_ns = 300ULL * 1000000000ULL;
	env->oom_risk_horizon_ns = 300ULL * 1000000000ULL;
	env->leak_window_ns = 600ULL * 1000000000ULL;
	snprintf(env->listen_host, sizeof(env->listen_host), "127.0.0.1");
	env->listen_port = 9464;
	env->window_ns = 7ULL * 86400ULL * 1000000000ULL;
	env->format = RECOMMEND_FORMAT_TABLE;
	env->profile_rate = PROFILE_RATE_DEFAULT;
}

void cli_runtime_roots(const struct env *env, struct runtime_roots *roots)
{
	runtime_roots_under(roots, env->host_root);
	if (env->containerd_state)
		snprintf(roots->containerd_state, sizeof(roots->containerd_state), "%s",
			 env->containerd_state);
	if (env->crio_state)
		snprintf(roots->crio_state, sizeof(roots->crio_state), "%s", env->crio_state);
	if (env->docker_root)
		snprintf(roots->docker_root, sizeof(roots->docker_root), "%s", env->docker_root);
	if (env->podman_storage)
		snprintf(roots->podman_storage, sizeof(roots->podman_storage), "%s",
			 env->podman_storage);
}

const char *cli_command_name(enum command command)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (commands[i].command == command)
			return commands[i].name;
	return "memsight";
}

static const struct command_spec *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static const struct option_spec *find_option(const char *name, size_t name_len, char short_name)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		if (short_name && options[i].short_name == short_name)
			return &options[i];
		if (!short_name && strlen(options[i].name) == name_len &&
		    !strncmp(options[i].name, name, name_len))
			return &options[i];
	}
	return NULL;
}

/* Options are checked against the command once it is known, wherever it came. */
static int check_command(struct env *env, const bool used[], char *err, size_t err_len)
{
	for (size_t i = 0; i < ARRAY_SIZE(options) && env->command != CMD_HELP; i++)
		if (used[i] && !(options[i].commands & CMD_BIT(env->command)))
			return usage_error(err, err_len, "option --%s does not apply to '%s'",
					   options[i].name, cli_command_name(env->command));
	if (env->command == CMD_RECOMMEND && !env->prometheus_url)
		return usage_error(
			err, err_len,
			"recommend needs --prometheus URL (e.g. http://prometheus:9090)");
	if (env->command == CMD_RECOMMEND && env->format_arg)
		return recommend_format(env, env->format_arg, err, err_len);
	if (env->command == CMD_PROFILE)
		return cli_check_profile(env, err, err_len);
	return 0;
}

int cli_parse(int argc, char **argv, struct env *env, char *err, size_t err_len)
{
	bool used[ARRAY_SIZE(options)] = { false };
	bool command_seen = false;

	err[0] = '\0';
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *value = NULL, *eq;
		const struct option_spec *opt;
		int ret;

		if (arg[0] != '-' || !arg[1]) {
			const struct command_spec *cmd;

			if (env->command == CMD_HELP && !env->help_topic && command_seen) {
				if (!find_command(arg))
					return usage_error(err, err_len,
							   "unknown command '%s' (see "
							   "'memsight --help')",
							   arg);
				env->help_topic = arg;
				continue;
			}
			if (command_seen)
				return usage_error(err, err_len,
						   "unexpected argument '%s' (see 'memsight %s "
						   "--help')",
						   arg, cli_command_name(env->command));
			cmd = find_command(arg);
			if (!cmd)
				return usage_error(err, err_len,
						   "unknown command '%s' (see 'memsight --help')",
						   arg);
			if (env->command != CMD_HELP)
				env->command = cmd->command;
			else
				env->help_topic = cmd->name;
			command_seen = true;
			continue;
		}
		if (arg[1] == '-') {
			eq = strchr(arg + 2, '=');
			opt = find_option(arg + 2, eq ? (size_t)(eq - arg - 2) : strlen(arg + 2),
					  0);
			if (eq)
				value = eq + 1;
		} else {
			if (arg[2])
				return usage_error(err, err_len,
						   "unknown option '%s' (see 'memsight --help')",
						   arg);
			opt = find_option(NULL, 0, arg[1]);
		}
		if (!opt)
			return usage_error(err, err_len,
					   "unknown option '%s' (see 'memsight --help')", arg);
		if (opt->arg && !value) {
			if (i + 1 >= argc)
				return usage_error(err, err_len, "option --%s needs a value %s",
						   opt->name, opt->arg);
			value = argv[++i];
		} else if (!opt->arg && value) {
			return usage_error(err, err_len, "option --%s takes no value", opt->name);
		}
		ret = opt->apply(env, value, err, err_len);
		if (ret)
			return ret;
		used[opt - options] = true;
	}
	return check_command(env, used, err, err_len);
}

static void print_options(FILE *out, enum command command)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		const struct option_spec *o = &options[i];
		char left[48];

		if (!(o->commands & CMD_BIT(command)))
			continue;
		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		fprintf(out, "  %-26s %s\n", left, o->help);
	}
}

void cli_print_help(FILE *out, enum command command)
{
	const struct command_spec *cmd = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (commands[i].command == command && command != CMD_HELP)
			cmd = &commands[i];
	if (cmd) {
		fprintf(out, "Usage: memsight %s [OPTIONS]\n\n%s\n\nOptions:\n", cmd->name,
			cmd->description);
		print_options(out, command);
		return;
	}
	fprintf(out, "memsight - per-container memory observer for Linux (eBPF)\n\n"
		     "Usage: memsight [COMMAND] [OPTIONS]\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nWith no command, memsight runs `top` on a terminal and `stream` "
		     "otherwise.\n\nOptions:\n");
	print_options(out, CMD_DEFAULT);
	fprintf(out,
		"\nDurations take a unit: ns, us, ms, s, m, h, d (e.g. 500ms, 1.5s, 1h30m, 7d).\n"
		"Exit status: 0 success, 1 runtime failure, 2 usage error.\n"
		"Needs root or CAP_BPF + CAP_PERFMON, and kernel BTF (Linux 5.8 or later).\n"
		"'memsight help COMMAND' shows a command's own options.\n");
}
