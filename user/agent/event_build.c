// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>

#include "event_build.h"

_Static_assert((int)MEMSIGHT_KINDS == (int)MEMSIGHT_CHARGE_KINDS,
	       "the public charge kinds are the kernel side's");

/* The hook an OOM record came from, as "source" names it. */
static const char *oom_source_name(uint32_t source)
{
	switch (source) {
	case MEMSIGHT_OOM_SOURCE_TP_BTF:
		return "tp_btf/mark_victim";
	case MEMSIGHT_OOM_SOURCE_FENTRY:
		return "fentry/mark_oom_victim";
	default:
		return "tracepoint/oom/mark_victim";
	}
}

void event_cgroup_ref(struct memsight_cgroup_ref *out, uint64_t id, const char *path)
{
	out->id = id;
	out->path = path ? path : "";
}

void event_container(struct memsight_container *out, const struct container_info *info)
{
	const char *qos;

	if (!info) {
		*out = (struct memsight_container){ .runtime = "none",
						    .id = "",
						    .name = "",
						    .pod = "",
						    .pod_namespace = "",
						    .pod_uid = "",
						    .qos = "",
						    .image = "" };
		return;
	}
	qos = pod_qos_name(info->qos);
	*out = (struct memsight_container){
		.known = info->runtime != RUNTIME_NONE,
		.runtime = container_runtime_name(info->runtime),
		.id = info->id,
		/* A systemd unit is named by its unit; a container by what its runtime says. */
		.name = info->runtime == RUNTIME_SYSTEMD ? info->unit : info->meta.name,
		.pod = info->meta.pod,
		.pod_namespace = info->meta.namespace,
		.pod_uid = info->pod_uid,
		.qos = qos ? qos : "",
		.image = info->meta.image,
		.exited = info->exited,
		.monitor = info->monitor,
	};
}

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

void container_info_from_event(const struct memsight_container *in, struct container_info *out)
{
	memset(out, 0, sizeof(*out));
	for (enum container_runtime rt = RUNTIME_NONE; rt <= RUNTIME_SYSTEMD; rt++)
		if (in->runtime && !strcmp(in->runtime, container_runtime_name(rt)))
			out->runtime = rt;
	for (enum pod_qos q = QOS_GUARANTEED; q <= QOS_BESTEFFORT; q++)
		if (in->qos && pod_qos_name(q) && !strcmp(in->qos, pod_qos_name(q)))
			out->qos = q;
	copy(out->id, sizeof(out->id), in->id);
	copy(out->pod_uid, sizeof(out->pod_uid), in->pod_uid);
	if (out->runtime == RUNTIME_SYSTEMD)
		copy(out->unit, sizeof(out->unit), in->name);
	else
		copy(out->meta.name, sizeof(out->meta.name), in->name);
	copy(out->meta.pod, sizeof(out->meta.pod), in->pod);
	copy(out->meta.namespace, sizeof(out->meta.namespace), in->pod_namespace);
	copy(out->meta.pod_uid, sizeof(out->meta.pod_uid), in->pod_uid);
	copy(out->meta.image, sizeof(out->meta.image), in->image);
	out->monitor = in->monitor;
	out->exited = in->exited;
}

/* The kernel's comm is NUL-terminated; a record's bytes are still not trusted to be. */
static const char *comm_text(char *dst, const char *comm)
{
	memcpy(dst, comm, MEMSIGHT_COMM_LEN);
	dst[MEMSIGHT_COMM_LEN] = '\0';
	return dst;
}

void event_oom_paths(const struct memsight_oom_record *rec, struct event_text *text)
{
	cgroup_path_from_record(&rec->victim_cgroup, text->path, sizeof(text->path));
	cgroup_path_from_record(&rec->trigger_cgroup, text->trigger_path,
				sizeof(text->trigger_path));
}

static void oom_constraint(struct memsight_oom_kill *k, const struct memsight_oom_record *rec,
			   struct event_text *text)
{
	k->constraint = rec->constraint == MEMSIGHT_OOM_CONSTRAINT_MEMCG ? "memcg" : "global";
	k->has_constraint_cgroup = rec->constraint == MEMSIGHT_OOM_CONSTRAINT_MEMCG;
	if (!k->has_constraint_cgroup)
		return;
	/* The memcg whose limit was hit: the victim's own or an ancestor. */
	if (cgroup_path_ancestor(text->path, rec->constraint_distance, text->constraint_path,
				 sizeof(text->constraint_path)) < 0)
		text->constraint_path[0] = '\0';
	event_cgroup_ref(&k->constraint_cgroup, rec->constraint_cgroup_id, text->constraint_path);
	k->constraint_usage_bytes = rec->constraint_usage_bytes;
	k->constraint_limit_bytes = rec->constraint_limit_bytes;
}

void event_oom_kill(struct memsight_event *ev, const struct memsight_oom_record *rec,
		    const struct container_info *victim, const struct container_info *trigger,
		    int64_t boot_to_realtime_ns, struct event_text *text)
{
	struct memsight_oom_kill *k = &ev->oom_kill;

	*ev = (struct memsight_event){ .type = MEMSIGHT_EVENT_OOM_KILL };
	ev->ts_ns = (int64_t)rec->hdr.boot_ns + boot_to_realtime_ns;
	event_cgroup_ref(&k->cgroup, rec->victim_cgroup.id, text->path);
	event_container(&k->container, victim);
	k->victim_pid = rec->victim_pid;
	k->victim_tid = rec->victim_tid;
	k->victim_uid = rec->victim_uid;
	k->victim_oom_score_adj = rec->victim_oom_score_adj;
	k->victim_comm = comm_text(text->comm, rec->victim_comm);
	k->has_rss = rec->flags & MEMSIGHT_OOM_HAS_RSS;
	k->rss_anon_bytes = rec->rss_anon_bytes;
	k->rss_file_bytes = rec->rss_file_bytes;
	k->rss_shmem_bytes = rec->rss_shmem_bytes;
	k->pgtables_bytes = rec->pgtables_bytes;
	k->total_vm_bytes = rec->total_vm_bytes;
	k->trigger_pid = rec->trigger_pid;
	k->trigger_tid = rec->trigger_tid;
	k->trigger_comm = comm_text(text->trigger_comm, rec->trigger_comm);
	event_cgroup_ref(&k->trigger_cgroup, rec->trigger_cgroup.id, text->trigger_path);
	event_container(&k->trigger_container, trigger);
	k->has_limit = !(rec->flags & MEMSIGHT_OOM_MEMCG_UNLIMITED);
	k->usage_bytes = rec->memcg_usage_bytes;
	k->limit_bytes = rec->memcg_limit_bytes;
	k->read_at = rec->flags & MEMSIGHT_OOM_VICTIM_MEMCG_AT_EXIT ? "victim_exit" : "kill";
	oom_constraint(k, rec, text);
	k->source = oom_source_name(rec->source);
}

void event_fault_sample(struct memsight_event *ev, const struct memsight_fault_sample_record *rec,
			const char *path, const struct container_info *info,
			int64_t boot_to_realtime_ns, struct event_text *text)
{
	struct memsight_fault_sample *f = &ev->fault_sample;

	*ev = (struct memsight_event){ .type = MEMSIGHT_EVENT_FAULT_SAMPLE };
	ev->ts_ns = (int64_t)rec->hdr.boot_ns + boot_to_realtime_ns;
	event_cgroup_ref(&f->cgroup, rec->cgroup_id, path);
	event_container(&f->container, path ? info : NULL);
	f->pid = rec->pid;
	f->tid = rec->tid;
	f->comm = comm_text(text->comm, rec->comm);
	f->address = rec->address;
	f->ip = rec->ip;
	f->write = rec->access & MEMSIGHT_FAULT_WRITE;
	f->exec = rec->access & MEMSIGHT_FAULT_EXEC;
	f->user = rec->access & MEMSIGHT_FAULT_USER;
	f->protection = rec->access & MEMSIGHT_FAULT_PROT;
}
