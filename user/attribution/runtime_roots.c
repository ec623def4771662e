// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtime_roots.h"

void runtime_roots_defaults(struct runtime_roots *roots)
{
	memset(roots, 0, sizeof(*roots));
	snprintf(roots->containerd_state, sizeof(roots->containerd_state), "%s",
		 "/run/containerd/io.containerd.runtime.v2.task");
	snprintf(roots->crio_state, sizeof(roots->crio_state), "%s",
		 "/run/containers/storage/overlay-containers");
	snprintf(roots->docker_root, sizeof(roots->docker_root), "%s", "/var/lib/docker");
	snprintf(roots->podman_storage, sizeof(roots->podman_storage), "%s",
		 "/var/lib/containers/storage");
}

void runtime_roots_under(struct runtime_roots *roots, const char *host_root)
{
	runtime_roots_defaults(roots);
	/* "/" as host root is the same as none; keep paths free of "//". */
	if (host_root && strcmp(host_root, "/"))
		snprintf(roots->host_root, sizeof(roots->host_root), "%s", host_root);
}

const char *runtime_state_error_name(enum runtime_state_error error)
{
	static const char *const names[STATE_ERRORS] = {
		[STATE_NOT_FOUND] = "not_found",
		[STATE_PERMISSION] = "permission",
		[STATE_REFUSED] = "refused",
		[STATE_TOO_LARGE] = "too_large",
		[STATE_MALFORMED] = "malformed",
		[STATE_NO_NAME] = "no_name",
		[STATE_IO] = "io",
	};

	return (unsigned int)error < STATE_ERRORS ? names[error] : "io";
}

enum runtime_state_error runtime_state_error_from_errno(int err, bool file_was_read)
{
	switch (-err) {
	case ENOENT: /* before the read: no file; after: no name in it */
		return file_was_read ? STATE_NO_NAME : STATE_NOT_FOUND;
	case ENOTDIR:
		return STATE_NOT_FOUND;
	case EACCES:
	case EPERM:
		return STATE_PERMISSION;
	case ELOOP:
	case EXDEV:
	case ENXIO:
		return STATE_REFUSED;
	case EFBIG:
	case E2BIG:
		return STATE_TOO_LARGE;
	case EINVAL:
		return STATE_MALFORMED;
	default:
		return STATE_IO;
	}
}
