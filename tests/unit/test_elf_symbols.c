// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Symbol lookup (elf_symbols) against binutils: every function `nm -S` lists
 * in this test's own executable (.symtab) and in the C library (.dynsym
 * only, on Debian) must be found at its address and at its last byte, and
 * the build ID must be the one `readelf -n` prints. Then a live address of
 * this PIE process goes the way a profile's frames go: /proc/self/maps
 * (proc_maps), file offset, PT_LOAD segment, symbol.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "elf_symbols.h"
#include "proc_maps.h"

/* A function the live lookup looks for; noinline so it has an address of its own. */
__attribute__((noinline)) int profile_marker_function(int x);
__attribute__((noinline)) int profile_marker_function(int x)
{
	__asm__ volatile("" ::: "memory");
	return x * 3 + 1;
}

static struct elf_symbols *read_file(const char *path)
{
	struct elf_symbols *s = NULL;
	char err[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	if (elf_symbols__read(fd, &s, err, sizeof(err)))
		fail_msg("%s: %s", path, err);
	close(fd);
	return s;
}

/* Names nm gives the address of `line`'s symbol (aliases included). */
static bool nm_has_alias(const char *all, uint64_t address, const char *name)
{
	char needle[64];
	const char *at = all;

	snprintf(needle, sizeof(needle), "%016" PRIx64 " ", address);
	while ((at = strstr(at, needle))) {
		char type, found[512];
		uint64_t size;

		/* nm -D appends the symbol version (_Exit@@GLIBC_2.2.5): not part of the name */
		if (sscanf(at + 17, "%" SCNx64 " %c %511s", &size, &type, found) == 3 &&
		    (found[strcspn(found, "@")] = '\0', !strcmp(found, name)))
			return true;
		at += 17;
	}
	return false;
}

/* Runs nm on path; checks every sized text symbol; returns how many were checked. */
static size_t check_against_nm(struct elf_symbols *s, const char *path, const char *nm_flags)
{
	char cmd[1024], line[1024];
	size_t checked = 0, cap = 1 << 20, len = 0;
	char *all = malloc(cap);
	FILE *nm;

	snprintf(cmd, sizeof(cmd), "nm %s --defined-only -S '%s'", nm_flags, path);
	nm = popen(cmd, "r");
	assert_non_null(nm);
	assert_non_null(all);
	while (fgets(line, sizeof(line), nm)) {
		size_t n = strlen(line);

		if (len + n + 1 > cap) {
			cap *= 2;
			all = realloc(all, cap);
			assert_non_null(all);
		}
		memcpy(all + len, line, n + 1);
		len += n;
	}
	assert_int_equal(pclose(nm), 0);
	for (const char *at = all; *at; at = strchr(at, '\n') + 1) {
		uint64_t address, size, start;
		char type, name[512];
		const char *found;

		if (sscanf(at, "%" SCNx64 " %" SCNx64 " %c %511s", &address, &size, &type, name) ==
			    4 &&
		    (type == 'T' || type == 't' || type == 'W' || type == 'i') && size) {
			found = elf_symbols__lookup(s, address, &start);
			if (!found || start != address || !nm_has_alias(all, address, found))
				fail_msg("%s: nm has %s at %" PRIx64 ", lookup gave %s", path, name,
					 address, found ? found : "nothing");
			found = elf_symbols__lookup(s, address + size - 1, &start);
			assert_non_null(found);
			assert_true(start == address);
			checked++;
		}
		if (!strchr(at, '\n'))
			break;
	}
	free(all);
	return checked;
}

static void self_path(char *out, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", out, len - 1);

	assert_true(n > 0);
	out[n] = '\0';
}

static void test_symtab_against_nm(void **state)
{
	char path[4096];
	struct elf_symbols *s;

	self_path(path, sizeof(path));
	s = read_file(path);
	assert_string_equal(elf_symbols__table(s), ".symtab");
	assert_true(check_against_nm(s, path, "") > 20);
	elf_symbols__free(s);
}

/* The C library this process maps: Debian ships it without .symtab. */
static void libc_path(char *out, size_t len)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[1024];
	struct proc_mapping m;

	out[0] = '\0';
	while (maps && fgets(line, sizeof(line), maps))
		if (!proc_maps_parse_line(line, &m) && strstr(m.path, "/libc.so"))
			snprintf(out, len, "%s", m.path);
	if (maps)
		fclose(maps);
	assert_true(out[0]);
}

static void test_dynsym_against_nm(void **state)
{
	char path[PROC_MAPS_PATH_LEN];
	struct elf_symbols *s;

	libc_path(path, sizeof(path));
	s = read_file(path);
	if (!strcmp(elf_symbols__table(s), ".dynsym"))
		assert_true(check_against_nm(s, path, "-D") > 500);
	else
		assert_true(check_against_nm(s, path, "") > 500);
	elf_symbols__free(s);
}

static void test_build_id_matches_readelf(void **state)
{
	char path[4096], cmd[4200], line[256], want[200] = "";
	struct elf_symbols *s;
	FILE *readelf;

	self_path(path, sizeof(path));
	snprintf(cmd, sizeof(cmd), "readelf -n '%s'", path);
	readelf = popen(cmd, "r");
	assert_non_null(readelf);
	while (fgets(line, sizeof(line), readelf))
		if (sscanf(line, " Build ID: %199s", want) == 1)
			break;
	pclose(readelf);
	s = read_file(path);
	/* the test is linked with gcc's default --build-id */
	assert_true(want[0]);
	assert_string_equal(elf_symbols__build_id(s), want);
	elf_symbols__free(s);
}

/* A running PIE's own address, symbolized the way `memsight profile` does it. */
static const char *symbolize_live(uint64_t address, struct elf_symbols **out)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[1024];
	struct proc_mapping m;
	uint64_t vaddr;
	const char *name = NULL;

	assert_non_null(maps);
	while (fgets(line, sizeof(line), maps)) {
		if (proc_maps_parse_line(line, &m) || address < m.start || address >= m.end)
			continue;
		*out = read_file(m.path);
		assert_true(elf_symbols__vaddr(*out, address - m.start + m.offset, &vaddr));
		name = elf_symbols__lookup(*out, vaddr, NULL);
		break;
	}
	fclose(maps);
	return name;
}

static void test_live_pie_and_library(void **state)
{
	uint64_t marker = (uint64_t)(uintptr_t)&profile_marker_function;
	struct elf_symbols *s = NULL;
	const char *name;

	name = symbolize_live(marker + 2, &s);
	assert_non_null(name);
	assert_string_equal(name, "profile_marker_function");
	elf_symbols__free(s);
	s = NULL;
	/* a shared library's load bias too: getpid's own code in libc */
	name = symbolize_live((uint64_t)(uintptr_t)&getpid, &s);
	assert_non_null(name);
	assert_true(strstr(name, "getpid") != NULL);
	elf_symbols__free(s);
	assert_int_equal(profile_marker_function(1), 4);
}

static void test_maps_lines(void **state)
{
	struct proc_mapping m;

	assert_int_equal(proc_maps_parse_line("55d0c0a00000-55d0c0a05000 r-xp 00002000 08:01 1234 "
					      "/opt/my app/bin (deleted)\n",
					      &m),
			 0);
	assert_true(m.start == 0x55d0c0a00000 && m.end == 0x55d0c0a05000 && m.offset == 0x2000);
	assert_true(m.exec && m.deleted && m.inode == 1234);
	assert_string_equal(m.path, "/opt/my app/bin");
	assert_int_equal(proc_maps_parse_line("7ffd1000-7ffd3000 r-xp 00000000 00:00 0  "
					      "                [vdso]\n",
					      &m),
			 0);
	assert_string_equal(m.path, "[vdso]");
	assert_int_equal(proc_maps_parse_line("7f00-7f10 rw-p 00000000 00:00 0\n", &m), 0);
	assert_false(m.exec);
	assert_string_equal(m.path, "");
	assert_int_equal(proc_maps_parse_line("garbage\n", &m), -EINVAL);
	assert_false(m.path_cut);
}

/* A name longer than the path field: cut and said so, never taken for another file. */
static void test_maps_long_path(void **state)
{
	char line[PROC_MAPS_PATH_LEN + 256];
	struct proc_mapping m;
	int n;

	n = snprintf(line, sizeof(line), "7f00-7f10 r-xp 00000000 08:01 42 /");
	memset(line + n, 'a', PROC_MAPS_PATH_LEN + 100);
	snprintf(line + n + PROC_MAPS_PATH_LEN + 100,
		 sizeof(line) - (size_t)n - PROC_MAPS_PATH_LEN - 100, "\n");
	assert_int_equal(proc_maps_parse_line(line, &m), 0);
	assert_true(m.path_cut && m.exec && m.inode == 42);
	assert_int_equal(strlen(m.path), PROC_MAPS_PATH_LEN - 1);
	/* exactly what fits is not cut */
	n = snprintf(line, sizeof(line), "7f00-7f10 r-xp 00000000 08:01 42 /");
	memset(line + n, 'a', PROC_MAPS_PATH_LEN - 2);
	snprintf(line + n + PROC_MAPS_PATH_LEN - 2, 2, "\n");
	assert_int_equal(proc_maps_parse_line(line, &m), 0);
	assert_false(m.path_cut);
	assert_int_equal(strlen(m.path), PROC_MAPS_PATH_LEN - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symtab_against_nm),
		cmocka_unit_test(test_dynsym_against_nm),
		cmocka_unit_test(test_build_id_matches_readelf),
		cmocka_unit_test(test_live_pie_and_library),
		cmocka_unit_test(test_maps_lines),
		cmocka_unit_test(test_maps_long_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
