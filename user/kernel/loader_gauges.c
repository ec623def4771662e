// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The gauges iterator (bpf/gauges.bpf.c): attached to a cgroup of the memory
 * hierarchy, run once per read, its records read where it leaves them.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "loader_internal.h"
#include "memsight.skel.h"

/*
 * The gauges iterator walks the memory hierarchy from memcg_root, the
 * hierarchy's mount or a cgroup under it (the agent's --cgroup directory): on
 * cgroup v1 the memory controller's own hierarchy, on v2 the unified one. Its
 * records are read where the program leaves them, in the memcg_gauges array,
 * mapped read-only here once.
 */
int loader_attach_gauges(struct loader *loader, struct memsight_bpf *skel, const char *memcg_root)
{
	union bpf_iter_link_info info = { .cgroup.order = BPF_CGROUP_ITER_DESCENDANTS_PRE };
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info, .link_info_len = sizeof(info));
	struct bpf_map *map = skel->maps.memcg_gauges;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *mapped;
	int fd, ret;

	if (!bpf_program__autoload(skel->progs.memcg_gauges_walk))
		return 0;
	fd = open(memcg_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	info.cgroup.cgroup_fd = (__u32)fd;
	loader->gauges_link = bpf_program__attach_iter(skel->progs.memcg_gauges_walk, &opts);
	ret = loader->gauges_link ? 0 : -errno;
	close(fd); /* the link holds the cgroup */
	if (ret)
		return ret;
	loader->gauges_max = bpf_map__max_entries(map);
	loader->gauges_map_len =
		((size_t)loader->gauges_max * sizeof(*loader->gauges) + page - 1) / page * page;
	mapped = mmap(NULL, loader->gauges_map_len, PROT_READ, MAP_SHARED, bpf_map__fd(map), 0);
	if (mapped == MAP_FAILED) {
		ret = -errno;
		bpf_link__destroy(loader->gauges_link);
		loader->gauges_link = NULL;
		return ret;
	}
	loader->gauges = mapped;
	return 0;
}

void loader_detach_gauges(struct loader *loader)
{
	if (loader->gauges)
		munmap((void *)loader->gauges, loader->gauges_map_len);
	loader->gauges = NULL;
	bpf_link__destroy(loader->gauges_link);
	loader->gauges_link = NULL;
}

int loader__memcg_gauges(struct loader *loader, const struct memsight_memcg_gauges **out,
			 unsigned int *missed)
{
	char sink[64];
	ssize_t n;
	int fd, ret;

	*out = NULL;
	*missed = 0;
	if (!loader->gauges_link)
		return -EOPNOTSUPP;
	/* .bss is memory-mapped: the program counts from here */
	loader->skel->bss->gauges_count = 0;
	loader->skel->bss->gauges_missed = 0;
	fd = bpf_iter_create(bpf_link__fd(loader->gauges_link));
	if (fd < 0)
		return -errno;
	/* the program writes nothing to the seq: the first read walks every memcg and ends */
	while ((n = read(fd, sink, sizeof(sink))) > 0)
		;
	ret = n < 0 ? -errno : 0; /* before close(), which may set errno */
	close(fd);
	if (ret)
		return ret;
	*out = loader->gauges;
	*missed = loader->skel->bss->gauges_missed;
	return (int)(loader->skel->bss->gauges_count < loader->gauges_max
			     ? loader->skel->bss->gauges_count
			     : loader->gauges_max);
}
