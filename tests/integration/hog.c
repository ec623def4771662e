// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test workload: names itself, then allocates and touches anonymous memory in
 * 1 MiB steps until the OOM killer ends it (or --max-mib is reached).
 * Progress goes to a file after every step, so a test knows how much the
 * victim had touched when it died.
 *
 * Usage: hog [--comm NAME] [--comm-hex HEX] [--progress FILE] [--max-mib N] [--hold]
 *            [--delay-ms N]   (wait before allocating: a test acts in between)
 *            [--reserve-mib N --address-file F]   (map N MiB untouched, write its address)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#define STEP (1UL << 20)

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes hex into raw bytes so any byte (newline, ESC) can be a name. */
static int decode_hex(const char *hex, char *out, size_t out_len)
{
	size_t n = 0;

	for (; hex[0] && hex[1]; hex += 2) {
		int hi = hex_value(hex[0]), lo = hex_value(hex[1]);

		if (hi < 0 || lo < 0 || n + 1 >= out_len)
			return -1;
		out[n++] = (char)(hi * 16 + lo);
	}
	out[n] = '\0';
	return hex[0] ? -1 : 0;
}

static void write_progress(const char *path, unsigned long bytes)
{
	char tmp[4096], text[32];
	int fd, len;

	if (!path)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return;
	len = snprintf(text, sizeof(text), "%lu\n", bytes);
	if (write(fd, text, len) != len) {
		close(fd);
		return;
	}
	close(fd);
	rename(tmp, path);
}

int main(int argc, char **argv)
{
	const char *progress = NULL;
	unsigned long max_mib = 0, touched = 0;
	char name[64] = "";
	unsigned long delay_ms = 0, reserve_mib = 0;
	const char *address_file = NULL;
	int hold = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--comm") && i + 1 < argc) {
			snprintf(name, sizeof(name), "%s", argv[++i]);
		} else if (!strcmp(argv[i], "--comm-hex") && i + 1 < argc) {
			if (decode_hex(argv[++i], name, sizeof(name))) {
				fprintf(stderr, "hog: bad --comm-hex\n");
				return 2;
			}
		} else if (!strcmp(argv[i], "--progress") && i + 1 < argc) {
			progress = argv[++i];
		} else if (!strcmp(argv[i], "--max-mib") && i + 1 < argc) {
			max_mib = strtoul(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--reserve-mib") && i + 1 < argc) {
			reserve_mib = strtoul(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--address-file") && i + 1 < argc) {
			address_file = argv[++i];
		} else if (!strcmp(argv[i], "--delay-ms") && i + 1 < argc) {
			delay_ms = strtoul(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--hold")) {
			hold = 1;
		} else {
			fprintf(stderr, "hog: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	if (name[0] && prctl(PR_SET_NAME, name)) {
		perror("hog: prctl");
		return 1;
	}
	if (reserve_mib && address_file) {
		/* Untouched: another process (a test's poke) will charge it to our memcg. */
		char *area = mmap(NULL, reserve_mib * STEP, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		FILE *f;

		if (area == MAP_FAILED) {
			perror("hog: mmap reserve");
			return 1;
		}
		madvise(area, reserve_mib * STEP, MADV_NOHUGEPAGE);
		f = fopen(address_file, "w");
		if (!f) {
			perror("hog: address file");
			return 1;
		}
		fprintf(f, "%lx %lu\n", (unsigned long)area, reserve_mib * STEP);
		fclose(f);
	}
	if (delay_ms)
		usleep(delay_ms * 1000);
	for (;;) {
		char *chunk;

		if (max_mib && touched >= max_mib * STEP)
			break;
		chunk = mmap(NULL, STEP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			     0);
		if (chunk == MAP_FAILED) {
			perror("hog: mmap");
			return 1;
		}
		/* No huge pages: every 4 KiB page is its own fault and charge. */
		madvise(chunk, STEP, MADV_NOHUGEPAGE);
		memset(chunk, 0x5a, STEP);
		touched += STEP;
		write_progress(progress, touched);
	}
	while (hold)
		pause();
	return 0;
}
