/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_NODE_NAME_H
#define MEMSIGHT_NODE_NAME_H

/* The "node" of every record: $NODE_NAME, else the host name, else "unknown". */
const char *node_name(void);

#endif
