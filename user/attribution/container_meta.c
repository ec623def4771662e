// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Where each runtime keeps a container's names (keys as the runtimes write them):
 *
 * containerd CRI plugin, OCI annotations in the task bundle's config.json:
 *   io.kubernetes.cri.container-type ("container" | "sandbox"),
 *   io.kubernetes.cri.container-name, io.kubernetes.cri.sandbox-name (the pod),
 *   io.kubernetes.cri.sandbox-namespace, io.kubernetes.cri.sandbox-uid (containerd 1.7+),
 *   io.kubernetes.cri.image-name
 * CRI-O, OCI annotations in userdata/config.json: io.kubernetes.cri-o.ContainerType,
 *   io.kubernetes.cri-o.Labels (the kubelet's labels, JSON-encoded in a string:
 *   io.kubernetes.container.name, io.kubernetes.pod.name, io.kubernetes.pod.namespace,
 *   io.kubernetes.pod.uid), io.kubernetes.cri-o.ImageName
 * docker: config.v2.json "Name" ("/name") and Config.Labels; through cri-dockerd the
 *   labels carry the kubelet's io.kubernetes.* keys and io.kubernetes.docker.type
 * podman: containers/storage containers.json, [{ "id", "names": [...] }]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "container_meta.h"

/*
 * json-c keeps the whole tree: with 0.16 an object costs ~780 bytes (a 16-slot hash
 * table), an array ~150, each member or element ~100 more. So 1 MiB of `{"a":{}},`
 * takes ~190 MB and 0.3 s. The cost is estimated from the text before parsing,
 * rounded up, and parsing is refused past a budget that still holds podman's list
 * of ~4,000 containers.
 */
#define JSON_COST_OBJECT 800
#define JSON_COST_ARRAY	 160
#define JSON_COST_MEMBER 128 /* per ':' or ',' */
#define JSON_MEMORY_MAX	 (16u << 20)
#define JSON_DEPTH_MAX	 64 /* runtime files are shallow; deep nesting is hostile */

static bool within_budget(const char *json, size_t len)
{
	uint64_t cost = len; /* strings and keys are copied */
	bool in_string = false;

	for (size_t i = 0; i < len; i++) {
		char c = json[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"')
			in_string = true;
		else if (c == '{')
			cost += JSON_COST_OBJECT;
		else if (c == '[')
			cost += JSON_COST_ARRAY;
		else if (c == ':' || c == ',')
			cost += JSON_COST_MEMBER;
		else
			continue;
		if (cost > JSON_MEMORY_MAX)
			return false;
	}
	return true;
}

/*
 * Parses exactly len bytes into a value of the given type: 0, -E2BIG over the
 * budget or too deep, -EINVAL when it is not JSON of that type.
 */
static int parse_bounded(const char *json, size_t len, enum json_type type,
			 struct json_object **out)
{
	struct json_tokener *tok;
	enum json_tokener_error err;
	int ret = 0;

	*out = NULL;
	if (!json || len > (size_t)INT32_MAX)
		return -EINVAL;
	if (!within_budget(json, len))
		return -E2BIG;
	tok = json_tokener_new_ex(JSON_DEPTH_MAX);
	if (!tok)
		return -ENOMEM;
	*out = json_tokener_parse_ex(tok, json, (int)len);
	err = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (err != json_tokener_success)
		ret = err == json_tokener_error_depth ? -E2BIG : -EINVAL;
	else if (!json_object_is_type(*out, type))
		ret = -EINVAL;
	if (ret) {
		json_object_put(*out);
		*out = NULL;
	}
	return ret;
}

/* For the JSON documents runtimes nest inside strings: NULL unless an object. */
static struct json_object *parse_nested_object(const char *json)
{
	struct json_object *obj;

	return parse_bounded(json, strlen(json), json_type_object, &obj) ? NULL : obj;
}

static const char *string_at(struct json_object *obj, const char *key)
{
	struct json_object *value;

	if (!obj || !json_object_object_get_ex(obj, key, &value) ||
	    !json_object_is_type(value, json_type_string))
		return NULL;
	return json_object_get_string(value);
}

/* Copies a string field if present and the destination is still empty. */
static bool take(char *dst, struct json_object *obj, const char *key)
{
	const char *value = string_at(obj, key);

	if (!value || dst[0])
		return false;
	snprintf(dst, CONTAINER_META_FIELD_LEN, "%s", value);
	return true;
}

/* The kubelet's own labels, wherever a runtime stored them. */
static int take_kubelet_labels(struct container_meta *meta, struct json_object *labels)
{
	int found = 0;

	found += take(meta->name, labels, "io.kubernetes.container.name");
	found += take(meta->pod, labels, "io.kubernetes.pod.name");
	found += take(meta->namespace, labels, "io.kubernetes.pod.namespace");
	found += take(meta->pod_uid, labels, "io.kubernetes.pod.uid");
	return found;
}

int container_meta_from_oci_config(const char *json, size_t len, struct container_meta *meta)
{
	struct json_object *root, *annotations, *crio_labels = NULL;
	const char *type, *encoded;
	int found = 0, err;

	memset(meta, 0, sizeof(*meta));
	err = parse_bounded(json, len, json_type_object, &root);
	if (err)
		return err;
	if (!json_object_object_get_ex(root, "annotations", &annotations) ||
	    !json_object_is_type(annotations, json_type_object)) {
		json_object_put(root);
		return -ENOENT;
	}

	/* containerd */
	found += take(meta->name, annotations, "io.kubernetes.cri.container-name");
	found += take(meta->pod, annotations, "io.kubernetes.cri.sandbox-name");
	found += take(meta->namespace, annotations, "io.kubernetes.cri.sandbox-namespace");
	found += take(meta->pod_uid, annotations, "io.kubernetes.cri.sandbox-uid");
	found += take(meta->image, annotations, "io.kubernetes.cri.image-name");
	type = string_at(annotations, "io.kubernetes.cri.container-type");

	/* CRI-O: the labels are a JSON document inside a string */
	encoded = string_at(annotations, "io.kubernetes.cri-o.Labels");
	if (encoded) {
		crio_labels = parse_nested_object(encoded);
		found += take_kubelet_labels(meta, crio_labels);
	}
	found += take_kubelet_labels(meta, annotations);
	found += take(meta->image, annotations, "io.kubernetes.cri-o.ImageName");
	if (!type)
		type = string_at(annotations, "io.kubernetes.cri-o.ContainerType");
	if (type)
		meta->sandbox = !strcmp(type, "sandbox");

	json_object_put(crio_labels);
	json_object_put(root);
	return found || type ? 0 : -ENOENT;
}

int container_meta_from_docker_config(const char *json, size_t len, struct container_meta *meta)
{
	struct json_object *root, *config = NULL, *labels = NULL;
	const char *name, *type;
	int found = 0, err;

	memset(meta, 0, sizeof(*meta));
	err = parse_bounded(json, len, json_type_object, &root);
	if (err)
		return err;
	if (json_object_object_get_ex(root, "Config", &config) &&
	    json_object_is_type(config, json_type_object) &&
	    json_object_object_get_ex(config, "Labels", &labels) &&
	    json_object_is_type(labels, json_type_object)) {
		/* cri-dockerd: the kubelet's names win over docker's generated k8s_... name */
		found += take_kubelet_labels(meta, labels);
		type = string_at(labels, "io.kubernetes.docker.type");
		meta->sandbox = type && !strcmp(type, "podsandbox");
	}
	name = string_at(root, "Name");
	if (name && !meta->name[0]) {
		snprintf(meta->name, sizeof(meta->name), "%s", name[0] == '/' ? name + 1 : name);
		found++;
	}
	found += take(meta->image, config, "Image");
	json_object_put(root);
	return found ? 0 : -ENOENT;
}

int container_meta_from_storage_list(const char *json, size_t len, const char *id,
				     struct container_meta *meta)
{
	struct json_object *list, *names;
	const char *encoded;
	int ret;

	memset(meta, 0, sizeof(*meta));
	ret = parse_bounded(json, len, json_type_array, &list);
	if (ret)
		return ret;
	ret = -ENOENT;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *entry = json_object_array_get_idx(list, i), *first;
		const char *entry_id = string_at(entry, "id");

		if (!entry_id || strcmp(entry_id, id))
			continue;
		/* "metadata" is a JSON document inside a string, as in CRI-O's labels */
		encoded = string_at(entry, "metadata");
		if (encoded) {
			struct json_object *metadata = parse_nested_object(encoded);

			take(meta->image, metadata, "image-name");
			json_object_put(metadata);
		}
		if (json_object_object_get_ex(entry, "names", &names) &&
		    json_object_is_type(names, json_type_array) &&
		    json_object_array_length(names) > 0) {
			first = json_object_array_get_idx(names, 0);
			if (json_object_is_type(first, json_type_string)) {
				snprintf(meta->name, sizeof(meta->name), "%s",
					 json_object_get_string(first));
				ret = 0;
			}
		}
		break;
	}
	json_object_put(list);
	return ret;
}
