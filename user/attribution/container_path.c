// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Cgroup naming schemes, as the runtimes and the kubelet write them:
 *
 * kubelet, cgroupfs driver:  /kubepods[/burstable|/besteffort]/pod<uid>/<id>
 *                            (CRI-O names the container crio-<id> there too)
 * kubelet, systemd driver:   /kubepods.slice/kubepods-burstable.slice/
 *                            kubepods-burstable-pod<uid, '-' as '_'>.slice/<scope>
 *                            with <scope> cri-containerd-<id>.scope, crio-<id>.scope,
 *                            crio-conmon-<id>.scope (the monitor) or docker-<id>.scope
 *                            (cri-dockerd); Guaranteed pods sit directly in kubepods
 * docker:                    /docker/<id> (cgroupfs), /system.slice/docker-<id>.scope
 * podman:                    /machine.slice/libpod-<id>.scope (rootful), the same under
 *                            user@<uid>.service (rootless), libpod-conmon-<id>.scope for
 *                            the monitor, /libpod_parent/libpod-<id> (cgroupfs)
 * systemd:                   *.service, *.scope, user-<uid>.slice sessions
 *
 * Containers may make cgroups of their own below their scope, so the deepest
 * segment that names a container wins and deeper segments are ignored.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "container_path.h"

struct segment {
	const char *text;
	size_t len;
};

static bool is_hex_id(const char *s, size_t len)
{
	if (len != CONTAINER_ID_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool has_prefix(struct segment seg, const char *prefix)
{
	size_t n = strlen(prefix);

	return seg.len >= n && !strncmp(seg.text, prefix, n);
}

static bool has_suffix(struct segment seg, const char *suffix)
{
	size_t n = strlen(suffix);

	return seg.len >= n && !strncmp(seg.text + seg.len - n, suffix, n);
}

/* "<prefix><64 hex><suffix>": copies the id and returns true. */
static bool id_between(struct segment seg, const char *prefix, const char *suffix, char *id)
{
	size_t p = strlen(prefix), s = strlen(suffix);

	if (seg.len != p + CONTAINER_ID_LEN + s || !has_prefix(seg, prefix) ||
	    !has_suffix(seg, suffix) || !is_hex_id(seg.text + p, CONTAINER_ID_LEN))
		return false;
	for (size_t i = 0; i < CONTAINER_ID_LEN; i++)
		id[i] = (char)tolower((unsigned char)seg.text[p + i]);
	id[CONTAINER_ID_LEN] = '\0';
	return true;
}

/* A pod UID: 8-4-4-4-12 hex, with '-' or (systemd slices) '_' as separators. */
static bool copy_pod_uid(const char *s, size_t len, char *out)
{
	char uid[POD_UID_LEN + 1];

	if (len != POD_UID_LEN)
		return false;
	/* Validate whole before writing: a near-miss must leave out untouched. */
	for (size_t i = 0; i < len; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? (s[i] != '-' && s[i] != '_') : !isxdigit((unsigned char)s[i]))
			return false;
		uid[i] = dash ? '-' : (char)tolower((unsigned char)s[i]);
	}
	uid[len] = '\0';
	memcpy(out, uid, sizeof(uid));
	return true;
}

static enum pod_qos qos_from(const char *s, size_t len)
{
	if (len == 9 && !strncmp(s, "burstable", 9))
		return QOS_BURSTABLE;
	if (len == 10 && !strncmp(s, "besteffort", 10))
		return QOS_BESTEFFORT;
	return QOS_NONE;
}

/* pod<uid> (cgroupfs) or kubepods[-<qos>]-pod<uid>.slice (systemd). */
static bool parse_pod_segment(struct segment seg, struct container_path_info *info)
{
	const char *pod;
	size_t len = seg.len;

	if (has_prefix(seg, "pod"))
		return copy_pod_uid(seg.text + 3, seg.len - 3, info->pod_uid);
	if (!has_prefix(seg, "kubepods-") || !has_suffix(seg, ".slice"))
		return false;
	len -= strlen(".slice");
	pod = memmem(seg.text, len, "pod", 3);
	/* the last "pod" in the name: "kubepods-" itself contains one */
	while (pod) {
		const char *next = memmem(pod + 1, len - (size_t)(pod + 1 - seg.text), "pod", 3);

		if (!next)
			break;
		pod = next;
	}
	if (!pod || pod[-1] != '-')
		return false;
	return copy_pod_uid(pod + 3, len - (size_t)(pod + 3 - seg.text), info->pod_uid);
}

static bool parse_container_segment(struct segment seg, struct segment parent,
				    struct container_path_info *info)
{
	bool in_pod = info->pod_uid[0] != '\0';

	if (id_between(seg, "cri-containerd-", ".scope", info->id)) {
		info->runtime = RUNTIME_CONTAINERD;
	} else if (id_between(seg, "crio-conmon-", ".scope", info->id) ||
		   id_between(seg, "crio-conmon-", "", info->id)) {
		info->runtime = RUNTIME_CRIO;
		info->monitor = true;
	} else if (id_between(seg, "crio-", ".scope", info->id) ||
		   id_between(seg, "crio-", "", info->id)) {
		info->runtime = RUNTIME_CRIO;
	} else if (id_between(seg, "docker-", ".scope", info->id)) {
		info->runtime = RUNTIME_DOCKER;
	} else if (id_between(seg, "libpod-conmon-", ".scope", info->id)) {
		info->runtime = RUNTIME_PODMAN;
		info->monitor = true;
	} else if (id_between(seg, "libpod-", ".scope", info->id) ||
		   id_between(seg, "libpod-", "", info->id)) {
		info->runtime = RUNTIME_PODMAN;
	} else if (is_hex_id(seg.text, seg.len)) {
		/* A bare id: docker under /docker, or any CRI runtime in a cgroupfs pod. */
		if (parent.len == 6 && !strncmp(parent.text, "docker", 6))
			info->runtime = RUNTIME_DOCKER;
		else if (in_pod)
			info->runtime = RUNTIME_UNKNOWN;
		else
			return false;
		id_between(seg, "", "", info->id);
	} else {
		return false;
	}
	return true;
}

static void parse_systemd_unit(struct segment seg, struct container_path_info *info)
{
	if ((has_suffix(seg, ".service") || has_suffix(seg, ".scope")) &&
	    seg.len < sizeof(info->unit)) {
		memcpy(info->unit, seg.text, seg.len);
		info->unit[seg.len] = '\0';
		info->runtime = RUNTIME_SYSTEMD;
	}
}

int container_path_parse(const char *path, struct container_path_info *info)
{
	struct segment parent = { "", 0 };
	const char *p = path;

	memset(info, 0, sizeof(*info));
	info->runtime = RUNTIME_NONE;
	while (p && *p) {
		struct segment seg;
		const char *end;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchr(p, '/');
		seg.text = p;
		seg.len = end ? (size_t)(end - p) : strlen(p);
		p = end;

		if (info->id[0])
			break; /* below the container: its own sub-cgroups */
		if (!info->pod_uid[0] && parse_pod_segment(seg, info)) {
			if (info->qos == QOS_NONE)
				info->qos = QOS_GUARANTEED;
		} else if (has_prefix(seg, "kubepods") && !info->pod_uid[0]) {
			/* kubepods, kubepods.slice, kubepods-burstable.slice, burstable */
			const char *dash = memchr(seg.text, '-', seg.len);

			if (dash) {
				size_t qlen = seg.len - (size_t)(dash + 1 - seg.text);

				if (has_suffix(seg, ".slice"))
					qlen -= strlen(".slice");
				info->qos = qos_from(dash + 1, qlen);
			}
		} else if (parent.len >= 8 && !strncmp(parent.text, "kubepods", 8) &&
			   !info->pod_uid[0] && qos_from(seg.text, seg.len) != QOS_NONE) {
			info->qos = qos_from(seg.text, seg.len);
		} else if (!parse_container_segment(seg, parent, info)) {
			parse_systemd_unit(seg, info);
		}
		parent = seg;
	}
	if (!info->id[0] && info->runtime != RUNTIME_SYSTEMD)
		info->runtime = RUNTIME_NONE;
	if (info->id[0])
		info->unit[0] = '\0';
	return 0;
}

const char *container_runtime_name(enum container_runtime runtime)
{
	switch (runtime) {
	case RUNTIME_UNKNOWN:
		return "unknown";
	case RUNTIME_DOCKER:
		return "docker";
	case RUNTIME_CONTAINERD:
		return "containerd";
	case RUNTIME_CRIO:
		return "cri-o";
	case RUNTIME_PODMAN:
		return "podman";
	case RUNTIME_SYSTEMD:
		return "systemd";
	case RUNTIME_NONE:
	default:
		return "none";
	}
}

const char *pod_qos_name(enum pod_qos qos)
{
	switch (qos) {
	case QOS_GUARANTEED:
		return "Guaranteed";
	case QOS_BURSTABLE:
		return "Burstable";
	case QOS_BESTEFFORT:
		return "BestEffort";
	case QOS_NONE:
	default:
		return NULL;
	}
}
