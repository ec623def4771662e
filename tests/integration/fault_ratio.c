// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test workload for `memsight profile`: two functions that fault anonymous
 * memory in, fault_three_pages() three pages for each one fault_one_page()
 * does, round after round (the pages are dropped with MADV_DONTNEED so each
 * round faults again). Built with -fno-omit-frame-pointer, so the kernel can
 * walk its stacks. Prints its pid, then runs until killed or for SECONDS.
 *
 * Usage: fault_ratio [SECONDS] [PAGES_PER_ROUND] [ROUNDS]   (default: forever, 64, no limit;
 *        SECONDS 0 with ROUNDS: a fixed amount of work, for bench/profile.sh)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* Global, so the names are kept as written (a static one may become .constprop.0). */
void fault_three_pages(volatile char *buf, size_t pages, long page);
void fault_one_page(volatile char *buf, size_t pages, long page);

/* noinline and a compiler barrier: each function keeps its own frame and its own faults */
__attribute__((noinline)) void fault_three_pages(volatile char *buf, size_t pages, long page)
{
	for (size_t i = 0; i < 3 * pages; i++)
		buf[i * page] = 1;
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void fault_one_page(volatile char *buf, size_t pages, long page)
{
	for (size_t i = 0; i < pages; i++)
		buf[i * page] = 1;
	__asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 0;
	size_t pages = argc > 2 ? strtoul(argv[2], NULL, 10) : 64;
	unsigned long rounds = argc > 3 ? strtoul(argv[3], NULL, 10) : 0;
	long page = sysconf(_SC_PAGESIZE);
	size_t len = 4 * pages * (size_t)page;
	struct timespec start, now;
	char *buf;

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || !pages) {
		perror("fault_ratio: mmap");
		return 1;
	}
	/* one fault per page, never a huge page for many */
	madvise(buf, len, MADV_NOHUGEPAGE);
	printf("%d\n", getpid());
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (unsigned long round = 1;; round++) {
		fault_three_pages(buf, pages, page);
		fault_one_page(buf + 3 * pages * (size_t)page, pages, page);
		madvise(buf, len, MADV_DONTNEED);
		if (rounds && round >= rounds)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (seconds > 0 &&
		    (double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 >=
			    seconds)
			break;
	}
	return 0;
}
