#!/bin/bash
# Downloads Debian cloud kernels (and, for arm64 guests, the arm64 userland the tests
# run on) into build/vm with apt's own tools, against a private package list: the
# machine's apt sources and state are never touched. Idempotent: what is there stays.
#
# Usage: tests/vm/fetch.sh KERNEL...   (names as in tests/vm/kernels.list)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
VM=${VM_DIR:-$ROOT/build/vm}
APT_DIR=$VM/apt

apt_private() {
	"$@" -oDir::State::Lists="$APT_DIR/lists" -oDir::State::Status=/dev/null \
		-oDir::Etc::SourceList="$APT_DIR/sources.list" -oDir::Etc::SourceParts=/dev/null \
		-oDir::Etc::Preferences=/dev/null -oDir::Etc::PreferencesParts=/dev/null \
		-oDir::Cache="$APT_DIR/cache" -oAPT::Architecture=amd64 \
		-oAPT::Architectures::=amd64 -oAPT::Architectures::=arm64
}

update_lists() {
	local suite url # bash scoping is dynamic: don't clobber the caller's
	[ -f "$APT_DIR/updated" ] && return
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
	: >"$APT_DIR/sources.list"
	for suite in bullseye bullseye-security bookworm bookworm-updates bookworm-security trixie trixie-security; do
		case $suite in *-security) url=http://deb.debian.org/debian-security ;; *) url=http://deb.debian.org/debian ;; esac
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $url $suite main" >>"$APT_DIR/sources.list"
	done
	echo "fetch: updating private package lists"
	apt_private apt-get update -qq
	touch "$APT_DIR/updated"
}

# versions of PACKAGE in SUITE (and SUITE-security / -updates), newest first
versions_in() {
	apt_private apt-cache madison "$1" | awk -v s="$2" '$6 ~ "^"s"(-security|-updates)?/" { print $3 }'
}

version_in() {
	versions_in "$@" | head -1
}

# download PACKAGE=VERSION... into DIR (apt-get download writes to the current folder)
download() {
	local dir=$1
	shift
	mkdir -p "$dir"
	chown _apt "$dir" 2>/dev/null || true
	(cd "$dir" && apt_private apt-get download -qq "$@")
}

# KERNEL is <suite>-<arch>: the suite's linux-image-cloud-<arch> meta package, resolved.
fetch_kernel() {
	local name=$1 suite=${1%-*} arch=${1##*-} meta version image dir
	dir=$VM/kernels/$name
	[ -f "$dir/.done" ] && return
	update_lists
	meta="linux-image-cloud-$arch:$arch"
	rm -rf "$VM/debs/$name" "$dir"
	# Newest first; a mirror has been seen to list a kernel it didn't serve (404).
	for version in $(versions_in "$meta" "$suite"); do
		image=$(apt_private apt-cache show "$meta=$version" | sed -n 's/^Depends: \(linux-image-[^ ,]*\).*/\1/p' | head -1)
		echo "fetch: $name: $image ($version)"
		download "$VM/debs/$name" "$image:$arch" && break
		echo "fetch: $image could not be downloaded; trying an older one" >&2
	done
	ls "$VM"/debs/"$name"/*.deb >/dev/null 2>&1 || { echo "fetch: no $meta from $suite" >&2; return 1; }
	mkdir -p "$dir"
	# The image and its config are all the tests use (the drivers they need are built
	# in); unpacking hundreds of MiB of modules would triple the fetch time.
	dpkg-deb --fsys-tarfile "$VM"/debs/"$name"/*.deb | tar -x -C "$dir" --wildcards './boot/*'
	touch "$dir/.done"
}

# The arm64 userland the tests need inside an arm64 guest, and the -dev packages the
# cross build links against: one sysroot, from bookworm.
ARM64_PACKAGES="libc6 libc6-dev libgcc-s1 libgcc-12-dev linux-libc-dev libbpf1 libbpf-dev
	libelf1 libelf-dev zlib1g zlib1g-dev libjson-c5 libjson-c-dev libzstd1 libzstd-dev
	bash libtinfo6 jq libjq1 libonig5 bpftool libcap2 libcap2-bin libcap-ng0 util-linux
	libblkid1 libmount1 libsmartcols1 libuuid1 libselinux1 libpcre2-8-0 libsystemd0 liblzma5
	liblz4-1 libgcrypt20 libgpg-error0 libudev1 coreutils libacl1 libattr1 libgmp10
	libssl3 busybox-static
	libgnutls30 libp11-kit0 libidn2-0 libunistring2
	libtasn1-6 libnettle8 libhogweed6 libffi8 libncursesw6 libncurses6 libncurses-dev
	libcurl4 libcurl4-openssl-dev libbrotli1 libcom-err2 libdb5.3 libgssapi-krb5-2 libk5crypto3
	libkeyutils1 libkrb5-3 libkrb5support0 libldap-2.5-0 libnghttp2-14 libpsl5 librtmp1
	libsasl2-2 libsasl2-modules-db libssh2-1"

fetch_arm64_userland() {
	local dir=$VM/sysroot-arm64 pkgs=() p v want
	# fetched again when the package list changes
	want=$(echo $ARM64_PACKAGES | md5sum | cut -d' ' -f1)
	[ "$(cat "$dir/.done" 2>/dev/null)" = "$want" ] && return
	update_lists
	for p in $ARM64_PACKAGES; do
		v=$(version_in "$p:arm64" bookworm)
		[ -n "$v" ] || { echo "fetch: no $p:arm64 in bookworm" >&2; return 1; }
		pkgs+=("$p:arm64=$v")
	done
	echo "fetch: arm64 userland (${#pkgs[@]} packages)"
	rm -rf "$VM/debs/arm64-userland" "$dir"
	download "$VM/debs/arm64-userland" "${pkgs[@]}"
	mkdir -p "$dir"
	for deb in "$VM"/debs/arm64-userland/*.deb; do dpkg-deb -x "$deb" "$dir"; done
	echo "$want" >"$dir/.done"
}

[ $# -gt 0 ] || { echo "usage: $0 KERNEL..." >&2; exit 2; }
for k in "$@"; do
	fetch_kernel "$k"
	case $k in *-arm64) fetch_arm64_userland ;; esac
done
