// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Memcg churn for the counting tests: COUNT memcgs under DIR, made, faulted
 * by a child that touches a varying number of pages, emptied and removed,
 * by WORKERS processes at once (each on its own CPU where there are enough).
 * For every memcg it prints the kernel's own figures, read after its task
 * exited (and the kernel flushed its stats) and before the rmdir:
 *   NAME PGFAULT PGMAJFAULT
 *
 * With PER_SEC, memcgs are made at that rate (all workers together); with
 * OOM_EVERY N, every Nth memcg gets an 8 MiB limit and its child touches
 * 64 MiB, so the OOM killer ends it (a fourth column says 1).
 *
 * Usage: churn DIR COUNT WORKERS [PER_SEC [OOM_EVERY]]
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* pgfault and pgmajfault of a memcg's memory.stat. */
static int read_faults(const char *dir, unsigned long long *faults, unsigned long long *major)
{
	char path[4200], key[64];
	unsigned long long value;
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.stat", dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %llu", key, &value) == 2) {
		if (!strcmp(key, "pgfault"))
			*faults = value, found |= 1;
		else if (!strcmp(key, "pgmajfault"))
			*major = value, found |= 2;
	}
	fclose(f);
	return found == 3 ? 0 : -1;
}

/* The child: joins the memcg, then touches pages. */
static void fault_in(const char *dir, unsigned long pages)
{
	long page = sysconf(_SC_PAGESIZE);
	char path[4200];
	char *mem;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if (write_file(path, "0"))
		_exit(3);
	mem = mmap(NULL, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		_exit(4);
	for (unsigned long i = 0; i < pages; i++)
		mem[i * page] = 1;
	_exit(0);
}

static unsigned int oom_every;

/* An 8 MiB limit without swap, on cgroup v1 or v2. */
static int limit_memcg(const char *dir)
{
	static const char *const files[][2] = {
		{ "memory.limit_in_bytes", "8388608" },
		{ "memory.swappiness", "0" },
		{ "memory.max", "8388608" },
		{ "memory.swap.max", "0" },
	};
	char path[4200];
	int set = 0;

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[f][0]);
		set += !write_file(path, files[f][1]) && f % 2 == 0;
	}
	return set ? 0 : -1;
}

/* Makes memcg i and runs its faulting child to its end; *killed: by the OOM killer. */
static int start_memcg(const char *root, unsigned int i, int *killed)
{
	bool oom = oom_every && i % oom_every == 0;
	char dir[4096];
	int status;
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s/c%u", root, i);
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -1;
	if (oom && limit_memcg(dir))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		fault_in(dir, oom ? 64 * 256 : 1 + (i * 37) % 300);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	*killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	if (!*killed && (!WIFEXITED(status) || WEXITSTATUS(status)))
		return -1;
	return 0;
}

/* Prints memcg i's figures and removes it. */
static int finish_memcg(const char *root, unsigned int i, int killed)
{
	unsigned long long faults = 0, major = 0;
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/c%u", root, i);
	if (read_faults(dir, &faults, &major))
		return -1;
	printf("c%u %llu %llu %d\n", i, faults, major, killed);
	for (int tries = 0; rmdir(dir); tries++) {
		if (tries == 100)
			return -1;
		usleep(10000);
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * memory.stat is exact only once the kernel has flushed its per-CPU stat
 * deltas: a read flushes only above a threshold of pending updates, and a
 * periodic flush runs every 2 s. So each memcg is read STAT_DELAY_S after
 * its task exited, and the workers keep making memcgs meanwhile.
 */
#define STAT_DELAY_S 2.5
#define PENDING_MAX  8192

static int worker(const char *root, unsigned int count, unsigned int workers, unsigned int w,
		  double per_sec)
{
	static struct {
		unsigned int i;
		int killed;
		double done;
	} pending[PENDING_MAX];
	double start = now_s(), every = per_sec > 0 ? workers / per_sec : 0;
	unsigned int head = 0, tail = 0, next = w;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(w % (cpus > 0 ? cpus : 1), &set);
	sched_setaffinity(0, sizeof(set), &set);
	while (next < count || head != tail) {
		if (head != tail && (now_s() - pending[head % PENDING_MAX].done >= STAT_DELAY_S ||
				     next >= count || tail - head == PENDING_MAX)) {
			while (now_s() - pending[head % PENDING_MAX].done < STAT_DELAY_S)
				usleep(10000);
			if (finish_memcg(root, pending[head % PENDING_MAX].i,
					 pending[head % PENDING_MAX].killed))
				goto fail;
			head++;
			continue;
		}
		/* paced: memcg number k of this worker starts k * every seconds in */
		while (every && now_s() < start + (next / workers) * every)
			usleep(1000);
		if (start_memcg(root, next, &pending[tail % PENDING_MAX].killed))
			goto fail;
		pending[tail % PENDING_MAX].i = next;
		pending[tail % PENDING_MAX].done = now_s();
		tail++;
		next += workers;
	}
	return 0;
fail:
	fprintf(stderr, "churn: a memcg failed: %s\n", strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	unsigned int count, workers, failed = 0;
	double per_sec = argc > 4 ? strtod(argv[4], NULL) : 0;
	int status;

	if (argc < 4 || argc > 6 || !(count = strtoul(argv[2], NULL, 10)) ||
	    !(workers = strtoul(argv[3], NULL, 10))) {
		fprintf(stderr, "usage: churn DIR COUNT WORKERS [PER_SEC [OOM_EVERY]]\n");
		return 2;
	}
	oom_every = argc > 5 ? strtoul(argv[5], NULL, 10) : 0;
	setvbuf(stdout, NULL, _IOLBF, 0); /* whole lines from each worker */
	for (unsigned int w = 0; w < workers; w++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0)
			_exit(worker(argv[1], count, workers, w, per_sec));
	}
	while (wait(&status) > 0)
		failed += !WIFEXITED(status) || WEXITSTATUS(status);
	return failed ? 1 : 0;
}
