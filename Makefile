# memsight — build, test and run. `make help` lists the targets.
.DELETE_ON_ERROR:
.DEFAULT_GOAL := all

OUTPUT ?= build
CC ?= gcc
CLANG ?= clang
OBJCOPY ?= objcopy
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config
VERSION := 0.1.0$(shell git rev-parse --short HEAD 2>/dev/null | sed "s/^/+g/")

# Arch detected once: the vmlinux.h folder and the BPF target define.
ARCH ?= $(shell uname -m)
ifeq ($(ARCH),x86_64)
BPF_ARCH := x86
else ifeq ($(ARCH),aarch64)
BPF_ARCH := arm64
else
BPF_ARCH := $(ARCH)
endif
VMLINUX_H := vmlinux/$(ARCH)/vmlinux.h
TRIPLET := $(ARCH)-linux-gnu

# Cross build (the VM tests' arm64 guests): CROSS_SYSROOT holds the target's -dev
# packages unpacked; clang and lld do the rest.
#   make ARCH=aarch64 CROSS_SYSROOT=build/vm/sysroot-arm64 OUTPUT=build/aarch64
ifdef CROSS_SYSROOT
CC := clang --target=$(TRIPLET) --sysroot=$(abspath $(CROSS_SYSROOT))
LDFLAGS += -fuse-ld=lld
PKG_CONFIG := PKG_CONFIG_SYSROOT_DIR=$(abspath $(CROSS_SYSROOT)) \
	PKG_CONFIG_LIBDIR=$(abspath $(CROSS_SYSROOT))/usr/lib/$(TRIPLET)/pkgconfig:$(abspath $(CROSS_SYSROOT))/usr/share/pkgconfig \
	pkg-config
endif

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Debian bookworm packages the build and the tests need (see `make deps`).
DEPS_PACKAGES := clang bpftool libbpf-dev libelf-dev zlib1g-dev libjson-c-dev \
	libcmocka-dev pkg-config clang-format jq util-linux libcap2-bin libclang-rt-14-dev \
	docker.io runc podman busybox-static bpftrace lld qemu-system-x86 qemu-system-arm lz4 zstd xz-utils \
	binutils python3 debootstrap curl prometheus python3-prometheus-client \
	libncurses-dev tmux containerd syslog-ng-core libcurl4-openssl-dev golang-go linux-perf
# libcurl's headers only: `recommend` loads it with dlopen (user/util/dynlib.h).
LIBS_PKG := libbpf json-c ncursesw
DLOPEN_PKG := libcurl
LDLIBS := $(shell $(PKG_CONFIG) --libs $(LIBS_PKG) 2>/dev/null || echo -lbpf -ljson-c -lncursesw -ltinfo) -lelf -lz -lpthread -lm -ldl

WARNINGS := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2 \
	-Wmissing-prototypes -Wstrict-prototypes
CFLAGS ?= -O2 -g
# SANITIZE=1: AddressSanitizer and UBSan in everything built (make test runs the unit
# tests this way in $(OUTPUT)/asan).
ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
# user/ has a folder per layer; each is on the include path.
USER_DIRS := $(sort $(dir $(wildcard user/*/*.c)))
ALL_CFLAGS := $(CFLAGS) $(WARNINGS) -std=gnu11 -D_GNU_SOURCE -MMD -MP \
	-I$(OUTPUT) -Ibpf -Iuser $(addprefix -I,$(USER_DIRS)) \
	$(shell $(PKG_CONFIG) --cflags $(LIBS_PKG) $(DLOPEN_PKG) 2>/dev/null)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -Wall -Werror -MMD -MP \
	-I$(dir $(VMLINUX_H)) -Ibpf

# profile.bpf.c is an object and skeleton of its own (memsight profile only).
BPF_SRCS := $(filter-out bpf/profile.bpf.c,$(wildcard bpf/*.bpf.c))
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
# Pure modules: no libbpf, no syscalls beyond libc; the unit tests link them.
# user/ has one folder per layer (README, Architecture). The library is every folder
# but cli/, recommend/ and profile/ (the binary's own; libcurl stays out of libmemsight); pure
# modules (no libbpf, no syscalls beyond libc: the unit tests link them) are those whose
# header says "Pure." (or "Pure:").
APP_SRCS := $(sort $(wildcard user/*/*.c))
LIB_SRCS := $(filter-out user/cli/% user/recommend/% user/profile/%,$(APP_SRCS))
PURE_SRCS := $(filter $(APP_SRCS),$(patsubst %.h,%.c,$(shell grep -lE '(^|[ *])Pure[.:]' user/*/*.h)))
APP_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(APP_SRCS))
LIB_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(LIB_SRCS))
PREFIX ?= /usr/local
# integration tests also run against the ASan/UBSan build in `make test`
ASAN_TESTS ?= cli lifecycle top metrics library pin slowloris profile
PURE_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(PURE_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
HELPER_SRCS := $(wildcard tests/integration/*.c)
HELPER_BINS := $(patsubst tests/integration/%.c,$(OUTPUT)/tests/%,$(HELPER_SRCS)) \
	$(OUTPUT)/tests/hog-static $(OUTPUT)/tests/fault_ratio-static

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(OUTPUT)/fuzz/%,$(FUZZ_SRCS))
FUZZ_SECONDS ?= 10
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-D_GNU_SOURCE -Ibpf -Iuser $(addprefix -I,$(USER_DIRS)) $(shell $(PKG_CONFIG) --cflags json-c 2>/dev/null)


.PHONY: all deps run test unit integration check format vmlinux clean help fuzz bench vmtest \
	bench-faults bench-sinks chart-test image-test lib install

all: $(OUTPUT)/memsight

help:
	@echo 'make              build build/memsight'
	@echo 'make deps         install missing Debian packages (root)'
	@echo 'make run          deps + build + start memsight (root)'
	@echo 'make test         deps + build + every test below, fuzzing, and vmtest (root)'
	@echo 'make unit         unit tests only (no root)'
	@echo 'make lib          build/libmemsight.a'
	@echo 'make install      PREFIX=/usr/local: binary, library, headers, memsight.pc'
	@echo 'make integration  root: real BPF programs, memcgs, containers (TESTS="oom top")'
	@echo 'make chart-test   the Helm chart: lint, template, Kubernetes schemas (offline)'
	@echo 'make image-test   build the container image, run it as the DaemonSet does (root)'
	@echo 'make check        clang-format, size limits (tests/check-sizes.sh), warning-free build'
	@echo 'make vmtest       the integration tests on other kernels under qemu (KERNEL=name)'
	@echo 'make vmlinux      regenerate $(VMLINUX_H) from the running kernel'
	@echo 'make clean        remove $(OUTPUT)/'
	@echo 'V=1 shows full commands'

$(VMLINUX_H):
	@echo "memsight: no $(VMLINUX_H) for arch '$(ARCH)'; run 'make vmlinux' on such a machine" >&2
	@exit 1

$(OUTPUT) $(OUTPUT)/bpf $(OUTPUT)/user $(OUTPUT)/tests $(OUTPUT)/fuzz:
	$(Q)mkdir -p $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(VMLINUX_H) | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# One linked object, one skeleton: all programs share the ring buffer.
$(OUTPUT)/memsight.bpf.o: $(BPF_OBJS)
	$(call msg,LINK-BPF,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(OUTPUT)/memsight.skel.h: $(OUTPUT)/memsight.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name memsight_bpf > $@

$(OUTPUT)/profile.skel.h: $(OUTPUT)/bpf/profile.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name profile_bpf > $@

$(OUTPUT)/user/profile/profile_loader.o: $(OUTPUT)/profile.skel.h
$(OUTPUT)/user/kernel/loader.o $(OUTPUT)/user/kernel/loader_read.o $(OUTPUT)/user/kernel/loader_gauges.o $(OUTPUT)/user/cli/feature_report.o: \
	$(OUTPUT)/memsight.skel.h
# Every object may include it; ordered so a parallel build never races ahead of it.
$(APP_OBJS): | $(OUTPUT)/version.h
$(OUTPUT)/user/cli/main.o $(OUTPUT)/user/cli/feature_report.o $(OUTPUT)/user/cli/sink_metrics.o \
	$(OUTPUT)/user/cli/recommend.o: \
	$(OUTPUT)/version.h

# Rewritten only when the version changes, so a new commit rebuilds just what prints it.
$(OUTPUT)/version.h: FORCE | $(OUTPUT)
	$(Q)echo '#define MEMSIGHT_VERSION "$(VERSION)"' > $@.new; \
	cmp -s $@.new $@ && rm -f $@.new || mv $@.new $@

.PHONY: FORCE
FORCE:

$(OUTPUT)/user/%.o: user/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(OUTPUT)/memsight: $(APP_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# One relocatable object with only the API global, so a program that links the
# archive can't collide with memsight's internal names (log_error, strbuf_...).
$(OUTPUT)/libmemsight.o: $(LIB_OBJS) user/agent/libmemsight.syms
	$(call msg,LD-R,$@)
	$(Q)$(LD) -r -o $@.tmp $(LIB_OBJS)
	$(Q)$(OBJCOPY) --keep-global-symbols=user/agent/libmemsight.syms $@.tmp $@
	$(Q)rm -f $@.tmp

$(OUTPUT)/libmemsight.a: $(OUTPUT)/libmemsight.o
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $<

lib: $(OUTPUT)/libmemsight.a

# make install PREFIX=/opt/memsight (DESTDIR for staging): the binary, the library,
# its header, the raw record layout for pinned readers, and memsight.pc.
install: all lib
	$(Q)install -D -m 0755 $(OUTPUT)/memsight $(DESTDIR)$(PREFIX)/bin/memsight
	$(Q)install -D -m 0644 $(OUTPUT)/libmemsight.a $(DESTDIR)$(PREFIX)/lib/libmemsight.a
	$(Q)install -D -m 0644 user/include/memsight.h $(DESTDIR)$(PREFIX)/include/memsight.h
	$(Q)install -D -m 0644 bpf/memsight.h $(DESTDIR)$(PREFIX)/include/memsight/records.h
	$(Q)mkdir -p $(DESTDIR)$(PREFIX)/lib/pkgconfig
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' user/agent/memsight.pc.in \
		>$(DESTDIR)$(PREFIX)/lib/pkgconfig/memsight.pc
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))

# The cache reads runtime files; its test gives it a fixture folder.
$(OUTPUT)/tests/test_container_cache: $(OUTPUT)/user/attribution/container_cache.o \
	$(OUTPUT)/user/attribution/runtime_roots_detect.o $(OUTPUT)/user/attribution/confined_file.o
$(OUTPUT)/tests/test_aggregation: $(OUTPUT)/user/agent/proc_faults.o
$(OUTPUT)/tests/test_outlook: $(OUTPUT)/user/agent/proc_anon.o
# The loader's walk is a stub in the test.
$(OUTPUT)/tests/test_memcg_gauges: $(OUTPUT)/user/agent/memcg_gauges.o \
	$(OUTPUT)/user/util/clock.o $(OUTPUT)/user/util/log.o
# libelf on real files (the test's own executable and the C library), against nm.
$(OUTPUT)/tests/test_elf_symbols: $(OUTPUT)/user/profile/elf_symbols.o
# Not pure since it reads /proc/self/mountinfo too; its test feeds the parser fixtures.
$(OUTPUT)/tests/test_cgroup_mounts: $(OUTPUT)/user/attribution/cgroup_mounts.o
# The plan is made from a probe struct (load_plan.o is pure); the probe's BTF checks on
# hand-built BTF (libbpf).
$(OUTPUT)/tests/test_load_plan: $(OUTPUT)/user/kernel/btf_info.o
# The report from a plan and a loader filled by hand (no BPF object).
$(OUTPUT)/tests/test_loader_report: $(OUTPUT)/user/kernel/loader_report.o

$(OUTPUT)/tests/test_%: tests/unit/test_%.c $(PURE_OBJS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(filter %.c %.o,$^) -o $@ $(LDLIBS) -lcmocka

# Static, for container images that hold nothing else.
$(OUTPUT)/tests/hog-static: tests/integration/hog.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -static $< -o $@

# memsight profile's workload: its stacks are walked with frame pointers. clang,
# because gcc 12 leaves them out of leaf functions even with -fno-omit-frame-pointer
# (and -mno-omit-leaf-frame-pointer), which hides the leaf's caller. clang too
# leaves them out on arm64 unless told -mno-omit-leaf-frame-pointer.
PROFILED_CFLAGS := -O2 -g -Wall -Werror -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer
$(OUTPUT)/tests/fault_ratio: tests/integration/fault_ratio.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(if $(CROSS_SYSROOT),$(CC),$(CLANG)) $(PROFILED_CFLAGS) $(LDFLAGS) $< -o $@

# The same, static, for a container image that holds nothing else.
$(OUTPUT)/tests/fault_ratio-static: tests/integration/fault_ratio.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(if $(CROSS_SYSROOT),$(CC),$(CLANG)) $(PROFILED_CFLAGS) -static $(LDFLAGS) $< -o $@

$(OUTPUT)/tests/%: tests/integration/%.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< -o $@

# Reads the pinned ring buffer with plain libbpf, as another agent would.
$(OUTPUT)/tests/pin_reader: tests/integration/pin_reader.c bpf/memsight.h | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< -o $@ -lbpf -lelf -lz

# libFuzzer targets: the parsers and the JSON writer against arbitrary bytes, each for
# FUZZ_SECONDS, starting from the runtime fixtures and tests/fuzz/corpus/<target>/.
$(OUTPUT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(PURE_SRCS) | $(OUTPUT)/fuzz
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $^ -o $@ $(shell $(PKG_CONFIG) --libs json-c 2>/dev/null) -lz

fuzz: $(FUZZ_BINS)
	$(Q)for f in $(FUZZ_BINS); do \
		corpus=$(OUTPUT)/fuzz/corpus-$$(basename $$f); mkdir -p $$corpus; \
		cp tests/unit/fixtures/*.json tests/fuzz/corpus/$$(basename $$f)/* $$corpus/ 2>/dev/null; \
		echo "fuzz: $$(basename $$f) for $(FUZZ_SECONDS)s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=1 \
			-artifact_prefix=$(OUTPUT)/fuzz/ $$corpus \
			2>$$f.log || { tail -40 $$f.log; exit 1; }; \
		grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' $$f.log | tr '\n' ' '; echo; \
	done

$(OUTPUT)/bench/container_lookup: bench/container_lookup.c $(PURE_OBJS) $(OUTPUT)/user/attribution/container_cache.o \
	$(OUTPUT)/user/attribution/runtime_roots_detect.o $(OUTPUT)/user/attribution/confined_file.o
	$(Q)mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ -o $@ $(LDLIBS)

$(OUTPUT)/bench/%.bpf.o: bench/%.bpf.c $(VMLINUX_H)
	$(Q)mkdir -p $(dir $@)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/bench/empty_loader: bench/empty_loader.c
	$(Q)mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< -o $@ $(LDLIBS)

# BPF cost per fault against an empty program and bpftrace (root; see bench/RESULTS.md).
bench-faults: all $(OUTPUT)/tests/hog $(OUTPUT)/bench/empty.bpf.o $(OUTPUT)/bench/empty_loader
	$(Q)bench/faults.sh $(ROUNDS)

# The library's consumer test program, linked against the archive as an outside program
# would (only the installed <memsight.h>, not bpf/memsight.h): bench/sinks.sh counts its
# callbacks.
$(OUTPUT)/bench/consumer: tests/library/consumer.c user/include/memsight.h $(OUTPUT)/libmemsight.a
	$(Q)mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) -Iuser/include $(LDFLAGS) $< $(OUTPUT)/libmemsight.a -o $@ $(LDLIBS)

# Highest event rate each sink sustains with no loss (root; see bench/RESULTS.md).
bench-sinks: all $(OUTPUT)/tests/hog $(OUTPUT)/tests/churn $(OUTPUT)/bench/consumer
	$(Q)bench/sinks.sh

# Userspace micro-benchmarks (BPF ones are scripts in bench/).
bench: $(OUTPUT)/bench/container_lookup
	$(Q)$(OUTPUT)/bench/container_lookup tests/unit/fixtures/containerd-cri-container.config.json 1000

# The integration suite on other kernels, cgroup v2 and arm64 under qemu:
#   make vmtest                 every kernel in tests/vm/kernels.list
#   make vmtest KERNEL=bookworm-arm64
vmtest:
	$(Q)tests/vm/run.sh $(KERNEL)

deps:
	$(Q)tests/deps.sh $(DEPS_PACKAGES)
	$(Q)command -v npm >/dev/null || tests/deps.sh nodejs npm # the chart tests' helm and schemas

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(OUTPUT)/memsight $(ARGS)

unit: $(UNIT_BINS)
	$(Q)tests/run-unit.sh $(UNIT_BINS)

integration: $(OUTPUT)/memsight $(HELPER_BINS)
	$(Q)tests/integration/run.sh

# The Helm chart, offline: helm lint/template and Kubernetes schemas (helm from npm).
chart-test:
	$(Q)tests/chart/run.sh

# The container image built with the local docker engine and run as the DaemonSet runs it.
image-test: $(HELPER_BINS)
	$(Q)tests/image/run.sh

test: deps
	$(Q)$(MAKE) --no-print-directory all unit integration chart-test image-test
	$(Q)$(MAKE) --no-print-directory OUTPUT=$(OUTPUT)/asan SANITIZE=1 unit all
	@echo "integration under ASan/UBSan: the front ends and the agent's lifecycle"
	$(Q)MEMSIGHT=$(abspath $(OUTPUT)/asan/memsight) TESTS="$(ASAN_TESTS)" tests/integration/run.sh
	$(Q)$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)
	$(Q)$(MAKE) --no-print-directory vmtest

CLANG_FORMAT ?= clang-format
FORMAT_SRCS := $(wildcard bpf/*.c bpf/*.h user/*/*.c user/*/*.h tests/unit/*.c \
	tests/integration/*.c tests/library/*.c \
	tests/fuzz/*.c bench/*.c)

check:
	$(call msg,FORMAT,check)
	$(Q)$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_SRCS)
	$(Q)tests/check-sizes.sh user
	$(Q)$(MAKE) --no-print-directory all $(UNIT_BINS) $(HELPER_BINS)

format:
	$(Q)$(CLANG_FORMAT) -i $(FORMAT_SRCS)

# From the running kernel by default; for another arch, name its BTF and release:
#   make vmlinux ARCH=aarch64 VMLINUX_BTF=file.btf VMLINUX_RELEASE=6.12.118+deb13-cloud-arm64
# (tests/vm/btf-extract.py pulls the BTF out of a Debian kernel image).
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
VMLINUX_RELEASE ?= $(shell uname -r)
vmlinux:
	$(Q)mkdir -p vmlinux/$(ARCH)
	$(call msg,GEN,$(VMLINUX_H))
	$(Q){ echo "/* Generated by 'make vmlinux' from the BTF of Linux $(VMLINUX_RELEASE) ($(ARCH)). */"; \
	  $(BPFTOOL) btf dump file $(VMLINUX_BTF) format c; } > $(VMLINUX_H).tmp
	$(Q)mv $(VMLINUX_H).tmp $(VMLINUX_H)

clean:
	$(call msg,CLEAN,$(OUTPUT))
	$(Q)rm -rf $(OUTPUT)

-include $(wildcard $(OUTPUT)/bpf/*.d $(OUTPUT)/user/*/*.d $(OUTPUT)/tests/*.d)
