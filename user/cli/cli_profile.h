/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_CLI_PROFILE_H
#define MEMSIGHT_CLI_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"

/* profile's options (cli_profile.c) and the parsing helpers of cli.c they use. Pure. */

/* A one-line message in err; returns -EINVAL. */
int usage_error(char *err, size_t err_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * A decimal number from 0 to max, digits only: strtoul alone would take leading
 * blanks, a sign, and "-1" wrapped round to ULONG_MAX.
 */
bool parse_decimal(const char *arg, unsigned long max, unsigned long *n);

/* profile's help text and options */
extern const char cli_profile_description[];
int cli_apply_pid(struct env *env, const char *arg, char *err, size_t err_len);
int cli_apply_rate(struct env *env, const char *arg, char *err, size_t err_len);
int cli_apply_output(struct env *env, const char *arg, char *err, size_t err_len);
/* What profile needs of the options together (one of --pid and --cgroup, --format). */
int cli_check_profile(struct env *env, char *err, size_t err_len);

#endif
