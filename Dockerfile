# memsight's container image, the one the Helm chart's DaemonSet runs.
#
#   docker build -t memsight .
#   docker build --build-arg MEMSIGHT_VERSION=0.1.0+g$(git rev-parse --short HEAD) \
#                --build-arg MEMSIGHT_REVISION=$(git rev-parse HEAD) -t memsight .
#
# Two stages on the same Debian release: the build stage compiles the BPF programs and
# the agent with Debian's clang, bpftool and libbpf; the runtime stage holds the binary
# and the Debian packages of the shared libraries it loads (found with ldd in the build
# stage, so a library added to the Makefile reaches the image by itself; libcurl, which
# `recommend` loads with dlopen, is named here).
#
# BASE_IMAGE: any Debian bookworm image; both stages use it, so the libraries at run
# time are the ones the binary was built with. The default is the slim one (the image
# is 76 MB on it, 114 MB on debian:bookworm). Works with the classic builder and
# BuildKit; no registry is needed beyond the one that serves BASE_IMAGE.
#
# Run it as the DaemonSet does (no --privileged, no host PID namespace; Docker Engine 23+,
# older engines don't know CAP_BPF and CAP_PERFMON):
#   docker run --cap-drop ALL --cap-add BPF --cap-add PERFMON --read-only \
#     --security-opt no-new-privileges \
#     -v /sys/fs/cgroup:/sys/fs/cgroup:ro -v /sys/kernel/btf:/sys/kernel/btf:ro \
#     -v /sys/kernel/tracing:/sys/kernel/tracing:ro \
#     -v /var/lib/docker/containers:/host/var/lib/docker/containers:ro \
#     memsight run --listen 0.0.0.0:9464 --host-root /host
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE} AS build
ARG DEBIAN_FRONTEND=noninteractive
# libncurses-dev and libcurl4-openssl-dev: `top` and `recommend`'s Prometheus client
# (`run`'s HTTP server is memsight's own).
RUN apt-get update \
	&& apt-get install -y --no-install-recommends \
		clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libjson-c-dev \
		libncurses-dev libcurl4-openssl-dev pkg-config make gcc libc6-dev \
	&& rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The context has no .git: the version comes in as an argument, else the Makefile's
# default (without the commit). No -j: from a clean tree a parallel make can compile
# a source that prints the version before build/version.h exists.
ARG MEMSIGHT_VERSION=
RUN make ${MEMSIGHT_VERSION:+VERSION="$MEMSIGHT_VERSION"} \
	&& mkdir -p /out \
	&& install -m 0755 build/memsight /out/memsight \
	&& strip --strip-debug /out/memsight \
	&& dlopened=$(for soname in libcurl.so.4; do \
		ldconfig -p | awk -v s="$soname" '$1 == s { print $NF; exit }'; done) \
	&& for lib in $(ldd build/memsight | awk '$3 ~ /^\// { print $3 }') $dlopened; do \
		for path in "$lib" "$(readlink -f "$lib")" "/usr$lib"; do \
			pkg=$(dpkg-query -S "$path" 2>/dev/null) && break; \
		done; \
		[ -n "$pkg" ] || { echo "no Debian package holds $lib" >&2; exit 1; }; \
		echo "${pkg%%:*}"; \
	done >/out/packages \
	&& sort -u /out/packages >/out/runtime-packages \
	&& echo "runtime packages: $(tr '\n' ' ' </out/runtime-packages)"

FROM ${BASE_IMAGE}
ARG DEBIAN_FRONTEND=noninteractive
COPY --from=build /out/runtime-packages /tmp/runtime-packages
RUN apt-get update \
	&& apt-get install -y --no-install-recommends $(cat /tmp/runtime-packages) \
	&& apt-get clean \
	&& rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log /var/cache/debconf/*-old \
		/tmp/runtime-packages
COPY --from=build /out/memsight /usr/local/bin/memsight
# Fails the build when a library the binary needs is missing here (libcurl is loaded
# when first needed, by recommend, which says so when it can't).
RUN ["/usr/local/bin/memsight", "version"]
RUN /usr/local/bin/memsight recommend --prometheus http://127.0.0.1:1 2>&1 | grep -q "can't reach"

ARG BASE_IMAGE
ARG MEMSIGHT_VERSION=
ARG MEMSIGHT_REVISION=
LABEL org.opencontainers.image.title="memsight" \
	org.opencontainers.image.description="eBPF node memory observer: OOM kills, page faults, memcg charges and reclaim per container, as JSON lines and Prometheus metrics" \
	org.opencontainers.image.licenses="LGPL-2.1 OR BSD-2-Clause" \
	org.opencontainers.image.version="${MEMSIGHT_VERSION}" \
	org.opencontainers.image.revision="${MEMSIGHT_REVISION}" \
	org.opencontainers.image.base.name="${BASE_IMAGE}"

# memsight needs no writable path: the image runs with a read-only root file system.
EXPOSE 9464
ENTRYPOINT ["/usr/local/bin/memsight"]
CMD ["run", "--listen", "0.0.0.0:9464"]
