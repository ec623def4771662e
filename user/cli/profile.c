// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * memsight profile: load the profile's BPF object, let it sample until
 * --duration or a stop signal, note each new process as it appears (its maps
 * and root, while it still runs), then symbolize and write the profile.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "clock.h"
#include "container_cache.h"
#include "file_limit.h"
#include "id_table.h"
#include "log.h"
#include "profile.h"
#include "profile_collect.h"
#include "profile_loader.h"
#include "runtime_roots.h"
#include "symbolizer.h"

#define TICK_MS		 250 /* the sampling period is re-fitted this often */
#define TICKS_PER_SECOND 4   /* new cgroups, the progress line, a look at every key: each second */
/* long enough for an exec to have mapped the new image's libraries */
#define REREAD_AFTER_NS 50000000ULL

struct session {
	struct env *env;
	struct profile_loader *loader;
	struct symbolizer *symbolizer;
	struct container_cache *containers;
	struct cgroup_labels labels;
	/* tgids noted (or refused), looked up for every key each second: when their maps were read */
	struct id_table *pids_seen;
	size_t pids_unreadable; /* /proc/PID there but not readable (another pid namespace...) */
	size_t pids_exited;	/* gone before their first sample was noticed */
	char first_unreadable[256];
	size_t cgroups_matched;
	int signal_fd;
	int out_fd; /* --output, opened before sampling so a bad path fails at once */
	uint64_t start_ns;
	int64_t start_realtime_ns;
	uint64_t fit_ns, fit_matched; /* when the period was last fitted, and the count then */
	bool progress;		      /* stderr is a terminal: a line redrawn each second */
};

static void note_pid(uint32_t tgid, const char *comm, void *ctx)
{
	struct session *s = ctx;
	uint64_t *read_ns;
	char why[256];
	int ret;

	if (id_table__find(s->pids_seen, tgid) || !(read_ns = id_table__get(s->pids_seen, tgid)))
		return;
	ret = symbolizer__add_process(s->symbolizer, tgid, comm, why, sizeof(why));
	*read_ns = ret ? 0 : clock_monotonic_ns();
	if (ret == -ENOENT || ret == -ESRCH)
		s->pids_exited++;
	else if (ret && !s->pids_unreadable++)
		snprintf(s->first_unreadable, sizeof(s->first_unreadable), "%s", why);
}

struct reread {
	struct symbolizer *symbolizer;
	uint64_t now;
};

/* A process's maps read again a little after the first time (symbolizer__reread_maps). */
static void reread_one(uint64_t pid, void *value, void *ctx)
{
	const struct reread *r = ctx;
	uint64_t *read_ns = value;

	if (!*read_ns || r->now - *read_ns < REREAD_AFTER_NS)
		return;
	*read_ns = 0;
	symbolizer__reread_maps(r->symbolizer, (uint32_t)pid);
}

static void reread_maps(struct session *s, uint64_t now)
{
	struct reread r = { .symbolizer = s->symbolizer, .now = now };

	id_table__each(s->pids_seen, reread_one, &r);
}

static void note_process(const struct memsight_profile_key *key,
			 const struct memsight_profile_value *value, void *ctx)
{
	note_pid(key->tgid, NULL, ctx);
}

/* --cgroup: every memory cgroup whose path starts with the prefix joins the set. */
static int match_cgroups(struct session *s)
{
	const char *prefix = s->env->cgroup_prefix;
	int ret = cgroup_labels_scan(&s->labels, s->containers);

	if (ret == -ENOENT)
		log_error("no memory cgroup hierarchy is mounted: --cgroup needs one");
	if (ret || !prefix)
		return ret;
	s->cgroups_matched = 0;
	for (size_t i = 0; i < s->labels.count; i++) {
		const struct cgroup_label *l = &s->labels.items[i];

		if (strncmp(l->path, prefix, strlen(prefix)))
			continue;
		ret = profile_loader__add_cgroup(s->loader, l->id);
		if (ret) {
			log_error("can't add cgroup %s to the profile's set: %s", l->path,
				  strerror(-ret));
			return ret;
		}
		s->cgroups_matched++;
	}
	return 0;
}

static void progress_line(struct session *s, bool final)
{
	struct memsight_profile_stats st;
	double secs = (double)(clock_monotonic_ns() - s->start_ns) / 1e9;

	profile_loader__stats(s->loader, &st);
	if (s->progress)
		fprintf(stderr,
			"\r\033[Kmemsight: profiling %.0fs: %llu faults seen, %llu"
			" sampled, %u processes%s",
			secs, st.matched, st.sampled, id_table__count(s->pids_seen),
			final ? "\n" : "");
}

static int start(struct session *s)
{
	struct profile_loader_opts opts = {
		.sz = sizeof(opts),
		.pid = s->env->pid,
		.filter_cgroups = s->env->cgroup_prefix != NULL,
		.rate = s->env->profile_rate,
		.btf_path = s->env->btf_path,
		.hook = s->env->fault_hook,
		.on_new_process = note_pid,
		.ctx = s,
	};
	char err[512] = "";
	int ret = profile_loader__open(&opts, &s->loader, err, sizeof(err));

	if (ret) {
		log_error("%s", err);
		return ret;
	}
	log_debug("profile: %s (%s)", profile_loader__hook(s->loader),
		  profile_loader__hook_reason(s->loader));
	ret = match_cgroups(s);
	if (!ret && s->env->cgroup_prefix && !s->cgroups_matched) {
		log_error("no memory cgroup's path starts with %s (under %s)",
			  s->env->cgroup_prefix, s->labels.root);
		return -ENOENT;
	}
	s->start_ns = clock_monotonic_ns();
	s->start_realtime_ns = clock_realtime_ns();
	return ret;
}

/*
 * One fault in `period` is sampled on every CPU: fitted to the matching faults
 * of the node over the last tick, it yields about --rate samples a second in all.
 */
static void fit_period(struct session *s)
{
	struct memsight_profile_stats st;
	uint64_t now = clock_monotonic_ns(), elapsed = now - s->fit_ns, seen;
	double want, period;

	if (profile_loader__stats(s->loader, &st) || !elapsed)
		return;
	seen = st.matched - s->fit_matched;
	s->fit_ns = now;
	s->fit_matched = st.matched;
	if (!seen)
		return; /* nothing to go by: the period stays */
	/*
	 * Samples due this tick: a fraction at low rates (--rate 1 is a quarter
	 * of one), so not rounded to whole samples, which would take 4 a second.
	 */
	want = (double)elapsed * s->env->profile_rate / 1e9;
	period = ceil((double)seen / want);
	/* the BPF side draws its countdown from a u32 below 2 period */
	profile_loader__set_period(s->loader, period < 0x1p31 ? (uint64_t)period : 1ULL << 31);
}

/*
 * Sampling is over: the first Ctrl-C stopped it (its record read here), or
 * --duration did. Either way the next one, while the profile is written,
 * ends memsight: left blocked, it would go unheard until the end, as
 * would timeout's SIGTERM.
 */
static void release_stop_signals(struct session *s)
{
	struct signalfd_siginfo info;
	sigset_t stop;

	/* the fd is non-blocking: nothing pending is EAGAIN */
	if (read(s->signal_fd, &info, sizeof(info)) < 0 && errno != EAGAIN)
		log_debug("signalfd: %s", strerror(errno));
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &stop, NULL);
}

/* Until --duration, a stop signal, or (--pid) the process's end. */
static void sample(struct session *s)
{
	uint64_t duration = s->env->duration_ns, deadline = 0;
	uint64_t next_tick = s->start_ns + TICK_MS * 1000000ULL;
	char proc[64];

	/* saturated: --duration takes up to 584 years, which the clock would wrap past */
	if (duration)
		deadline =
			duration > UINT64_MAX - s->start_ns ? UINT64_MAX : s->start_ns + duration;
	snprintf(proc, sizeof(proc), "/proc/%" PRIu32, s->env->pid);
	s->fit_ns = s->start_ns;
	for (unsigned int tick = 0;;) {
		uint64_t now = clock_monotonic_ns(), wake = next_tick;
		int woke;

		if (deadline && now >= deadline)
			break;
		if (deadline && deadline < wake)
			wake = deadline;
		/* new processes are noted as they come (the ring), the rest on the tick */
		woke = profile_loader__poll(s->loader, s->signal_fd,
					    wake > now ? (int)((wake - now + 999999) / 1000000)
						       : 0);
		if (woke < 0) /* it would spin, not wait: stop and write what there is */
			log_error("can't wait for events: %s; stopping early", strerror(-woke));
		if (woke)
			break;
		if (clock_monotonic_ns() < next_tick)
			continue;
		next_tick += TICK_MS * 1000000ULL;
		fit_period(s);
		reread_maps(s, clock_monotonic_ns());
		if (++tick % TICKS_PER_SECOND)
			continue;
		profile_loader__each(s->loader, note_process, s); /* any the ring missed */
		if (s->env->cgroup_prefix) {
			match_cgroups(s); /* cgroups made since: new containers under the prefix */
			profile_loader__recheck_cgroups(s->loader);
		}
		progress_line(s, false);
		if (s->env->pid && access(proc, F_OK))
			break;
	}
	release_stop_signals(s);
	profile_loader__detach(s->loader);
	profile_loader__each(s->loader, note_process, s);
	reread_maps(s, UINT64_MAX); /* the ones still due, while they may still run */
}

static int write_all(int fd, const struct strbuf *data)
{
	size_t done = 0;

	while (done < data->len) {
		ssize_t n = write(fd, data->buf + done, data->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += (size_t)n;
	}
	return 0;
}

static bool wants_pprof(const struct env *env)
{
	return env->profile_format == PROFILE_FORMAT_PPROF ||
	       (env->profile_format == PROFILE_FORMAT_AUTO && env->output);
}

static int write_profile(struct session *s, const struct profile_collection *c,
			 const struct memsight_profile_stats *st)
{
	struct profile_meta meta = {
		.time_ns = s->start_realtime_ns,
		.duration_ns = (int64_t)(clock_monotonic_ns() - s->start_ns),
		.faults_matched = st->matched,
		.faults_sampled = st->sampled,
	};
	char comment[256];
	struct strbuf out;
	int ret;

	snprintf(comment, sizeof(comment),
		 "memsight profile: %llu of %llu faults sampled (--rate %" PRIu32 "), hook %s",
		 st->sampled, st->matched, s->env->profile_rate, profile_loader__hook(s->loader));
	meta.comment = comment;
	strbuf_init(&out);
	ret = wants_pprof(s->env) ? profile_write_pprof(c->stacks, c->count, &meta, &out)
				  : profile_write_folded(c->stacks, c->count, &out);
	if (!ret)
		ret = write_all(s->out_fd, &out);
	if (!ret && s->out_fd != STDOUT_FILENO) {
		ret = close(s->out_fd) ? -errno : 0;
		s->out_fd = -1;
	}
	if (ret)
		log_error("can't write the profile to %s: %s",
			  s->env->output ? s->env->output : "stdout", strerror(-ret));
	strbuf_free(&out);
	return ret;
}

static double share(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void summary(struct session *s, const struct profile_collection *c,
		    const struct memsight_profile_stats *st)
{
	const char *problems = symbolizer__problems(s->symbolizer);

	log_info("profile: %llu of %llu faults sampled from %u processes, %zu "
		 "stacks; user stacks of one frame %.1f%%, cut at %d frames %.1f%%, lost %.1f%% "
		 "(unreadable %llu"
		 ", map collisions %llu, other %llu; %llu kept in the spill map), kernel stacks "
		 "lost %llu"
		 ", samples lost to a full map %llu; the walks themselves faulted %llu times%s%s",
		 st->sampled, st->matched, id_table__count(s->pids_seen), c->count,
		 share(c->single_frame_samples, c->samples), MEMSIGHT_PROFILE_STACK_DEPTH,
		 share(c->truncated_samples, c->samples), share(c->lost_stack_samples, c->samples),
		 st->user_stack_fault, st->user_stack_collision, st->user_stack_other,
		 st->stacks_spilled, st->kernel_stack_failed, st->map_full, st->nested,
		 s->env->output ? "; written to " : "", s->env->output ? s->env->output : "");
	if (c->samples && share(c->single_frame_samples, c->samples) > 50.0)
		log_info("profile: most user stacks have one frame: the code was likely built "
			 "without frame pointers (see 'memsight profile --help')");
	if (s->pids_exited)
		log_info("profile: %zu processes exited before their maps were read (soon after "
			 "their first sampled fault): their frames are addresses",
			 s->pids_exited);
	if (s->pids_unreadable)
		log_error("profile: %zu processes could not be read, frames shown as addresses: "
			  "%s (in a pod, run with hostPID)",
			  s->pids_unreadable, s->first_unreadable);
	for (const char *line = problems; *line;) {
		size_t len = strcspn(line, "\n");

		log_info("profile: no symbols from %.*s", (int)len, line);
		line += len + (line[len] == '\n');
	}
}

static int finish(struct session *s)
{
	struct memsight_profile_stats st;
	struct profile_collection c;
	int ret;

	progress_line(s, true);
	cgroup_labels_scan(&s->labels, s->containers);
	profile_loader__stats(s->loader, &st);
	ret = profile_collect(s->loader, s->symbolizer, &s->labels, &c);
	if (ret) {
		log_error("can't gather the profile: %s", strerror(-ret));
		return ret;
	}
	ret = write_profile(s, &c, &st);
	summary(s, &c, &st);
	profile_collection_free(&c);
	return ret;
}

/* The target must be visible from here: a pod without hostPID sees its own pids only. */
static int check_target(const struct env *env)
{
	char proc[64];

	int ret;

	if (!env->pid)
		return 0;
	snprintf(proc, sizeof(proc), "/proc/%" PRIu32 "/maps", env->pid);
	if (!access(proc, R_OK))
		return 0;
	ret = -errno;
	log_error("can't read %s: %s (no such process here; in a pod, run with hostPID)", proc,
		  strerror(-ret));
	return ret;
}

static int setup(struct session *s, struct env *env)
{
	struct runtime_roots roots;
	struct container_cache_opts copts = { .sz = sizeof(copts), .roots = &roots };
	sigset_t stop;
	int raised;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	s->env = env;
	/*
	 * The symbolizer holds each profiled process's root open for the rest of
	 * the run: with --cgroup, every process spawned there takes a file for
	 * good, and a soft limit of 1024 would run out, failing the opens of maps,
	 * ELF files and cgroup directories after it.
	 */
	raised = file_limit_raise();
	if (raised)
		log_debug("can't raise the open-file limit: %s", strerror(-raised));
	s->out_fd = STDOUT_FILENO;
	if (env->output) {
		s->out_fd = open(env->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (s->out_fd < 0) {
			int ret = -errno;

			log_error("can't open %s for the profile: %s", env->output, strerror(-ret));
			return ret;
		}
	}
	s->signal_fd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->signal_fd < 0) {
		int ret = -errno;

		log_error("can't watch for SIGINT and SIGTERM (signalfd): %s", strerror(-ret));
		return ret;
	}
	s->progress = isatty(STDERR_FILENO);
	cli_runtime_roots(env, &roots);
	copts.max_entries = 4096;
	copts.tombstone_ns = env->tombstone_ns;
	copts.retry_ns = 1000000000ULL;
	s->containers = container_cache__new(&copts);
	s->symbolizer = symbolizer__new();
	s->pids_seen = id_table__new(sizeof(uint64_t));
	if (!s->symbolizer || !s->containers || !s->pids_seen) {
		log_error("out of memory setting up the profile");
		return -ENOMEM;
	}
	return 0;
}

static void teardown(struct session *s)
{
	profile_loader__free(s->loader);
	symbolizer__free(s->symbolizer);
	container_cache__free(s->containers);
	cgroup_labels_free(&s->labels);
	id_table__free(s->pids_seen);
	if (s->signal_fd >= 0)
		close(s->signal_fd);
	if (s->out_fd > STDOUT_FILENO)
		close(s->out_fd);
}

int profile_run(struct env *env)
{
	struct session s = { .signal_fd = -1, .out_fd = -1 };
	int ret;

	if (wants_pprof(env) && !env->output && isatty(STDOUT_FILENO)) {
		log_error("--format pprof writes gzipped binary: use --output FILE or a pipe");
		return 2;
	}
	ret = check_target(env);
	if (!ret)
		ret = setup(&s, env);
	if (!ret)
		ret = start(&s);
	if (!ret) {
		sample(&s);
		ret = finish(&s);
	}
	teardown(&s);
	return ret ? 1 : 0;
}
