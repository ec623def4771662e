// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A libmemsight consumer written only against the installed <memsight.h>, as
 * an outside program would be. Prints every OOM kill twice, as the JSON line
 * memsight_event_json() gives ("json ...") and from the decoded fields
 * ("oom ..."), and each agent_stats as "agent ..." (the agent's totals beside
 * the callbacks counted here, for bench/sinks.sh). Its own poll() loop holds
 * memsight_fd(). After memsight_close() it prints what of BPF it still holds
 * ("closed bpf_mappings=N bpf_fds=N"): a library must give everything back.
 *
 * Usage: consumer [--prefix PATH] [--seconds N] [--fault-samples N] [--sleep-ms N]
 *   --sleep-ms: sleep that long in the callback for every fault sample (a slow consumer)
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <memsight.h>

static unsigned int sleep_ms;
static unsigned long samples, oom_kills;

static void on_event(const struct memsight_event *ev, void *ctx)
{
	char line[65536];
	uint64_t sampler_runs;
	int len;

	(void)ctx;
	switch (ev->type) {
	case MEMSIGHT_EVENT_OOM_KILL:
		oom_kills++;
		len = memsight_event_json(ev, line, sizeof(line));
		if (len < 0) {
			fprintf(stderr, "consumer: memsight_event_json: %s\n", strerror(-len));
			exit(1);
		}
		printf("json %s\n", line);
		printf("oom pid=%u comm=%s cgroup=%s container_id=%s name=%s runtime=%s "
		       "constraint=%s limit=%llu\n",
		       ev->oom_kill.victim_pid, ev->oom_kill.victim_comm, ev->oom_kill.cgroup.path,
		       ev->oom_kill.container.id, ev->oom_kill.container.name,
		       ev->oom_kill.container.runtime, ev->oom_kill.constraint,
		       (unsigned long long)ev->oom_kill.limit_bytes);
		break;
	case MEMSIGHT_EVENT_FAULT_SAMPLE:
		samples++;
		if (sleep_ms)
			usleep(sleep_ms * 1000);
		break;
	case MEMSIGHT_EVENT_AGENT_STATS:
		/* the kernel's count of faults the samplers saw (bpf_stats) */
		sampler_runs = 0;
		for (unsigned int i = 0; i < ev->agent_stats.program_count; i++)
			if (!strncmp(ev->agent_stats.programs[i].name, "fault_sample", 12))
				sampler_runs += ev->agent_stats.programs[i].run_count;
		printf("agent received=%llu lost=%llu samples=%lu oom_kills=%lu filtered=%llu "
		       "interval_ns=%llu cpu_ns=%llu sampler_runs=%llu suppressed=%llu "
		       "oom_kills_dropped=%llu\n",
		       (unsigned long long)ev->agent_stats.events_received,
		       (unsigned long long)ev->agent_stats.events_lost, samples, oom_kills,
		       (unsigned long long)ev->agent_stats.events_filtered,
		       (unsigned long long)ev->agent_stats.interval_ns,
		       (unsigned long long)(ev->agent_stats.cpu_user_ns +
					    ev->agent_stats.cpu_system_ns),
		       (unsigned long long)sampler_runs,
		       (unsigned long long)ev->agent_stats.fault_samples_suppressed,
		       (unsigned long long)ev->agent_stats.oom_kills_lost);
		break;
	default:
		break;
	}
	fflush(stdout);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Mappings and descriptors of BPF objects (anon_inode:bpf-map, bpf-prog, ...) this process holds. */
static void print_bpf_held(void)
{
	unsigned int mappings = 0, fds = 0;
	char line[512], target[256];
	FILE *maps = fopen("/proc/self/maps", "r");
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *d;

	while (maps && fgets(line, sizeof(line), maps))
		mappings += strstr(line, "anon_inode:bpf") != NULL;
	while (dir && (d = readdir(dir))) {
		ssize_t len;

		len = readlinkat(dirfd(dir), d->d_name, target, sizeof(target) - 1);
		if (len > 0) {
			target[len] = '\0';
			fds += strstr(target, "anon_inode:bpf") != NULL;
		}
	}
	if (maps)
		fclose(maps);
	if (dir)
		closedir(dir);
	printf("closed bpf_mappings=%u bpf_fds=%u\n", mappings, fds);
}

int main(int argc, char **argv)
{
	struct memsight_opts opts = { .sz = sizeof(opts),
				      .on_event = on_event,
				      .interval_ms = 200,
				      .skip_container_stats = true };
	char err[512] = "";
	struct memsight *ms;
	double seconds = 5, end;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--prefix"))
			opts.cgroup_prefix = argv[i + 1];
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--fault-samples"))
			opts.fault_samples = (unsigned int)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--sleep-ms"))
			sleep_ms = (unsigned int)atoi(argv[i + 1]);
	}
	opts.err_buf = err;
	opts.err_len = sizeof(err);
	ms = memsight_open(&opts);
	if (!ms) {
		fprintf(stderr, "consumer: memsight_open: %s (%s)\n", err, strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	end = now_s() + seconds;
	while (now_s() < end) {
		struct pollfd pfd = { .fd = memsight_fd(ms), .events = POLLIN };
		int n = poll(&pfd, 1, 100), ret;

		if (n > 0 && (ret = memsight_poll(ms, 0)) < 0) {
			fprintf(stderr, "consumer: memsight_poll: %s\n", strerror(-ret));
			break;
		}
	}
	memsight_close(ms);
	print_bpf_held();
	return 0;
}
