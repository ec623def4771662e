// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test workload for major faults: drops FILE's pages from the page cache
 * (posix_fadvise DONTNEED, this file only: the machine is shared), then maps it
 * and reads one byte of every page, so pages come from disk on first touch.
 *
 * Usage: readmap FILE
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE);
	volatile unsigned char sum = 0;
	unsigned char *map;
	struct stat st;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: readmap FILE\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		perror("readmap: open");
		return 1;
	}
	fdatasync(fd);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		perror("readmap: mmap");
		return 1;
	}
	/* Random access defeats read-around, so most first touches are major faults. */
	madvise(map, (size_t)st.st_size, MADV_RANDOM);
	for (off_t off = 0; off < st.st_size; off += page)
		sum += map[off];
	return sum == 0xff ? 0 : 0; /* the sum only keeps the reads from being optimized away */
}
