// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "confined_file.h"

#define WALK_DEPTH_MAX	64 /* directories below the root held open at once */
#define WALK_LINKS_MAX	40 /* the kernel's own limit on symlinks in one lookup */
#define OPENAT2_RETRIES 3  /* EAGAIN: a rename raced a ".."; the kernel asks for a retry */

/* Set once the kernel said it has no openat2 (before 5.6) or not this struct open_how. */
static bool openat2_missing;

static int open_in_root(int root_fd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		/* magic links (/proc/PID/root...) would jump out whatever the root */
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd = -1;

	for (int i = 0; i < OPENAT2_RETRIES; i++) {
		fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	return fd < 0 ? -errno : (int)fd;
}

struct walk {
	int root_fd;
	int dirs[WALK_DEPTH_MAX]; /* open directories below the root, innermost last */
	unsigned int depth;
	unsigned int links;
	char rest[PATH_MAX]; /* the part of the path still to resolve */
};

static int walk_dir(const struct walk *w)
{
	return w->depth ? w->dirs[w->depth - 1] : w->root_fd;
}

static void walk_up(struct walk *w, unsigned int depth)
{
	while (w->depth > depth)
		close(w->dirs[--w->depth]);
}

/*
 * The component just opened is a symlink: what is left becomes its target then
 * the rest. An absolute target starts again from the root, not from /.
 */
static int walk_follow(struct walk *w, int link_fd, const char *after)
{
	char target[PATH_MAX], joined[PATH_MAX];
	ssize_t n;

	if (++w->links > WALK_LINKS_MAX)
		return -ELOOP;
	n = readlinkat(link_fd, "", target, sizeof(target));
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ENOENT;
	if ((size_t)n >= sizeof(target))
		return -ENAMETOOLONG;
	target[n] = '\0';
	if ((size_t)snprintf(joined, sizeof(joined), "%s/%s", target, after) >= sizeof(joined))
		return -ENAMETOOLONG;
	if (target[0] == '/')
		walk_up(w, 0);
	memcpy(w->rest, joined, strlen(joined) + 1);
	return 0;
}

/*
 * One component, never following it: a directory is entered, a symlink is
 * followed by hand, the last component is opened with flags into *fd. Returns
 * 0 (go on from *name, or done once *fd is set) or -errno.
 */
static int walk_step(struct walk *w, char **name, char *next, bool last, int flags, int *fd)
{
	struct stat st;
	int step_fd, err = 0;

	step_fd = openat(walk_dir(w), *name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (step_fd < 0)
		return -errno;
	if (fstat(step_fd, &st)) {
		err = -errno;
	} else if (S_ISLNK(st.st_mode)) {
		err = walk_follow(w, step_fd, next);
		*name = w->rest;
	} else if (!last) {
		err = !S_ISDIR(st.st_mode)	   ? -ENOTDIR
		      : w->depth == WALK_DEPTH_MAX ? -ENAMETOOLONG
						   : 0;
		if (!err) {
			w->dirs[w->depth++] = step_fd;
			*name = next;
			return 0;
		}
	} else if (flags & O_PATH) {
		*fd = step_fd;
		return 0;
	} else {
		/* O_NOFOLLOW again: a symlink swapped in since is refused, not followed */
		*fd = openat(walk_dir(w), *name, flags | O_NOFOLLOW | O_CLOEXEC);
		err = *fd < 0 ? -errno : 0;
	}
	close(step_fd);
	return err;
}

static int walk_open(int root_fd, const char *path, int flags)
{
	struct walk w = { .root_fd = root_fd };
	char *name = w.rest, *next;
	int fd = -1, err = 0;

	if ((size_t)snprintf(w.rest, sizeof(w.rest), "%s", path) >= sizeof(w.rest))
		return -ENAMETOOLONG;
	while (!err && fd < 0) {
		bool last;

		name += strspn(name, "/");
		if (!*name) { /* the path names a directory */
			fd = openat(walk_dir(&w), ".", flags | O_CLOEXEC);
			err = fd < 0 ? -errno : 0;
			break;
		}
		next = name + strcspn(name, "/");
		last = !next[strspn(next, "/")];
		if (*next)
			*next++ = '\0';
		if (!strcmp(name, "..")) {
			/* by the directories walked, not the file system's "..": at the root it stays */
			if (w.depth)
				walk_up(&w, w.depth - 1);
			name = next;
		} else if (!strcmp(name, ".")) {
			name = next;
		} else {
			err = walk_step(&w, &name, next, last, flags, &fd);
		}
	}
	walk_up(&w, 0);
	return err ? err : fd;
}

int confined_open(int root_fd, const char *path, int flags, enum confined_resolve resolve)
{
	int fd;

	if (resolve == CONFINED_AUTO && !openat2_missing) {
		fd = open_in_root(root_fd, path, flags);
		/*
		 * ENOSYS: before 5.6; E2BIG: an older struct open_how; EPERM: a seccomp
		 * profile that predates openat2 (the walk then finds the real answer).
		 */
		if (fd != -ENOSYS && fd != -E2BIG && fd != -EPERM)
			return fd;
		if (fd != -EPERM)
			openat2_missing = true;
	}
	return walk_open(root_fd, path, flags);
}

static int read_all(int fd, size_t cap, size_t max, char **buf, size_t *len)
{
	size_t got = 0;
	char extra;
	ssize_t n;

	*buf = malloc(cap + 1);
	if (!*buf)
		return -ENOMEM;
	while (got < cap) {
		n = read(fd, *buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	(*buf)[got] = '\0';
	*len = got;
	/* more than its size said: over the bound, or being rewritten as we read */
	if (got == cap && read(fd, &extra, 1) > 0)
		return cap == max ? -EFBIG : -EAGAIN;
	return 0;
}

int confined_read(int root_fd, const char *path, size_t max, enum confined_resolve resolve,
		  char **buf, size_t *len, struct stat *st)
{
	int fd, err;

	*buf = NULL;
	*len = 0;
	fd = confined_open(root_fd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, resolve);
	if (fd < 0)
		return fd;
	if (fstat(fd, st))
		err = -errno;
	else if (!S_ISREG(st->st_mode))
		err = -ENXIO;
	else if ((uint64_t)st->st_size > max)
		err = -EFBIG;
	else /* sized by the file, so the common few-KiB read costs a few KiB */
		err = read_all(fd, st->st_size ? (size_t)st->st_size : max, max, buf, len);
	close(fd);
	if (err) {
		free(*buf);
		*buf = NULL;
		*len = 0;
	}
	return err;
}

void file_version_of(const struct stat *st, struct file_version *version)
{
	version->dev = st->st_dev;
	version->ino = st->st_ino;
	version->size = st->st_size;
	version->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

bool file_version_equal(const struct file_version *a, const struct file_version *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_ns == b->mtime_ns;
}
