/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_BTF_INFO_H
#define MEMSIGHT_BTF_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct btf;

/*
 * Questions asked of the kernel's BTF before load: values of anonymous
 * enums (which CO-RE can't relocate) and the shape of tracepoint prototypes
 * (which decides between tp_btf and classic tracepoint programs).
 */

/*
 * Whether path can be given to btf_info_load: a readable regular file. A FIFO
 * would block the open for ever and a device or a directory is no BTF file.
 * 0, or -errno with a one-line reason (starting with the path) in err.
 */
int btf_info_check_file(const char *path, char *err, size_t err_len);

/* Loads path, or the running kernel's BTF when path is NULL. -errno on failure. */
int btf_info_load(const char *path, struct btf **btf);

/* Value of the enumerator `name` in any enum; -ENOENT if absent. */
int btf_info_enum_value(const struct btf *btf, const char *name, int64_t *value);

/* Whether function `name` exists (fentry can attach to it). */
bool btf_info_has_func(const struct btf *btf, const char *name);

/*
 * Whether function `name` exists with a `struct <type_name> *` first and then
 * one integer or enum per character of arg_sizes, of that many bytes ("44":
 * two ints): fentry and kprobe programs read them by position, at the width
 * they declare.
 */
bool btf_info_func_is(const struct btf *btf, const char *name, const char *type_name,
		      const char *arg_sizes);

/* Whether struct `name` has a member `member` (a named one, at its top level). */
bool btf_info_struct_has_member(const struct btf *btf, const char *name, const char *member);

/* Whether struct/union `name` exists. */
bool btf_info_has_struct(const struct btf *btf, const char *name);

/*
 * For tracepoint `name`, whether its BTF prototype (typedef btf_trace_<name>)
 * passes a `struct <type_name> *` as its first real argument.
 * -ENOENT when the tracepoint has no BTF prototype.
 */
int btf_info_tp_first_arg_is(const struct btf *btf, const char *name, const char *type_name);

#endif
