// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "dynlib.h"
#include "mhd_lib.h"

static struct mhd_lib lib;
static void *handle;

static const struct dynlib_symbol symbols[] = {
#define SYMBOL(field, name) DYNLIB_SYMBOL(struct mhd_lib, field, name)
	SYMBOL(start_daemon, "MHD_start_daemon"),
	SYMBOL(stop_daemon, "MHD_stop_daemon"),
	SYMBOL(create_response_from_buffer, "MHD_create_response_from_buffer"),
	SYMBOL(create_response_from_buffer_with_free_callback_cls,
	       "MHD_create_response_from_buffer_with_free_callback_cls"),
	SYMBOL(add_response_header, "MHD_add_response_header"),
	SYMBOL(queue_response, "MHD_queue_response"),
	SYMBOL(destroy_response, "MHD_destroy_response"),
	SYMBOL(get_connection_info, "MHD_get_connection_info"),
#undef SYMBOL
};

const struct mhd_lib *mhd_lib_get(char *err, size_t err_len)
{
	if (!handle)
		handle = dynlib_open(MHD_LIB_SONAME, "libmicrohttpd12", symbols,
				     sizeof(symbols) / sizeof(symbols[0]), &lib, err, err_len);
	return handle ? &lib : NULL;
}
