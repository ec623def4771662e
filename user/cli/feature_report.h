/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_FEATURE_REPORT_H
#define MEMSIGHT_FEATURE_REPORT_H

#include "cli.h"

/* `memsight features`: attach, report what was used and why, detach. */
int features_run(const struct env *env);

#endif
