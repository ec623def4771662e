/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_TOP_H
#define MEMSIGHT_TOP_H

#include "cli.h"

/*
 * `memsight top`: the full-screen per-container view (ncursesw), or plain-text
 * snapshots with --batch, without a terminal, or on one that can't do it
 * (TERM=dumb). Returns the exit status.
 */
int top_run(const struct env *env);

#endif
