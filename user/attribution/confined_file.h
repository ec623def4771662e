/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_CONFINED_FILE_H
#define MEMSIGHT_CONFINED_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/*
 * Files opened inside a root folder (the host's / under --host-root) as if it
 * were /: absolute symlinks and ".." resolve inside it, never out of it, so a
 * hostile container's state can't make memsight read the agent's own files.
 * openat2(RESOLVE_IN_ROOT) where the kernel has it (5.6+); elsewhere a walk,
 * one component at a time with O_NOFOLLOW, that resolves symlinks itself with
 * the same rules.
 */

enum confined_resolve {
	CONFINED_AUTO, /* openat2 when the kernel has it, else the walk */
	CONFINED_WALK, /* the walk only (what kernels before 5.6 get) */
};

/*
 * Opens path (absolute or not, both taken from root_fd) with flags (O_RDONLY or
 * O_PATH, plus any of O_NONBLOCK, O_NOCTTY); O_CLOEXEC is added. Returns the fd
 * or -errno: -ELOOP for a symlink loop or a magic link, -EXDEV for an escape the
 * kernel caught.
 */
int confined_open(int root_fd, const char *path, int flags, enum confined_resolve resolve);

/*
 * Reads a whole regular file of at most max bytes (NUL-terminated, *buf to be
 * freed) and says what it was in st. -ENXIO when not a regular file (a FIFO
 * would block, a device could be endless), -EFBIG when over max, else as above.
 */
int confined_read(int root_fd, const char *path, size_t max, enum confined_resolve resolve,
		  char **buf, size_t *len, struct stat *st);

/* What tells a file rewritten or replaced from the one seen before. */
struct file_version {
	uint64_t dev;
	uint64_t ino;
	int64_t size;
	int64_t mtime_ns;
};

void file_version_of(const struct stat *st, struct file_version *version);
bool file_version_equal(const struct file_version *a, const struct file_version *b);

#endif
