// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer: any bytes as a /proc/PID/maps line (its path is whatever a process
 * named its files), and the folded writer over the frame names that come of it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proc_maps.h"
#include "profile_output.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile_frame frame = { 0 };
	struct profile_stack stack = {
		.comm = "fuzz", .frames = &frame, .frame_count = 1, .samples = 1
	};
	struct proc_mapping m;
	struct strbuf out;
	char *line = malloc(size + 1);

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (!proc_maps_parse_line(line, &m)) {
		/* a mapping is never empty, its path always terminated, never with a newline */
		if (m.end <= m.start || strlen(m.path) >= sizeof(m.path) || strchr(m.path, '\n'))
			abort();
	}
	/* one folded line per stack: no name may add a line or a frame */
	frame.name = line;
	strbuf_init(&out);
	if (!profile_write_folded(&stack, 1, &out) &&
	    (strchr(out.buf, '\n') != out.buf + out.len - 1 || strchr(out.buf, ';') != out.buf + 4))
		abort();
	strbuf_free(&out);
	free(line);
	return 0;
}
