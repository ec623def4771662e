// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_walk.h"

struct walk {
	unsigned int max_depth, max_cgroups, visited;
	void (*fn)(const char *path, void *ctx);
	void *ctx;
	char path[8192];
};

/* dirfd-relative descent: no path grows past what the kernel allows per component. */
static void walk_dir(struct walk *w, int fd, size_t path_len, unsigned int depth)
{
	DIR *dir;
	struct dirent *de;

	if (depth >= w->max_depth) {
		close(fd);
		return;
	}
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return;
	}
	while ((de = readdir(dir)) && w->visited < w->max_cgroups) {
		size_t n = strlen(de->d_name);
		int child;

		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (path_len + 1 + n + 1 > sizeof(w->path))
			continue;
		child = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (child < 0)
			continue; /* removed meanwhile */
		w->path[path_len] = '/';
		memcpy(w->path + path_len + 1, de->d_name, n + 1);
		w->visited++;
		w->fn(w->path, w->ctx);
		walk_dir(w, child, path_len + 1 + n, depth + 1);
		w->path[path_len] = '\0';
	}
	closedir(dir);
}

unsigned int cgroup_walk(const char *root, unsigned int max_depth, unsigned int max_cgroups,
			 void (*fn)(const char *path, void *ctx), void *ctx)
{
	struct walk *w = calloc(1, sizeof(*w));
	unsigned int visited;
	int fd;

	if (!w)
		return 0;
	w->max_depth = max_depth;
	w->max_cgroups = max_cgroups;
	w->fn = fn;
	w->ctx = ctx;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fn("/", ctx);
		w->visited = 1;
		walk_dir(w, fd, 0, 0);
	}
	visited = w->visited;
	free(w);
	return visited;
}
