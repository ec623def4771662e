// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The parts of runtime_roots that look at the host; runtime_roots.c stays pure. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "confined_file.h"
#include "runtime_roots.h"

int runtime_roots_open_host(const struct runtime_roots *roots)
{
	const char *root = roots->host_root[0] ? roots->host_root : "/";
	int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

unsigned int runtime_roots_detect(const struct runtime_roots *roots, struct runtime_presence *out)
{
	/*
	 * Each runtime is detected by something only it leaves: CRI-O and podman
	 * share containers/storage, so CRI-O is known by its own run folder.
	 */
	const struct {
		const char *runtime;
		const char *root;
		const char *marker;	/* below root; NULL: root itself */
		const char *marker_abs; /* or a fixed host path */
	} known[RUNTIMES_MAX] = {
		{ "containerd", roots->containerd_state, NULL, NULL },
		{ "cri-o", roots->crio_state, NULL, "/run/crio" },
		{ "docker", roots->docker_root, "/containers", NULL },
		{ "podman", roots->podman_storage, "/overlay-containers/containers.json", NULL },
	};

	int root_fd = runtime_roots_open_host(roots);

	for (unsigned int i = 0; i < RUNTIMES_MAX; i++) {
		char marker[RUNTIME_ROOT_LEN * 2];
		int fd = -1;

		out[i].runtime = known[i].runtime;
		snprintf(out[i].root, sizeof(out[i].root), "%s%s", roots->host_root, known[i].root);
		snprintf(marker, sizeof(marker), "%s",
			 known[i].marker_abs ? known[i].marker_abs : known[i].root);
		if (known[i].marker)
			snprintf(marker + strlen(marker), sizeof(marker) - strlen(marker), "%s",
				 known[i].marker);
		if (root_fd >= 0)
			fd = confined_open(root_fd, marker, O_PATH, CONFINED_AUTO);
		out[i].present = fd >= 0;
		if (fd >= 0)
			close(fd);
	}
	if (root_fd >= 0)
		close(root_fd);
	return RUNTIMES_MAX;
}
