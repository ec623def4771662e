/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_RUNTIME_ROOTS_H
#define MEMSIGHT_RUNTIME_ROOTS_H

#include <stdbool.h>
#include <stdint.h>

#include "container_path.h"

/*
 * Where each container runtime keeps its state on the host, and why it gave no
 * names. Pure: runtime_roots.c; the two functions that look at the host are
 * in runtime_roots_detect.c.
 */

#define RUNTIME_ROOT_LEN 512

struct runtime_roots {
	char host_root[RUNTIME_ROOT_LEN];	 /* prepended to every root below ("" = /) */
	char containerd_state[RUNTIME_ROOT_LEN]; /* /run/containerd/io.containerd.runtime.v2.task */
	char crio_state[RUNTIME_ROOT_LEN];	 /* /run/containers/storage/overlay-containers */
	char docker_root[RUNTIME_ROOT_LEN];	 /* /var/lib/docker */
	char podman_storage[RUNTIME_ROOT_LEN];	 /* /var/lib/containers/storage */
};

void runtime_roots_defaults(struct runtime_roots *roots);
/* The defaults, under the host's / mounted at host_root (NULL or "/": this / ). */
void runtime_roots_under(struct runtime_roots *roots, const char *host_root);

/* The host root (host_root, or /) opened O_PATH, for confined lookups below it; or -errno. */
int runtime_roots_open_host(const struct runtime_roots *roots);

/* Which runtimes have state on this node, for `memsight features`. */
struct runtime_presence {
	const char *runtime;
	char root[RUNTIME_ROOT_LEN * 2];
	bool present;
};
#define RUNTIMES_MAX 4
unsigned int runtime_roots_detect(const struct runtime_roots *roots, struct runtime_presence *out);

/* Why a runtime's state gave no names for a container; counted so failures are seen. */
enum runtime_state_error {
	STATE_NOT_FOUND,  /* no file where the runtime keeps it (or a --host-root that's wrong) */
	STATE_PERMISSION, /* EACCES, EPERM */
	STATE_REFUSED,	  /* a symlink loop or magic link, an escape, not a regular file */
	STATE_TOO_LARGE,  /* over 1 MiB, or more objects or nesting than the parse budget */
	STATE_MALFORMED,  /* not the JSON the runtime writes */
	STATE_NO_NAME,	  /* read and parsed, but nothing in it names this container */
	STATE_IO,	  /* any other failure to read */
	STATE_ERRORS,
};

/* Failed lookups (retries included) by enum container_runtime and reason, since start. */
struct runtime_state_errors {
	uint64_t count[RUNTIME_SYSTEMD + 1][STATE_ERRORS];
};
#define STATE_RUNTIMES (RUNTIME_SYSTEMD + 1)

const char *runtime_state_error_name(enum runtime_state_error error);
/* -errno of a read or a parse (container_meta's -ENOENT: nothing named) to its reason. */
enum runtime_state_error runtime_state_error_from_errno(int err, bool file_was_read);

#endif
