/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMSIGHT_PPROF_H
#define MEMSIGHT_PPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/*
 * A writer of pprof's profile.proto (github.com/google/pprof, proto/profile.proto),
 * the file `go tool pprof` reads, gzipped. Pure: bytes in memory, no I/O.
 *
 * Why a small encoder and not protobuf-c: the writer needs one fixed schema and
 * two of protobuf's wire types (varints and length-delimited fields), about two
 * hundred lines. protobuf-c would add protoc-c to the build, generated code from
 * a .proto kept in the tree, and a new shared library to link, to ship in the
 * image and to add to the arm64 sysroot, to write the same bytes. Protobuf lets
 * a message's fields come in any order and repeat, so each mapping, location,
 * function and sample is encoded as it is added and the string table goes last.
 * The unit test decodes the result with a decoder of its own and the integration
 * test with `go tool pprof`.
 *
 * Ids (mappings, locations, functions) start at 1; equal ones are shared: adding
 * the same location twice gives the same id.
 */

struct pprof;

struct pprof_mapping {
	uint64_t memory_start;
	uint64_t memory_limit;
	uint64_t file_offset;
	const char *filename;
	const char *build_id; /* hex, "" or NULL when unknown */
	bool has_functions;   /* its frames were named from its symbol table */
};

/* A sample's label: a string (str set) or a number (str NULL). */
struct pprof_label {
	const char *key;
	const char *str;
	int64_t num;
};

struct pprof *pprof__new(void);
void pprof__free(struct pprof *p);

/* Sample value types, in the order of each sample's values (at most PPROF_VALUES_MAX). */
#define PPROF_VALUES_MAX 4
void pprof__add_sample_type(struct pprof *p, const char *type, const char *unit);
void pprof__set_period(struct pprof *p, const char *type, const char *unit, int64_t period);
/* The type `go tool pprof` shows unless told (by default, the last one). */
void pprof__set_default_sample_type(struct pprof *p, const char *type);
void pprof__set_time(struct pprof *p, int64_t time_ns, int64_t duration_ns);
void pprof__add_comment(struct pprof *p, const char *text);

uint64_t pprof__mapping(struct pprof *p, const struct pprof_mapping *m);
/* A location with one line naming function; mapping_id 0: none. */
uint64_t pprof__location(struct pprof *p, uint64_t mapping_id, uint64_t address,
			 const char *function);
/* locations leaf first, as profile.proto orders them; one value per sample type. */
void pprof__add_sample(struct pprof *p, const uint64_t *locations, size_t location_count,
		       const int64_t *values, const struct pprof_label *labels, size_t label_count);

/*
 * The encoded profile appended to out, gzipped when gzip is true. 0, or
 * -ENOMEM (also when an earlier add ran out of memory), -EIO when zlib failed,
 * -EFBIG when the profile is over the 4 GiB zlib takes in one call.
 */
int pprof__write(struct pprof *p, bool gzip, struct strbuf *out);

/* Protobuf's base-128 varint, appended. */
void pprof_put_varint(struct strbuf *sb, uint64_t value);

#endif
