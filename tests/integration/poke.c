// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test helper: writes one byte into every page of another process's mapping
 * through /proc/PID/mem. The new pages are charged to that process's memcg
 * while the writer (the OOM trigger) lives elsewhere: a remote charge.
 *
 * Usage: poke PID ADDRESS_HEX LENGTH
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned long address, length, page = (unsigned long)sysconf(_SC_PAGESIZE);
	char path[64], byte = 0x5a;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: poke PID ADDRESS_HEX LENGTH\n");
		return 2;
	}
	address = strtoul(argv[2], NULL, 16);
	length = strtoul(argv[3], NULL, 10);
	snprintf(path, sizeof(path), "/proc/%s/mem", argv[1]);
	fd = open(path, O_RDWR);
	if (fd < 0) {
		perror("poke: open");
		return 1;
	}
	for (unsigned long off = 0; off < length; off += page) {
		/* Fails once the target is killed: that is the expected end. */
		if (pwrite(fd, &byte, 1, (off_t)(address + off)) != 1)
			return 0;
	}
	return 0;
}
