/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_MHD_LIB_H
#define MEMSIGHT_MHD_LIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <microhttpd.h>

/*
 * libmicrohttpd, loaded by `run` once its programs are attached rather than
 * linked: linked, it and the TLS libraries it pulls in (GnuTLS, nettle, GMP,
 * p11-kit: 2.6 MiB resident once relocated) sat under the start-up's peak,
 * the kernel BTF parse, and in `stream`, which serves nothing.
 */
#define MHD_LIB_SONAME "libmicrohttpd.so.12"

/* Each the library's own function; the header's prototypes, so calls are checked. */
struct mhd_lib {
	__typeof__(MHD_start_daemon) *start_daemon;
	__typeof__(MHD_stop_daemon) *stop_daemon;
	__typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
	__typeof__(MHD_create_response_from_buffer_with_free_callback_cls)
		*create_response_from_buffer_with_free_callback_cls;
	__typeof__(MHD_add_response_header) *add_response_header;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_destroy_response) *destroy_response;
	__typeof__(MHD_get_connection_info) *get_connection_info;
};

/* libmicrohttpd's functions, loaded once; NULL with a one-line reason in err when it can't be. */
const struct mhd_lib *mhd_lib_get(char *err, size_t err_len);

#endif
