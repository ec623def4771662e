// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "log.h"

bool log_verbose;
static char last_warning[256];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
	__attribute__((format(printf, 2, 0)));

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (log_verbose)
		return vfprintf(stderr, fmt, args);
	/* The first warning names the failure; later ones are verifier log detail. */
	if (level == LIBBPF_WARN && !last_warning[0]) {
		size_t n;

		vsnprintf(last_warning, sizeof(last_warning), fmt, args);
		n = strcspn(last_warning, "\n");
		last_warning[n] = '\0';
	}
	return 0;
}

void log_setup_libbpf(bool verbose)
{
	log_verbose = verbose;
	libbpf_set_print(libbpf_print);
}

void log_clear_libbpf_warning(void)
{
	last_warning[0] = '\0';
}

const char *log_last_libbpf_warning(void)
{
	return last_warning;
}

void log_memory_stage(const char *stage)
{
	char line[128], rss[32] = "?", peak[32] = "?";
	FILE *f;

	if (!log_verbose)
		return;
	f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "VmHWM:", 6))
			sscanf(line + 6, "%31s", peak);
		else if (!strncmp(line, "VmRSS:", 6))
			sscanf(line + 6, "%31s", rss);
	}
	if (f)
		fclose(f);
	fprintf(stderr, "memsight: memory %s: VmRSS %s KiB, VmHWM %s KiB\n", stage, rss, peak);
}
