// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `memsight profile`: its help text and the options only it has. */
#include <errno.h>
#include <string.h>

#include "cli_profile.h"

const char cli_profile_description[] =
	"Samples the page faults of one process (--pid) or of every process in the\n"
	"cgroups whose path starts with PREFIX (--cgroup), with the call stack that\n"
	"faulted, and says which code paths bring memory in. Each fault is a page\n"
	"(or more) of memory touched for the first time, or read back from disk: the\n"
	"code that grows a process's resident memory shows up here.\n"
	"\n"
	"About --rate faults a second are sampled, node-wide, chosen in the kernel:\n"
	"one fault in a period fitted four times a second to how fast the profiled\n"
	"processes fault, so every fault is as likely to be sampled as any other; a\n"
	"cap per CPU holds a sudden storm. Stacks are counted in the kernel and read\n"
	"once at the end. Ctrl-C (or SIGTERM) stops early and still writes what was\n"
	"gathered.\n"
	"\n"
	"Output: with --output FILE, a pprof profile (gzipped profile.proto: open it\n"
	"with `go tool pprof -top FILE` or `-http=:8080 FILE`), sample types\n"
	"faults/count and memory/bytes (a page per sampled fault), labels pid, comm,\n"
	"cgroup, container, pod, namespace. Without --output, or with --format\n"
	"folded, folded stacks on stdout, one line per stack, `comm;outermost;...;\n"
	"leaf count`, for flamegraph.pl and speedscope. A summary goes to stderr:\n"
	"faults seen and sampled, and stacks that could not be walked.\n"
	"\n"
	"User stacks are walked with frame pointers, in the kernel, at the fault.\n"
	"Code built without them (gcc and clang omit them at -O1 and above unless\n"
	"given -fno-omit-frame-pointer; most distributions' libraries) yields a\n"
	"stack of the faulting function alone, or a wrong caller: the summary counts\n"
	"stacks of one frame and walks that failed (-EFAULT). Go keeps frame\n"
	"pointers (amd64, arm64); so do C/C++ built with -fno-omit-frame-pointer and\n"
	"distributions that build with it (Fedora 38+, Ubuntu 24.04+). gcc 12 leaves\n"
	"leaf functions without a frame even so: their caller is then skipped. A\n"
	"frame whose file has no symbols is shown as module+0xoffset, never dropped.\n"
	"\n"
	"Symbols are read from each process's own files through the host's\n"
	"/proc/PID/root, so binaries inside containers resolve; in a pod this needs\n"
	"hostPID (the chart's hostPID), and memsight says when /proc can't be read.\n"
	"Kernel frames (faults taken in the kernel, e.g. read() into a fresh buffer)\n"
	"come from /proc/kallsyms, marked _[k].";

int cli_apply_pid(struct env *env, const char *arg, char *err, size_t err_len)
{
	unsigned long n;

	/* pid_max is at most 2^22 (PID_MAX_LIMIT) */
	if (!parse_decimal(arg, 4194304, &n) || n == 0)
		return usage_error(err, err_len, "--pid: '%s' is not a process id", arg);
	env->pid = (uint32_t)n;
	return 0;
}

int cli_apply_rate(struct env *env, const char *arg, char *err, size_t err_len)
{
	unsigned long n;

	if (!parse_decimal(arg, PROFILE_RATE_MAX, &n) || n == 0)
		return usage_error(
			err, err_len,
			"--rate: '%s' is not a number of samples per second from 1 to %d", arg,
			PROFILE_RATE_MAX);
	env->profile_rate = (uint32_t)n;
	return 0;
}

int cli_apply_output(struct env *env, const char *arg, char *err, size_t err_len)
{
	if (!*arg)
		return usage_error(err, err_len, "--output: empty file name");
	env->output = arg;
	return 0;
}

int cli_check_profile(struct env *env, char *err, size_t err_len)
{
	if (!env->pid == !env->cgroup_prefix)
		return usage_error(err, err_len,
				   "profile needs one of --pid PID and --cgroup PREFIX (see "
				   "'memsight profile --help')");
	if (env->fault_hook == FAULT_HOOK_OFF || env->fault_hook == FAULT_HOOK_FENTRY ||
	    env->fault_hook == FAULT_HOOK_KPROBE)
		return usage_error(err, err_len,
				   "--fault-hook %s: profile samples page faults with their stacks "
				   "(the exceptions tracepoints or perf events); use auto, tp_btf "
				   "or perf_event",
				   env->fault_hook == FAULT_HOOK_OFF	  ? "off"
				   : env->fault_hook == FAULT_HOOK_FENTRY ? "fentry"
									  : "kprobe");
	if (!env->format_arg)
		env->profile_format = PROFILE_FORMAT_AUTO;
	else if (!strcmp(env->format_arg, "pprof"))
		env->profile_format = PROFILE_FORMAT_PPROF;
	else if (!strcmp(env->format_arg, "folded"))
		env->profile_format = PROFILE_FORMAT_FOLDED;
	else
		return usage_error(err, err_len, "--format: '%s' is not one of pprof, folded",
				   env->format_arg);
	return 0;
}
