// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confined_file.h"
#include "elf_symbols.h"
#include "id_table.h"
#include "kernel_symbols.h"
#include "strbuf.h"
#include "symbolizer.h"

/* One file, read once, shared by every process that maps it (same device and inode). */
struct elf_file {
	uint64_t dev, ino;
	struct elf_symbols *symbols;
};

struct sym_mapping {
	struct proc_mapping map;
	struct elf_file *file; /* NULL: not read (yet, or it could not be) */
	bool tried;
};

struct process {
	uint32_t pid;
	int root_fd;
	char comm[17];
	struct sym_mapping *maps;
	size_t map_count;
};

struct symbolizer {
	struct process *procs;
	size_t proc_count, proc_cap;
	struct id_table *by_pid; /* pid -> index in procs: looked up for every frame */
	struct elf_file **files;
	size_t file_count;
	struct kernel_symbols *kernel;
	bool kernel_tried;
	struct strbuf problems;
};

struct symbolizer *symbolizer__new(void)
{
	struct symbolizer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	strbuf_init(&s->problems);
	s->by_pid = id_table__new(sizeof(size_t));
	if (!s->by_pid) {
		free(s);
		return NULL;
	}
	return s;
}

void symbolizer__free(struct symbolizer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->proc_count; i++) {
		if (s->procs[i].root_fd >= 0)
			close(s->procs[i].root_fd);
		free(s->procs[i].maps);
	}
	free(s->procs);
	id_table__free(s->by_pid);
	for (size_t i = 0; i < s->file_count; i++) {
		elf_symbols__free(s->files[i]->symbols);
		free(s->files[i]);
	}
	free(s->files);
	kernel_symbols__free(s->kernel);
	strbuf_free(&s->problems);
	free(s);
}

static struct process *find_process(struct symbolizer *s, uint32_t pid)
{
	const size_t *at = id_table__find(s->by_pid, pid);

	return at ? &s->procs[*at] : NULL;
}

/* The executable file mappings of /proc/PID/maps. */
static int read_maps(struct process *p, char *err, size_t err_len)
{
	char path[64], *line = NULL;
	struct proc_mapping m;
	size_t cap = 0, line_cap = 0;
	int ret = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/maps", p->pid);
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		snprintf(err, err_len, "can't read %s: %s", path, strerror(-ret));
		return ret;
	}
	/* whole lines, however long the process made its paths (see proc_maps_parse_line) */
	while (getline(&line, &line_cap, f) > 0) {
		if (proc_maps_parse_line(line, &m) || !m.exec)
			continue;
		if (p->map_count == cap) {
			struct sym_mapping *grown;

			cap = cap ? cap * 2 : 32;
			grown = realloc(p->maps, cap * sizeof(*grown));
			if (!grown) {
				snprintf(err, err_len, "out of memory reading %s", path);
				ret = -ENOMEM;
				break;
			}
			p->maps = grown;
		}
		p->maps[p->map_count++] = (struct sym_mapping){ .map = m };
	}
	free(line);
	fclose(f);
	return ret;
}

static bool overlaps(const struct proc_mapping *m, const struct sym_mapping *maps, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (m->start < maps[i].map.end && maps[i].map.start < m->end)
			return true;
	return false;
}

int symbolizer__reread_maps(struct symbolizer *s, uint32_t pid)
{
	struct process *p = find_process(s, pid), fresh = { .pid = pid };
	struct sym_mapping *all;
	char why[256];
	int ret;

	if (!p)
		return -ENOENT;
	ret = read_maps(&fresh, why, sizeof(why));
	all = ret ? NULL : realloc(fresh.maps, (fresh.map_count + p->map_count) * sizeof(*all));
	if (!all) {
		free(fresh.maps);
		return ret ? ret : -ENOMEM; /* the first read stands */
	}
	/* the first read's mappings that the new one does not cover: the image before exec */
	for (size_t i = 0; i < p->map_count; i++)
		if (!overlaps(&p->maps[i].map, all, fresh.map_count))
			all[fresh.map_count++] = p->maps[i];
	free(p->maps);
	p->maps = all;
	p->map_count = fresh.map_count;
	return 0;
}

static void read_comm(struct process *p)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/comm", p->pid);
	f = fopen(path, "re");
	if (f && fgets(p->comm, sizeof(p->comm), f))
		p->comm[strcspn(p->comm, "\n")] = '\0';
	if (f)
		fclose(f);
}

int symbolizer__add_process(struct symbolizer *s, uint32_t pid, const char *comm, char *err,
			    size_t err_len)
{
	struct process *p;
	char root[64];
	size_t *at;
	int ret;

	if (find_process(s, pid))
		return 0;
	if (s->proc_count == s->proc_cap) {
		size_t cap = s->proc_cap ? s->proc_cap * 2 : 16;
		struct process *grown = realloc(s->procs, cap * sizeof(*grown));

		if (!grown) {
			snprintf(err, err_len, "out of memory");
			return -ENOMEM;
		}
		s->procs = grown;
		s->proc_cap = cap;
	}
	at = id_table__get(s->by_pid, pid);
	if (!at) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	*at = s->proc_count;
	p = &s->procs[s->proc_count++];
	*p = (struct process){ .pid = pid, .root_fd = -1 };
	snprintf(p->comm, sizeof(p->comm), "%s", comm ? comm : "");
	ret = read_maps(p, err, err_len);
	if (ret) {
		free(p->maps);
		p->maps = NULL;
		p->map_count = 0;
		return ret;
	}
	read_comm(p);
	/* Held from now on: the process's files stay reachable when it has exited. */
	snprintf(root, sizeof(root), "/proc/%" PRIu32 "/root", pid);
	p->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return 0;
}

const char *symbolizer__comm(struct symbolizer *s, uint32_t pid)
{
	struct process *p = find_process(s, pid);

	return p ? p->comm : "";
}

/* The path is the process's to choose, and the summary prints it to a terminal. */
static void note_problem(struct symbolizer *s, const char *path, const char *why)
{
	char line[PROC_MAPS_PATH_LEN + 160], shown[PROC_MAPS_PATH_LEN];

	printable_copy(shown, sizeof(shown), path, PRINTABLE_UTF8);
	snprintf(line, sizeof(line), "%s: %s\n", shown, why);
	if (!strstr(s->problems.buf ? s->problems.buf : "", line) && s->problems.len < 8192)
		strbuf_puts(&s->problems, line);
}

/*
 * A deleted file, or one whose name was cut, is still reachable through
 * map_files while the process lives.
 */
static int open_mapped_file(const struct process *p, const struct proc_mapping *m)
{
	char path[96];
	int fd;

	if (m->deleted || m->path_cut || p->root_fd < 0) {
		snprintf(path, sizeof(path), "/proc/%" PRIu32 "/map_files/%" PRIx64 "-%" PRIx64,
			 p->pid, m->start, m->end);
		fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	/*
	 * The name was read from maps at the first sample and is opened at the
	 * end: by then the process may have put a FIFO there, whose open would
	 * wait for a writer for ever. cached_file turns away what is not regular.
	 */
	return confined_open(p->root_fd, m->path, O_RDONLY | O_NONBLOCK | O_NOCTTY, CONFINED_AUTO);
}

static struct elf_file *cached_file(struct symbolizer *s, int fd, char *err, size_t err_len)
{
	struct elf_file *file, **grown;
	struct stat st;

	if (fstat(fd, &st)) {
		snprintf(err, err_len, "%s", strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		/* a mapped device, or a name that now leads to a directory */
		snprintf(err, err_len, "not a regular file");
		return NULL;
	}
	for (size_t i = 0; i < s->file_count; i++)
		if (s->files[i]->dev == st.st_dev && s->files[i]->ino == st.st_ino)
			return s->files[i];
	file = calloc(1, sizeof(*file));
	grown = realloc(s->files, (s->file_count + 1) * sizeof(*grown));
	if (grown)
		s->files = grown;
	if (!file || !grown || elf_symbols__read(fd, &file->symbols, err, err_len)) {
		if (!file || !grown)
			snprintf(err, err_len, "out of memory");
		free(file);
		return NULL;
	}
	file->dev = st.st_dev;
	file->ino = st.st_ino;
	s->files[s->file_count++] = file;
	return file;
}

static struct elf_file *mapping_file(struct symbolizer *s, struct process *p,
				     struct sym_mapping *sm)
{
	char why[256] = "";
	int fd;

	if (sm->tried)
		return sm->file;
	sm->tried = true;
	if (!sm->map.inode || sm->map.path[0] != '/')
		return NULL; /* [vdso], [vsyscall], anonymous JIT code */
	fd = open_mapped_file(p, &sm->map);
	if (fd < 0) {
		snprintf(why, sizeof(why), "can't open it from pid %" PRIu32 "'s root: %s", p->pid,
			 strerror(-fd));
		note_problem(s, sm->map.path, why);
		return NULL;
	}
	sm->file = cached_file(s, fd, why, sizeof(why));
	close(fd);
	if (!sm->file)
		note_problem(s, sm->map.path, why);
	return sm->file;
}

static struct sym_mapping *find_mapping(struct process *p, uint64_t address)
{
	for (size_t i = 0; p && i < p->map_count; i++)
		if (address >= p->maps[i].map.start && address < p->maps[i].map.end)
			return &p->maps[i];
	return NULL;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

void symbolizer__user_frame(struct symbolizer *s, uint32_t pid, uint64_t address, bool leaf,
			    struct symbolized_frame *out)
{
	struct process *p = find_process(s, pid);
	uint64_t lookup = leaf || !address ? address : address - 1, file_offset, vaddr;
	struct sym_mapping *sm = find_mapping(p, lookup);
	struct elf_file *file;
	const char *name;

	memset(out, 0, sizeof(*out));
	out->build_id = "";
	if (!sm) {
		snprintf(out->name, sizeof(out->name), "[unknown]+0x%" PRIx64, address);
		return;
	}
	out->mapping = &sm->map;
	file_offset = lookup - sm->map.start + sm->map.offset;
	file = mapping_file(s, p, sm);
	if (!file || !elf_symbols__vaddr(file->symbols, file_offset, &vaddr)) {
		/* what `addr2line -e FILE` wants is the vaddr; without headers, the file offset */
		snprintf(out->name, sizeof(out->name), "%.480s+0x%" PRIx64, base_name(sm->map.path),
			 file_offset);
		return;
	}
	out->build_id = elf_symbols__build_id(file->symbols);
	name = elf_symbols__lookup(file->symbols, vaddr, NULL);
	out->resolved = name != NULL;
	if (name)
		snprintf(out->name, sizeof(out->name), "%s", name);
	else
		snprintf(out->name, sizeof(out->name), "%.480s+0x%" PRIx64, base_name(sm->map.path),
			 vaddr);
}

void symbolizer__kernel_frame(struct symbolizer *s, uint64_t address, struct symbolized_frame *out)
{
	const char *name;

	memset(out, 0, sizeof(*out));
	out->build_id = "";
	if (!s->kernel_tried) {
		s->kernel_tried = true;
		s->kernel = kernel_symbols__read();
		if (!kernel_symbols__count(s->kernel))
			note_problem(s, "/proc/kallsyms",
				     "no kernel symbols (unreadable, or kptr_restrict hides them)");
	}
	name = kernel_symbols__lookup(s->kernel, address);
	out->resolved = name != NULL;
	if (name)
		snprintf(out->name, sizeof(out->name), "%s_[k]", name);
	else
		snprintf(out->name, sizeof(out->name), "[kernel]+0x%" PRIx64, address);
}

const char *symbolizer__problems(struct symbolizer *s)
{
	return s->problems.buf ? s->problems.buf : "";
}
