// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "proc_maps.h"

#define DELETED_SUFFIX " (deleted)"

int proc_maps_parse_line(const char *line, struct proc_mapping *m)
{
	char perms[5];
	int path_at = 0;
	size_t len;

	memset(m, 0, sizeof(*m));
	/* start-end perms offset major:minor inode path, e.g. "55d0...-55d1... r-xp 00001000 08:01 42 /bin/x" */
	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %*x:%*x %" SCNu64 " %n",
		   &m->start, &m->end, perms, &m->offset, &m->inode, &path_at) != 5 ||
	    !path_at || m->end <= m->start || strlen(perms) != 4)
		return -EINVAL;
	m->exec = perms[2] == 'x';
	len = strcspn(line + path_at, "\n");
	m->path_cut = len >= sizeof(m->path);
	snprintf(m->path, sizeof(m->path), "%.*s", (int)len, line + path_at);
	len = strlen(m->path);
	if (len >= strlen(DELETED_SUFFIX) &&
	    !strcmp(m->path + len - strlen(DELETED_SUFFIX), DELETED_SUFFIX)) {
		m->deleted = true;
		m->path[len - strlen(DELETED_SUFFIX)] = '\0';
	}
	return 0;
}
