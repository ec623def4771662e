/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_LOG_H
#define MEMSIGHT_LOG_H

#include <stdbool.h>
#include <stdio.h>

/*
 * Messages go to stderr, lowercase, one line each, prefixed "memsight: ".
 * stdout carries only data.
 */
extern bool log_verbose;

#define log_error(fmt, ...) fprintf(stderr, "memsight: " fmt "\n", ##__VA_ARGS__)
#define log_info(fmt, ...)  fprintf(stderr, "memsight: " fmt "\n", ##__VA_ARGS__)
#define log_debug(fmt, ...)                                                                        \
	do {                                                                                       \
		if (log_verbose)                                                                   \
			fprintf(stderr, "memsight: " fmt "\n", ##__VA_ARGS__);                     \
	} while (0)

/* Routes libbpf's output: everything with -v, otherwise kept for error messages only. */
void log_setup_libbpf(bool verbose);
/* The first warning libbpf printed since the last clear, one line ("" if none). */
const char *log_last_libbpf_warning(void);
void log_clear_libbpf_warning(void);
/* With -v: the resident and peak memory (/proc/self/status) after a start-up stage. */
void log_memory_stage(const char *stage);

#endif
