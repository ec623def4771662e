// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "workload_name.h"

/* The characters of Kubernetes' generated names (apimachinery's rand.String). */
static const char generated_chars[] = "bcdfghjklmnpqrstvwxz2456789";

static bool all_of(const char *s, size_t len, const char *chars)
{
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!s[i] || !strchr(chars, s[i]))
			return false;
	return true;
}

static bool all_digits(const char *s, size_t len)
{
	return all_of(s, len, "0123456789");
}

/* A pod-template-hash: a 32-bit hash's decimal digits, each mapped to a generated character. */
static bool template_hash(const char *s, size_t len)
{
	return len >= 6 && len <= 10 && all_of(s, len, generated_chars);
}

/* The '-' before end (exclusive) in name, or NULL. */
static const char *dash_before(const char *name, const char *end)
{
	while (end > name) {
		end--;
		if (*end == '-')
			return end;
	}
	return NULL;
}

static enum workload_kind keep(const char *name, size_t len, enum workload_kind kind, char *out,
			       size_t out_len)
{
	if (out_len) {
		if (len >= out_len)
			len = out_len - 1;
		memcpy(out, name, len);
		out[len] = '\0';
	}
	return kind;
}

/* After NAME-...-XXXXX: which owner made it, from the segment before the suffix. */
static enum workload_kind generated_owner(const char *pod, const char *last_dash, char *out,
					  size_t out_len)
{
	const char *prev = dash_before(pod, last_dash);
	const char *seg = prev ? prev + 1 : NULL;
	size_t seg_len = seg ? (size_t)(last_dash - seg) : 0;

	if (prev && prev > pod && all_digits(seg, seg_len))
		return keep(pod, (size_t)(prev - pod), WORKLOAD_JOB_RUN, out, out_len);
	if (prev && prev > pod && template_hash(seg, seg_len))
		return keep(pod, (size_t)(prev - pod), WORKLOAD_DEPLOYMENT, out, out_len);
	return keep(pod, (size_t)(last_dash - pod), WORKLOAD_DAEMONSET_OR_JOB, out, out_len);
}

enum workload_kind workload_from_pod(const char *pod, const char *container, char *out,
				     size_t out_len)
{
	const char *end, *dash, *suffix;
	size_t suffix_len;

	if (!pod || !*pod)
		return keep(container ? container : "", container ? strlen(container) : 0,
			    WORKLOAD_CONTAINER, out, out_len);
	end = pod + strlen(pod);
	dash = dash_before(pod, end);
	if (!dash || dash == pod)
		return keep(pod, strlen(pod), WORKLOAD_POD, out, out_len);
	suffix = dash + 1;
	suffix_len = (size_t)(end - suffix);
	if (suffix_len == 5 && all_of(suffix, suffix_len, generated_chars))
		return generated_owner(pod, dash, out, out_len);
	if (all_digits(suffix, suffix_len))
		return keep(pod, (size_t)(dash - pod), WORKLOAD_STATEFULSET, out, out_len);
	return keep(pod, strlen(pod), WORKLOAD_POD, out, out_len);
}

const char *workload_kind_name(enum workload_kind kind)
{
	switch (kind) {
	case WORKLOAD_CONTAINER:
		return "container";
	case WORKLOAD_POD:
		return "Pod";
	case WORKLOAD_DEPLOYMENT:
		return "Deployment";
	case WORKLOAD_JOB_RUN:
		return "CronJob or indexed Job";
	case WORKLOAD_DAEMONSET_OR_JOB:
		return "DaemonSet, Job or ReplicaSet";
	case WORKLOAD_STATEFULSET:
		return "StatefulSet";
	}
	return "?";
}
