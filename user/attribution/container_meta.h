/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_CONTAINER_META_H
#define MEMSIGHT_CONTAINER_META_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Container names from the runtimes' own files, parsed with json-c. Pure:
 * text in, struct out; the files are read elsewhere. Every field is optional
 * and stays "" when the file doesn't say.
 */

#define CONTAINER_META_FIELD_LEN 256

struct container_meta {
	char name[CONTAINER_META_FIELD_LEN];	  /* container name (in the pod, for Kubernetes) */
	char pod[CONTAINER_META_FIELD_LEN];	  /* Kubernetes pod name */
	char namespace[CONTAINER_META_FIELD_LEN]; /* Kubernetes namespace */
	char pod_uid[CONTAINER_META_FIELD_LEN];
	char image[CONTAINER_META_FIELD_LEN];
	bool sandbox; /* the pod's pause/infra container */
};

/*
 * An OCI runtime bundle's config.json as containerd's CRI plugin or CRI-O
 * writes it (their annotation keys differ; both are understood).
 * Returns 0 when anything was found, -ENOENT when nothing, -EINVAL when the
 * text is not a JSON object, -E2BIG when parsing it would take more memory or
 * nesting than any runtime's file needs (the parse is refused before it starts).
 * The same for the two below.
 */
int container_meta_from_oci_config(const char *json, size_t len, struct container_meta *meta);

/* docker's containers/<id>/config.v2.json (with cri-dockerd's io.kubernetes labels). */
int container_meta_from_docker_config(const char *json, size_t len, struct container_meta *meta);

/* containers/storage's containers.json (podman): the entry whose "id" is id. */
int container_meta_from_storage_list(const char *json, size_t len, const char *id,
				     struct container_meta *meta);

#endif
