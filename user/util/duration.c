// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "duration.h"

static const struct {
	const char *suffix;
	uint64_t ns;
} units[] = {
	/* Longest suffix first so "ms" is not read as "m" followed by junk. */
	{ "ns", 1ULL },
	{ "us", 1000ULL },
	{ "ms", 1000000ULL },
	{ "s", 1000000000ULL },
	{ "m", 60000000000ULL },
	{ "h", 3600000000000ULL },
	{ "d", 86400000000000ULL },
	{ "w", 604800000000000ULL },
};

static int parse_unit(const char **p, uint64_t *unit_ns)
{
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t n = strlen(units[i].suffix);

		if (strncmp(*p, units[i].suffix, n) == 0) {
			*unit_ns = units[i].ns;
			*p += n;
			return 0;
		}
	}
	return -EINVAL;
}

int duration_parse(const char *text, uint64_t *ns)
{
	const char *p = text;
	uint64_t total = 0;
	bool bare = true;

	if (!text || !*text)
		return -EINVAL;
	while (*p) {
		uint64_t whole = 0, frac = 0, frac_scale = 1, unit_ns, part, frac_ns;
		int digits = 0;

		if (!isdigit((unsigned char)*p) && *p != '.')
			return -EINVAL;
		while (isdigit((unsigned char)*p)) {
			if (whole > (UINT64_MAX - 9) / 10)
				return -ERANGE;
			whole = whole * 10 + (uint64_t)(*p++ - '0');
			digits++;
		}
		if (*p == '.') {
			p++;
			while (isdigit((unsigned char)*p)) {
				/* Digits beyond nanosecond precision are dropped. */
				if (frac_scale < 1000000000000000000ULL) {
					frac = frac * 10 + (uint64_t)(*p - '0');
					frac_scale *= 10;
				}
				p++;
				digits++;
			}
		}
		if (!digits)
			return -EINVAL;
		if (!*p && bare && total == 0) {
			unit_ns = 1000000000ULL; /* a bare number is seconds */
		} else if (parse_unit(&p, &unit_ns)) {
			return -EINVAL;
		}
		bare = false;
		frac_ns = (uint64_t)((double)frac * (double)unit_ns / (double)frac_scale);
		if (whole > UINT64_MAX / unit_ns || whole * unit_ns > UINT64_MAX - frac_ns)
			return -ERANGE;
		part = whole * unit_ns + frac_ns;
		if (part > UINT64_MAX - total)
			return -ERANGE;
		total += part;
	}
	*ns = total;
	return 0;
}

const char *duration_format(uint64_t ns, char *buf, size_t len)
{
	if (ns % 1000000000ULL == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ns / 1000000000ULL));
	else if (ns % 1000000ULL == 0 && ns < 1000000000ULL)
		snprintf(buf, len, "%llums", (unsigned long long)(ns / 1000000ULL));
	else if (ns >= 1000000000ULL)
		snprintf(buf, len, "%.3fs", (double)ns / 1e9);
	else if (ns % 1000ULL == 0)
		snprintf(buf, len, "%lluus", (unsigned long long)(ns / 1000ULL));
	else
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	return buf;
}
