// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_symbols.h"

#define SEGMENTS_MAX 32

struct elf_symbol {
	uint64_t start;
	uint64_t size;
	const char *name; /* in names */
	bool global;
};

struct elf_segment {
	uint64_t offset, vaddr, filesz;
};

struct elf_symbols {
	struct elf_symbol *symbols;
	size_t count;
	char *names;
	struct elf_segment segments[SEGMENTS_MAX];
	unsigned int segment_count;
	char build_id[2 * 64 + 1];
	const char *table;
};

static int by_address(const void *a, const void *b)
{
	const struct elf_symbol *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->global != y->global)
		return x->global ? -1 : 1;
	return strcmp(x->name, y->name);
}

static bool is_function(const GElf_Sym *sym)
{
	int type = GELF_ST_TYPE(sym->st_info);

	return (type == STT_FUNC || type == STT_GNU_IFUNC) && sym->st_shndx != SHN_UNDEF &&
	       sym->st_value != 0;
}

/* The section of `type` (SHT_SYMTAB or SHT_DYNSYM) and its data, or NULL. */
static Elf_Scn *find_table(Elf *elf, Elf64_Word type, GElf_Shdr *shdr)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, shdr) && shdr->sh_type == type && shdr->sh_entsize)
			return scn;
	return NULL;
}

/*
 * Copies the function symbols of one table; the names go into one block.
 * Sized by what the data holds, not by the header's sh_size / sh_entsize: a
 * file can claim any entry size (a process's own files are hostile input).
 */
static int read_table(struct elf_symbols *s, Elf *elf, Elf_Scn *scn, const GElf_Shdr *shdr)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t entry = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT), total, functions = 0;
	size_t names_len = 0, used = 0;
	GElf_Sym sym;

	if (!data || !entry)
		return -EINVAL;
	total = data->d_size / entry;
	if (total > INT_MAX)
		return -EFBIG; /* gelf_getsym takes an int */
	for (size_t i = 0; i < total; i++) {
		const char *name;

		if (gelf_getsym(data, (int)i, &sym) && is_function(&sym) &&
		    (name = elf_strptr(elf, shdr->sh_link, sym.st_name)) && *name) {
			names_len += strlen(name) + 1;
			functions++;
		}
	}
	s->symbols = calloc(functions ? functions : 1, sizeof(*s->symbols));
	s->names = malloc(names_len ? names_len : 1);
	if (!s->symbols || !s->names)
		return -ENOMEM;
	for (size_t i = 0; i < total && s->count < functions; i++) {
		const char *name;
		size_t len;

		if (!gelf_getsym(data, (int)i, &sym) || !is_function(&sym) ||
		    !(name = elf_strptr(elf, shdr->sh_link, sym.st_name)) || !*name)
			continue;
		len = strlen(name) + 1;
		if (used + len > names_len)
			break; /* the table changed under us: keep what fits */
		memcpy(s->names + used, name, len);
		s->symbols[s->count++] = (struct elf_symbol){
			.start = sym.st_value,
			.size = sym.st_size,
			.name = s->names + used,
			.global = GELF_ST_BIND(sym.st_info) != STB_LOCAL,
		};
		used += len;
	}
	qsort(s->symbols, s->count, sizeof(*s->symbols), by_address);
	return 0;
}

static void read_build_id(struct elf_symbols *s, Elf *elf)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Nhdr note;
		size_t offset = 0, name_at, desc_at;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		while (data && (offset = gelf_getnote(data, offset, &note, &name_at, &desc_at))) {
			if (note.n_type != NT_GNU_BUILD_ID || note.n_namesz != 4 ||
			    memcmp((char *)data->d_buf + name_at, "GNU", 4) || note.n_descsz > 64)
				continue;
			for (size_t i = 0; i < note.n_descsz; i++)
				snprintf(s->build_id + 2 * i, 3, "%02x",
					 ((unsigned char *)data->d_buf)[desc_at + i]);
			return;
		}
	}
}

static void read_segments(struct elf_symbols *s, Elf *elf)
{
	size_t count = 0;
	GElf_Phdr phdr;

	if (elf_getphdrnum(elf, &count))
		return;
	for (size_t i = 0; i < count && s->segment_count < SEGMENTS_MAX; i++)
		if (gelf_getphdr(elf, (int)i, &phdr) && phdr.p_type == PT_LOAD)
			s->segments[s->segment_count++] = (struct elf_segment){
				.offset = phdr.p_offset,
				.vaddr = phdr.p_vaddr,
				.filesz = phdr.p_filesz,
			};
}

static int read_elf(struct elf_symbols *s, Elf *elf, char *err, size_t err_len)
{
	GElf_Shdr shdr;
	Elf_Scn *scn;
	int ret;

	if (elf_kind(elf) != ELF_K_ELF) {
		snprintf(err, err_len, "not an ELF file");
		return -EINVAL;
	}
	read_segments(s, elf);
	read_build_id(s, elf);
	/* .symtab has the local functions too; stripped files keep .dynsym only */
	s->table = ".symtab";
	scn = find_table(elf, SHT_SYMTAB, &shdr);
	if (!scn) {
		s->table = ".dynsym";
		scn = find_table(elf, SHT_DYNSYM, &shdr);
	}
	if (!scn) {
		s->table = "none";
		return 0;
	}
	ret = read_table(s, elf, scn, &shdr);
	if (ret)
		snprintf(err, err_len, "can't read its %s: %s", s->table,
			 ret == -EINVAL ? elf_errmsg(-1) : strerror(-ret));
	return ret;
}

int elf_symbols__read(int fd, struct elf_symbols **out, char *err, size_t err_len)
{
	struct elf_symbols *s;
	Elf *elf;
	int ret;

	*out = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		snprintf(err, err_len, "libelf: %s", elf_errmsg(-1));
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	/*
	 * Read, not mapped: the file belongs to the profiled process, which can
	 * truncate it while libelf looks, and a mapping then raises SIGBUS here.
	 * libelf reads only the headers and the sections asked for.
	 */
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		snprintf(err, err_len, "not readable as ELF: %s", elf_errmsg(-1));
		free(s);
		return -EINVAL;
	}
	ret = read_elf(s, elf, err, err_len);
	elf_end(elf);
	if (ret) {
		elf_symbols__free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void elf_symbols__free(struct elf_symbols *s)
{
	if (!s)
		return;
	free(s->symbols);
	free(s->names);
	free(s);
}

bool elf_symbols__vaddr(const struct elf_symbols *s, uint64_t file_offset, uint64_t *vaddr)
{
	for (unsigned int i = 0; i < s->segment_count; i++) {
		const struct elf_segment *seg = &s->segments[i];

		if (file_offset >= seg->offset && file_offset - seg->offset < seg->filesz) {
			*vaddr = file_offset - seg->offset + seg->vaddr;
			return true;
		}
	}
	return false;
}

const char *elf_symbols__lookup(const struct elf_symbols *s, uint64_t vaddr, uint64_t *start)
{
	size_t lo = 0, hi = s->count;
	const struct elf_symbol *sym;

	/* the last symbol starting at or below vaddr, then the first of its aliases */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->symbols[mid].start <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	sym = &s->symbols[lo - 1];
	while (sym > s->symbols && sym[-1].start == sym->start)
		sym--;
	/* size 0 (hand-written assembly): taken to run up to the next symbol */
	if (sym->size && vaddr - sym->start >= sym->size) {
		const struct elf_symbol *alias = sym;

		/* an alias with a larger size may still cover it */
		for (; alias < s->symbols + s->count && alias->start == sym->start; alias++)
			if (vaddr - alias->start < alias->size)
				break;
		if (alias == s->symbols + s->count || alias->start != sym->start)
			return NULL;
		sym = alias;
	}
	if (start)
		*start = sym->start;
	return sym->name;
}

const char *elf_symbols__build_id(const struct elf_symbols *s)
{
	return s->build_id;
}

size_t elf_symbols__count(const struct elf_symbols *s)
{
	return s->count;
}

const char *elf_symbols__table(const struct elf_symbols *s)
{
	return s->table;
}
