/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The errno values memsight's programs compare helper returns with: vmlinux.h has no errno.h. */
#ifndef MEMSIGHT_ERRNO_BPF_H
#define MEMSIGHT_ERRNO_BPF_H

#ifndef EFAULT
#define EFAULT 14
#endif
#ifndef EEXIST
#define EEXIST 17
#endif

#endif /* MEMSIGHT_ERRNO_BPF_H */
