/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_PROFILE_H
#define MEMSIGHT_PROFILE_H

#include "cli.h"

/* `memsight profile`: 0 on success, 1 on a runtime failure, 2 on a usage error found late. */
int profile_run(struct env *env);

#endif
