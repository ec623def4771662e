/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_KERNEL_PROBE_H
#define MEMSIGHT_KERNEL_PROBE_H

#include "load_plan.h"

struct btf;

/* Fills probe from the kernel's BTF (btf) and the running system. */
void kernel_probe_read(const struct btf *btf, struct kernel_probe *probe);

#endif
