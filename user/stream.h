/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_STREAM_H
#define MEMSIGHT_STREAM_H

#include "cli.h"

/* `memsight stream`: JSON lines on stdout until stopped. Returns the exit status. */
int stream_run(const struct env *env);

#endif
