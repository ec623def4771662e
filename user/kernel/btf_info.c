// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btf_info.h"

static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a file";
}

/*
 * stat, not open: opening a FIFO waits for a writer, and the caller may have
 * blocked SIGTERM meanwhile. What the path names could change before libbpf
 * opens it, but only for whoever may write where the user pointed.
 */
int btf_info_check_file(const char *path, char *err, size_t err_len)
{
	struct stat st;
	int ret;

	if (stat(path, &st) || access(path, R_OK)) {
		ret = -errno;
		snprintf(err, err_len, "can't read %s: %s", path, strerror(errno));
		return ret;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, err_len, "%s is %s, not a regular file", path, file_kind(st.st_mode));
		return -EINVAL;
	}
	return 0;
}

int btf_info_load(const char *path, struct btf **btf)
{
	*btf = path ? btf__parse(path, NULL) : btf__load_vmlinux_btf();
	if (!*btf) {
		int err = -errno;

		return err ? err : -ENOENT;
	}
	return 0;
}

int btf_info_enum_value(const struct btf *btf, const char *name, int64_t *value)
{
	__u32 n = btf__type_cnt(btf);

	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		__u16 vlen;

		if (!btf_is_enum(t) && !btf_is_enum64(t))
			continue;
		vlen = btf_vlen(t);
		for (__u16 i = 0; i < vlen; i++) {
			const char *enumerator;

			if (btf_is_enum(t)) {
				const struct btf_enum *e = btf_enum(t) + i;

				enumerator = btf__name_by_offset(btf, e->name_off);
				if (enumerator && !strcmp(enumerator, name)) {
					*value = e->val;
					return 0;
				}
			} else {
				const struct btf_enum64 *e = btf_enum64(t) + i;

				enumerator = btf__name_by_offset(btf, e->name_off);
				if (enumerator && !strcmp(enumerator, name)) {
					*value = (int64_t)btf_enum64_value(e);
					return 0;
				}
			}
		}
	}
	return -ENOENT;
}

bool btf_info_has_func(const struct btf *btf, const char *name)
{
	return btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) > 0;
}

bool btf_info_has_struct(const struct btf *btf, const char *name)
{
	return btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT) > 0 ||
	       btf__find_by_name_kind(btf, name, BTF_KIND_UNION) > 0;
}

bool btf_info_struct_has_member(const struct btf *btf, const char *name, const char *member)
{
	__s32 id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	const struct btf_member *m = t ? btf_members(t) : NULL;

	for (unsigned int i = 0; t && i < btf_vlen(t); i++) {
		const char *n = btf__name_by_offset(btf, m[i].name_off);

		if (n && !strcmp(n, member))
			return true;
	}
	return false;
}

int btf_info_tp_first_arg_is(const struct btf *btf, const char *name, const char *type_name)
{
	const struct btf_type *t;
	const struct btf_param *params;
	char typedef_name[128];
	const char *pointee;
	__s32 id;

	snprintf(typedef_name, sizeof(typedef_name), "btf_trace_%s", name);
	id = btf__find_by_name_kind(btf, typedef_name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -ENOENT;
	/* typedef -> pointer -> func_proto(void *__data, arg1, ...) */
	t = btf__type_by_id(btf, btf__resolve_type(btf, id));
	if (!t || !btf_is_ptr(t))
		return -ENOENT;
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t))
		return -ENOENT;
	if (btf_vlen(t) < 2)
		return 0;
	params = btf_params(t);
	id = btf__resolve_type(btf, params[1].type);
	t = id < 0 ? NULL : btf__type_by_id(btf, id);
	if (!t || !btf_is_ptr(t))
		return 0;
	id = btf__resolve_type(btf, t->type);
	t = id < 0 ? NULL : btf__type_by_id(btf, id);
	if (!t || !btf_is_struct(t))
		return 0;
	pointee = btf__name_by_offset(btf, t->name_off);
	return pointee && !strcmp(pointee, type_name);
}

/* Whether BTF type id resolves to an integer or enum of `size` bytes. */
static bool is_int_of_size(const struct btf *btf, __u32 type_id, unsigned int size)
{
	__s32 id = btf__resolve_type(btf, type_id);
	const struct btf_type *t = id < 0 ? NULL : btf__type_by_id(btf, id);

	return t && (btf_is_int(t) || btf_is_enum(t) || btf_is_enum64(t)) && t->size == size;
}

bool btf_info_func_is(const struct btf *btf, const char *name, const char *type_name,
		      const char *arg_sizes)
{
	__s32 id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	unsigned int params = (unsigned int)strlen(arg_sizes) + 1;
	const char *pointee;

	t = t ? btf__type_by_id(btf, t->type) : NULL;
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) != params)
		return false;
	/* a wider argument (a `long val` one day) would be read truncated, without an error */
	for (unsigned int i = 1; i < params; i++)
		if (!is_int_of_size(btf, btf_params(t)[i].type,
				    (unsigned int)(arg_sizes[i - 1] - '0')))
			return false;
	id = btf__resolve_type(btf, btf_params(t)[0].type);
	t = id < 0 ? NULL : btf__type_by_id(btf, id);
	if (!t || !btf_is_ptr(t))
		return false;
	id = btf__resolve_type(btf, t->type);
	t = id < 0 ? NULL : btf__type_by_id(btf, id);
	if (!t || !btf_is_struct(t))
		return false;
	pointee = btf__name_by_offset(btf, t->name_off);
	return pointee && !strcmp(pointee, type_name);
}
