// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_mounts.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo octal. */
static void unescape_octal(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

static bool has_option(const char *options, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = options; p && *p;) {
		if (!strncmp(p, name, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

int cgroup_mounts_parse(const char *mountinfo, struct cgroup_mounts *out)
{
	const char *line = mountinfo;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char buf[4096], mount_point[1024], fstype[64], super_opts[1024];
		const char *sep;

		if (len >= sizeof(buf)) {
			ret = -EINVAL;
			goto next;
		}
		memcpy(buf, line, len);
		buf[len] = '\0';
		/* "id parent major:minor root mount_point opts [optional...] - fstype source superopts" */
		sep = strstr(buf, " - ");
		if (!sep || sscanf(buf, "%*s %*s %*s %*s %1023s", mount_point) != 1 ||
		    sscanf(sep + 3, "%63s %*s %1023s", fstype, super_opts) != 2) {
			ret = -EINVAL;
			goto next;
		}
		unescape_octal(mount_point);
		if (!strcmp(fstype, "cgroup2") && !out->v2[0])
			snprintf(out->v2, sizeof(out->v2), "%s", mount_point);
		else if (!strcmp(fstype, "cgroup") && has_option(super_opts, "memory") &&
			 !out->v1_memory[0])
			snprintf(out->v1_memory, sizeof(out->v1_memory), "%s", mount_point);
		else if (!strcmp(fstype, "tracefs") && !out->tracefs[0])
			snprintf(out->tracefs, sizeof(out->tracefs), "%s", mount_point);
	next:
		line = end ? end + 1 : NULL;
	}
	return ret;
}

int cgroup_mounts_read(struct cgroup_mounts *mounts)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char *text = NULL;
	size_t cap = 0, len = 0, n;
	char chunk[4096];

	memset(mounts, 0, sizeof(*mounts));
	if (!f)
		return -errno;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		char *grown = realloc(text, cap = len + n + 1);

		if (!grown) {
			free(text);
			fclose(f);
			return -ENOMEM;
		}
		text = grown;
		memcpy(text + len, chunk, n);
		len += n;
		text[len] = '\0';
	}
	fclose(f);
	cgroup_mounts_parse(text ? text : "", mounts);
	free(text);
	return 0;
}
