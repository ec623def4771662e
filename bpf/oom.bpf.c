// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * OOM kills, from the oom:mark_victim tracepoint.
 *
 * mark_victim fires in the context of the task whose allocation invoked the
 * OOM killer (the trigger) and names the task chosen to die (the victim).
 * Since the change that added the task to the tracepoint's arguments, a
 * tp_btf program sees the victim's task_struct and reads everything at the
 * moment of the kill. Older kernels pass only the victim's pid; there the
 * classic tracepoint records the kill and the record is completed when the
 * victim itself exits (sched_process_exit), the first moment its memcg can
 * be reached without a pid lookup.
 *
 * Since Linux 6.16 ("exit: move and extend sched_process_exit() tracepoint")
 * sched_process_exit fires before exit_mm(). The OOM killer sends SIGKILL
 * before it marks the victim, both under the victim's task_lock, which only
 * exit_mm() waits for: a victim woken on another CPU can pass its exit
 * tracepoint before it is marked. So the pairing works in either order: the
 * exit leaves a note, and a mark that finds its victim's note completes the
 * record itself.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "memsight.h"
#include "cgroup.bpf.h"
#include "errno.bpf.h"
#include "events.bpf.h"

/* Set by userspace before load. */
const volatile __u64 page_size = 4096;
/* Indexes into mm->rss_stat: an anonymous kernel enum, resolved from BTF by userspace. */
const volatile __u32 mm_filepages = 0;
const volatile __u32 mm_anonpages = 1;
const volatile __u32 mm_shmempages = 3;
/*
 * How close to its limit a memcg must be to have caused a memcg OOM, in
 * pages: a charge fails when usage + nr_pages > max after reclaim, and the
 * memcg OOM killer only runs for charges up to PAGE_ALLOC_COSTLY_ORDER (8
 * pages); another charge batch (64 pages) allows for concurrent uncharges.
 */
const volatile __u64 oom_limit_slack_pages = 8 + 64;

/*
 * Tracepoint mode: kills waiting for their victim's exit, by victim thread id.
 * Not LRU: an entry leaves at its victim's exit, and a full table is counted.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct memsight_oom_record);
} oom_pending SEC(".maps");

/*
 * Tracepoint mode: what a late mark needs of a task whose exit the tracepoint has
 * seen, by thread id, and where the mark and the exit of one kill meet. LRU: a note
 * is needed for microseconds, and notes of exits no kill follows age out. A thread id
 * is reused only after the pid space wraps, and a note older than EXIT_NOTE_NS is not
 * trusted.
 */
struct exit_note {
	__u64 exit_ns;
	__u64 memcg_css; /* the task's memcg: pinned while the killer holds the task */
	__u32 tgid;
	__u32 uid;
	__s32 oom_score_adj;
	char comm[MEMSIGHT_COMM_LEN];
};

#define EXIT_NOTE_NS 1000000000ULL

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct exit_note);
} oom_exit_notes SEC(".maps");

/* Each memcg's local MEMCG_OOM event count at the last kill memsight saw, by memcg id. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u64);
} oom_events_seen SEC(".maps");

/* A record is too large for the BPF stack; build it here. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct memsight_oom_record);
} oom_scratch SEC(".maps");

/*
 * memory_events_local[MEMCG_OOM]: bumped on a memcg itself (not its
 * ancestors) each time a charge against it invokes the OOM killer, and by
 * a v2 memory.max write below usage. A global OOM never touches it.
 */
static __always_inline __u64 memcg_local_oom_events(struct cgroup_subsys_state *css)
{
	int event = bpf_core_enum_value(enum memcg_memory_event, MEMCG_OOM);
	struct mem_cgroup *memcg = css_memcg(css);
	__s64 count = 0;

	if (!memcg || event < 0 || event >= 16)
		return 0;
	bpf_probe_read_kernel(
		&count, sizeof(count),
		(void *)memcg + bpf_core_field_offset(struct mem_cgroup, memory_events_local) +
			event * bpf_core_type_size(atomic_long_t));
	return count > 0 ? count : 0;
}

/*
 * How the constraint is decided: the OOM killer's own oom_control is not
 * visible to a tracepoint, so memsight looks for the memcg whose limit failed
 * the charge. Walking up from the victim's memcg, it is the nearest one whose
 * local OOM event count moved since the last kill memsight saw (any count,
 * for a memcg not seen before) and, read at the kill, whose usage is within
 * one small charge of its limit. The trigger may sit outside that memcg
 * (remote charges, a lowered memory.max), so it plays no part. If no memcg
 * qualifies, the node ran out: global.
 *
 * At the victim's exit (tracepoint mode) the usage test is dropped, since
 * the OOM reaper may already have freed the victim's memory; two kills in
 * one memcg before the first victim exits are then told apart less well.
 */
static __always_inline void find_constraint(struct memsight_oom_record *rec,
					    struct cgroup_subsys_state *victim_css, bool at_kill)
{
	struct cgroup_subsys_state *css = victim_css;
	__u64 usage, limit, events, id, *seen;
	bool unlimited, moved, near;

	rec->constraint = MEMSIGHT_OOM_CONSTRAINT_GLOBAL;
	rec->constraint_distance = 0;
	rec->constraint_cgroup_id = 0;
	rec->constraint_usage_bytes = 0;
	rec->constraint_limit_bytes = 0;
	for (int i = 0; i < MEMSIGHT_CGROUP_LEVELS_MAX && css; i++) {
		id = css_cgroup_id(css);
		events = memcg_local_oom_events(css);
		seen = bpf_map_lookup_elem(&oom_events_seen, &id);
		moved = seen ? events > *seen : events > 0;
		/* Every level remembers its count, so the next kill compares against this one. */
		bpf_map_update_elem(&oom_events_seen, &id, &events, BPF_ANY);

		memcg_page_counter(css, &usage, &limit, &unlimited);
		near = !unlimited && usage + oom_limit_slack_pages * page_size >= limit;
		if (rec->constraint == MEMSIGHT_OOM_CONSTRAINT_GLOBAL && moved &&
		    (near || !at_kill)) {
			rec->constraint = MEMSIGHT_OOM_CONSTRAINT_MEMCG;
			rec->constraint_distance = i;
			rec->constraint_cgroup_id = id;
			rec->constraint_usage_bytes = usage;
			rec->constraint_limit_bytes = unlimited ? 0 : limit;
		}
		css = BPF_CORE_READ(css, parent);
	}
}

static __always_inline void fill_victim_memcg(struct memsight_oom_record *rec,
					      struct cgroup_subsys_state *victim_css)
{
	bool unlimited;

	memcg_page_counter(victim_css, &rec->memcg_usage_bytes, &rec->memcg_limit_bytes,
			   &unlimited);
	if (unlimited)
		rec->flags |= MEMSIGHT_OOM_MEMCG_UNLIMITED;
	capture_cgroup(&rec->victim_cgroup, victim_css);
}

static __always_inline void fill_trigger(struct memsight_oom_record *rec)
{
	struct task_struct *current = (void *)bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	rec->trigger_pid = pid_tgid >> 32;
	rec->trigger_tid = (__u32)pid_tgid;
	bpf_get_current_comm(rec->trigger_comm, sizeof(rec->trigger_comm));
	capture_cgroup(&rec->trigger_cgroup, task_memcg_css(current));
}

static __always_inline void fill_victim_task(struct memsight_oom_record *rec,
					     struct task_struct *victim)
{
	rec->victim_pid = BPF_CORE_READ(victim, tgid);
	rec->victim_tid = BPF_CORE_READ(victim, pid);
	rec->victim_uid = BPF_CORE_READ(victim, real_cred, uid.val);
	rec->victim_oom_score_adj = BPF_CORE_READ(victim, signal, oom_score_adj);
	bpf_probe_read_kernel_str(rec->victim_comm, sizeof(rec->victim_comm), victim->comm);
}

static __always_inline int record_oom_victim(struct task_struct *victim, __u32 source)
{
	struct cgroup_subsys_state *victim_css;
	struct memsight_oom_record *rec;
	struct mm_struct *mm;

	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		count_ringbuf_drop();
		__sync_fetch_and_add(&counters.oom_ringbuf_drops, 1);
		return 0;
	}
	fill_record_header(&rec->hdr, MEMSIGHT_RECORD_OOM_KILL);
	rec->source = source;
	rec->flags = 0;
	fill_victim_task(rec, victim);

	/* The kernel holds the victim's mm while it marks it; it can't vanish here. */
	mm = BPF_CORE_READ(victim, mm);
	if (mm) {
		rec->rss_anon_bytes = mm_counter_pages(mm, mm_anonpages) * page_size;
		rec->rss_file_bytes = mm_counter_pages(mm, mm_filepages) * page_size;
		rec->rss_shmem_bytes = mm_counter_pages(mm, mm_shmempages) * page_size;
		rec->pgtables_bytes = BPF_CORE_READ(mm, pgtables_bytes.counter);
		rec->total_vm_bytes = BPF_CORE_READ(mm, total_vm) * page_size;
		rec->flags |= MEMSIGHT_OOM_HAS_RSS;
	} else {
		rec->rss_anon_bytes = rec->rss_file_bytes = rec->rss_shmem_bytes = 0;
		rec->pgtables_bytes = rec->total_vm_bytes = 0;
	}

	fill_trigger(rec);
	victim_css = task_memcg_css(victim);
	fill_victim_memcg(rec, victim_css);
	find_constraint(rec, victim_css, true);
	bpf_ringbuf_submit(rec, 0);
	return 0;
}

SEC("tp_btf/mark_victim")
int BPF_PROG(oom_mark_victim_btf, struct task_struct *victim)
{
	return record_oom_victim(victim, MEMSIGHT_OOM_SOURCE_TP_BTF);
}

/*
 * Kernels whose mark_victim passes only a pid still have the function that
 * fires it: mark_oom_victim(victim), called with the victim's mm held.
 */
SEC("fentry/mark_oom_victim")
int BPF_PROG(oom_mark_victim_fentry, struct task_struct *victim)
{
	return record_oom_victim(victim, MEMSIGHT_OOM_SOURCE_FENTRY);
}

/*
 * Tracepoint mode: the kill in `marked` and its victim's exit note, both seen, make
 * the record. Both hooks can get here for one kill when they run at once; the one
 * whose delete of the pending entry succeeds sends it, the other discards its copy.
 */
static __always_inline void complete_kill(const struct memsight_oom_record *marked, __u32 tid,
					  const struct exit_note *note, bool at_kill)
{
	struct cgroup_subsys_state *victim_css = (void *)note->memcg_css;
	struct memsight_oom_record *rec;

	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		if (!bpf_map_delete_elem(&oom_pending, &tid)) {
			count_ringbuf_drop();
			__sync_fetch_and_add(&counters.oom_ringbuf_drops, 1);
		}
		return;
	}
	bpf_probe_read_kernel(rec, sizeof(*rec), marked);
	if (bpf_map_delete_elem(&oom_pending, &tid)) {
		bpf_ringbuf_discard(rec, 0);
		return;
	}
	if (at_kill) /* a late mark: the memcg is read now, at the kill */
		rec->flags &= ~MEMSIGHT_OOM_VICTIM_MEMCG_AT_EXIT;
	rec->victim_pid = note->tgid;
	rec->victim_uid = note->uid;
	rec->victim_oom_score_adj = note->oom_score_adj;
	__builtin_memcpy(rec->victim_comm, note->comm, sizeof(rec->victim_comm));
	fill_victim_memcg(rec, victim_css);
	find_constraint(rec, victim_css, at_kill);
	bpf_ringbuf_submit(rec, 0);
}

/* Tracepoint mode, the mark: everything the record and the trigger offer. */
SEC("tracepoint/oom/mark_victim")
int oom_mark_victim_tp(struct trace_event_raw_mark_victim *ctx)
{
	struct exit_note *note, placeholder = {}; /* exit_ns 0: the mark's, no exit seen yet */
	struct memsight_oom_record *rec;
	__u32 zero = 0, victim_tid;

	rec = bpf_map_lookup_elem(&oom_scratch, &zero);
	if (!rec)
		return 0;
	fill_record_header(&rec->hdr, MEMSIGHT_RECORD_OOM_KILL);
	rec->source = MEMSIGHT_OOM_SOURCE_TRACEPOINT;
	rec->flags = MEMSIGHT_OOM_VICTIM_MEMCG_AT_EXIT;
	victim_tid = BPF_CORE_READ(ctx, pid);
	rec->victim_tid = victim_tid;
	rec->victim_pid = 0;
	rec->victim_comm[0] = '\0';
	rec->victim_uid = 0;
	rec->victim_oom_score_adj = 0;
	rec->rss_anon_bytes = rec->rss_file_bytes = rec->rss_shmem_bytes = 0;
	rec->pgtables_bytes = rec->total_vm_bytes = 0;
	/* The record grew these fields with the task argument; the kernel writes KiB. */
	if (bpf_core_field_exists(ctx->anon_rss)) {
		rec->rss_anon_bytes = BPF_CORE_READ(ctx, anon_rss) * 1024;
		rec->rss_file_bytes = BPF_CORE_READ(ctx, file_rss) * 1024;
		rec->rss_shmem_bytes = BPF_CORE_READ(ctx, shmem_rss) * 1024;
		rec->pgtables_bytes = BPF_CORE_READ(ctx, pgtables) * 1024;
		rec->total_vm_bytes = BPF_CORE_READ(ctx, total_vm) * 1024;
		rec->flags |= MEMSIGHT_OOM_HAS_RSS;
	}

	fill_trigger(rec);
	/* The victim's memcg, and with it the constraint, is known at its exit... */
	if (bpf_map_update_elem(&oom_pending, &victim_tid, rec, BPF_ANY)) {
		__sync_fetch_and_add(&counters.oom_pending_drops, 1);
		return 0;
	}
	if (!exit_tracepoint_before_exit_mm())
		return 0;
	/*
	 * ...or now, if the victim passed its exit tracepoint already (6.16 on). The
	 * two hooks meet in the note's hash bucket, under its lock: this insert fails
	 * if the exit's note came first; if it doesn't, the exit's own update of the
	 * note comes after it, and the pending entry stored above is visible to the
	 * exit's look-up that follows. A plain look-up here could miss on both sides.
	 */
	if (bpf_map_update_elem(&oom_exit_notes, &victim_tid, &placeholder, BPF_NOEXIST) != -EEXIST)
		return 0;
	note = bpf_map_lookup_elem(&oom_exit_notes, &victim_tid);
	if (note && note->exit_ns && bpf_ktime_get_ns() - note->exit_ns < EXIT_NOTE_NS)
		complete_kill(rec, victim_tid, note, true);
	return 0;
}

static __always_inline void fill_exit_note(struct exit_note *note, struct task_struct *task)
{
	note->exit_ns = bpf_ktime_get_ns();
	note->memcg_css = (__u64)task_memcg_css(task);
	note->tgid = BPF_CORE_READ(task, tgid);
	note->uid = BPF_CORE_READ(task, real_cred, uid.val);
	note->oom_score_adj = BPF_CORE_READ(task, signal, oom_score_adj);
	bpf_get_current_comm(note->comm, sizeof(note->comm));
}

/* Tracepoint mode, the exit: the record of a kill, or a note for a mark still to come. */
SEC("tracepoint/sched/sched_process_exit")
int oom_victim_exit_tp(void *ctx)
{
	struct task_struct *current = (void *)bpf_get_current_task();
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	bool late_marks = exit_tracepoint_before_exit_mm();
	struct memsight_oom_record *pending = NULL;
	struct exit_note note = {};

	/* Before 6.16 a mark can't follow: an exit no kill waits for costs one look-up. */
	if (!late_marks) {
		pending = bpf_map_lookup_elem(&oom_pending, &tid);
		if (!pending)
			return 0;
	}
	fill_exit_note(&note, current);
	if (late_marks) {
		/* The note first: see the mark's program for the order. */
		bpf_map_update_elem(&oom_exit_notes, &tid, &note, BPF_ANY);
		pending = bpf_map_lookup_elem(&oom_pending, &tid);
	}
	if (pending)
		complete_kill(pending, tid, &note, false);
	return 0;
}

/* The memcg (cgroup id) whose processes the task programs list; userspace sets it before a run. */
__u64 oom_tasks_cgroup_id;

/* One record for a thread-group leader of that memcg with an mm (probe reads only). */
static __always_inline void emit_memcg_task(struct seq_file *seq, struct task_struct *task)
{
	struct memsight_task_record r = {};
	struct mm_struct *mm;

	if (css_cgroup_id(task_memcg_css(task)) != oom_tasks_cgroup_id)
		return;
	mm = BPF_CORE_READ(task, mm);
	if (!mm)
		return;
	r.pid = BPF_CORE_READ(task, tgid);
	r.oom_score_adj = BPF_CORE_READ(task, signal, oom_score_adj);
	r.anon_pages = mm_counter_pages(mm, mm_anonpages);
	r.rss_pages = r.anon_pages + mm_counter_pages(mm, mm_filepages) +
		      mm_counter_pages(mm, mm_shmempages);
	BPF_CORE_READ_STR_INTO(&r.comm, task, comm);
	bpf_seq_write(seq, &r, sizeof(r));
}

/*
 * The processes of one memcg, for an OOM kill's task list and a leak suspect's
 * process: run by userspace (bpf_iter_create) as the kill's record arrives, or
 * for a container under suspicion. Not on any hot path.
 *
 * The task iterator only visits the tasks of the reader's pid namespace: in a
 * pod without hostPID, the agent's own. oom_tasks_walk (bpf_loop, 5.17) walks
 * the kernel's list of every process instead, from the first task it is given,
 * once; oom_tasks, per task, is for older kernels (and so needs hostPID there).
 */
#define TASK_WALK_MAX (1 << 20) /* processes; pid_max is at most 4M, nodes run far fewer */

struct task_walk {
	struct seq_file *seq;
	struct task_struct *first;
	struct task_struct *task;
};

/* Whether this run has walked already: the iterator calls the program once per task. */
bool oom_tasks_walked;

static long walk_step(__u64 i, void *data)
{
	struct task_walk *w = data;
	struct task_struct *task = w->task, *next;

	emit_memcg_task(w->seq, task);
	/* task->tasks links every thread-group leader, init_task included, in a ring */
	next = (void *)BPF_CORE_READ(task, tasks.next) -
	       bpf_core_field_offset(struct task_struct, tasks);
	if (next == w->first)
		return 1;
	w->task = next;
	return 0;
}

SEC("iter/task")
int oom_tasks_walk(struct bpf_iter__task *ctx)
{
	struct task_walk w = { .seq = ctx->meta->seq };

	if (!ctx->task || oom_tasks_walked)
		return 0;
	oom_tasks_walked = true;
	/* the reader's own process: alive, so on the ring while it is walked */
	w.first = w.task =
		BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), group_leader);
	bpf_loop(TASK_WALK_MAX, walk_step, &w, 0);
	return 0;
}

SEC("iter/task")
int oom_tasks(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;

	if (task && task->pid == task->tgid)
		emit_memcg_task(ctx->meta->seq, task);
	return 0;
}
