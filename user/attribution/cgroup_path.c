// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>

#include "cgroup_path.h"

int cgroup_path_from_record(const struct memsight_cgroup *cg, char *out, size_t out_len)
{
	unsigned int depth = cg->depth;
	size_t pos = 0;

	if (out_len < 2) {
		if (out_len)
			out[0] = '\0';
		return -ENAMETOOLONG;
	}
	out[0] = '\0';
	if (depth > MEMSIGHT_CGROUP_LEVELS_MAX)
		depth = MEMSIGHT_CGROUP_LEVELS_MAX;
	if (cg->level > depth) {
		if (out_len < 5)
			return -ENAMETOOLONG; /* out[0] is already NUL */
		memcpy(out, "/...", 4);
		pos = 4;
	}
	for (unsigned int i = depth; i-- > 0;) {
		size_t n = strnlen(cg->names[i], MEMSIGHT_CGROUP_NAME_LEN);

		if (pos + 1 + n + 1 > out_len) {
			out[pos] = '\0'; /* callers may print what fit */
			return -ENAMETOOLONG;
		}
		out[pos++] = '/';
		memcpy(out + pos, cg->names[i], n);
		pos += n;
	}
	if (pos == 0)
		out[pos++] = '/';
	out[pos] = '\0';
	return (int)pos;
}

int cgroup_path_ancestor(const char *path, unsigned int distance, char *out, size_t out_len)
{
	size_t len = strlen(path);

	while (distance-- > 0) {
		if (len <= 1)
			return -ENOENT; /* above the root */
		while (len > 0 && path[len - 1] != '/')
			len--;
		if (len > 1)
			len--; /* drop the separator, keep "/" for the root */
		/* The truncation marker is not a real ancestor. */
		if (len == 4 && strncmp(path, "/...", 4) == 0)
			return -ENOENT;
	}
	if (len + 1 > out_len)
		return -ENAMETOOLONG;
	memcpy(out, path, len);
	out[len] = '\0';
	return (int)len;
}

bool cgroup_path_matches(const char *path, const char *prefix)
{
	if (!prefix || !*prefix)
		return true;
	return strncmp(path, prefix, strlen(prefix)) == 0;
}
