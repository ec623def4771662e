/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_EVENT_BUILD_H
#define MEMSIGHT_EVENT_BUILD_H

#include <stdint.h>

#include "cgroup_path.h"
#include "container_info.h"
#include "include/memsight.h"
#include "memsight.h"

/*
 * Kernel records and resolved names into memsight_events, the one shape
 * every sink sees. Pure: the names are resolved by the caller, and the
 * strings an event points to live in a struct event_text the caller owns for
 * as long as the event.
 */

struct event_text {
	char path[CGROUP_PATH_MAX];
	char trigger_path[CGROUP_PATH_MAX];
	char constraint_path[CGROUP_PATH_MAX];
	char comm[MEMSIGHT_COMM_LEN + 1];
	char trigger_comm[MEMSIGHT_COMM_LEN + 1];
};

void event_cgroup_ref(struct memsight_cgroup_ref *out, uint64_t id, const char *path);
/* info NULL: the cgroup isn't known by name ("none", every string ""). */
void event_container(struct memsight_container *out, const struct container_info *info);
/* The reverse, for sinks that keep names in the agent's own form. */
void container_info_from_event(const struct memsight_container *in, struct container_info *out);

/* Both paths of an OOM record, into text (before the containers are resolved from them). */
void event_oom_paths(const struct memsight_oom_record *rec, struct event_text *text);

/* An OOM kill; victim and trigger are the containers of text's two paths. */
void event_oom_kill(struct memsight_event *ev, const struct memsight_oom_record *rec,
		    const struct container_info *victim, const struct container_info *trigger,
		    int64_t boot_to_realtime_ns, struct event_text *text);

/* A fault sample; path NULL (and info NULL) when the cgroup was never named. */
void event_fault_sample(struct memsight_event *ev, const struct memsight_fault_sample_record *rec,
			const char *path, const struct container_info *info,
			int64_t boot_to_realtime_ns, struct event_text *text);

#endif
