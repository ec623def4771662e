/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_RECOMMEND_H
#define MEMSIGHT_RECOMMEND_H

#include "cli.h"

/*
 * `memsight recommend`: memsight's series from Prometheus, grouped into workloads
 * (user/recommend), a request and a limit for each. Returns the exit code: 0, or 1 with
 * a one-line reason on stderr (Prometheus unreachable or refusing, no memsight series,
 * none in the window).
 */
int recommend_run(const struct env *env);

#endif
