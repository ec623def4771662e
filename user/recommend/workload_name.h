/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_WORKLOAD_NAME_H
#define MEMSIGHT_WORKLOAD_NAME_H

#include <stddef.h>

/*
 * The workload a pod belongs to, from its name alone: the name Kubernetes gave the pod
 * is its owner's name plus a suffix, and the suffix's shape says which owner made it.
 * Kubernetes' generated suffixes use 27 characters, "bcdfghjklmnpqrstvwxz2456789"
 * (no vowels, no 0, 1 or 3), so words rarely pass for them. From the end of the name:
 *
 *   NAME-HASH-XXXXX  Deployment: HASH is the pod-template-hash, 6 to 10 of those
 *                    characters, XXXXX the pod's own suffix
 *   NAME-N-XXXXX     N digits: a CronJob's run (N its scheduled minute), an indexed Job's
 *                    pod (N the index), or a Deployment's from before Kubernetes 1.8
 *                    (a decimal hash): NAME is the CronJob, Job or Deployment
 *   NAME-XXXXX       a DaemonSet, a Job or a bare ReplicaSet
 *   NAME-N           a StatefulSet (N the ordinal)
 *   anything else    a pod of its own: its name is the workload
 *
 * A container outside Kubernetes (docker, podman, a systemd unit) has no pod: the
 * workload is the container's name. Pure.
 */
enum workload_kind {
	WORKLOAD_CONTAINER, /* no pod */
	WORKLOAD_POD,
	WORKLOAD_DEPLOYMENT,
	WORKLOAD_JOB_RUN, /* a CronJob's run or an indexed Job's pod */
	WORKLOAD_DAEMONSET_OR_JOB,
	WORKLOAD_STATEFULSET,
};

/*
 * Writes the workload's name into out (cut to out_len - 1 bytes) and returns its kind.
 * pod may be "" or NULL: then the workload is container.
 */
enum workload_kind workload_from_pod(const char *pod, const char *container, char *out,
				     size_t out_len);

/* "Deployment", "StatefulSet", ...: for people. */
const char *workload_kind_name(enum workload_kind kind);

#endif
