// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* memsight recommend's edges: Prometheus' answers read, the table, JSON and YAML written. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include <cmocka.h>

#include "prom_api.h"
#include "recommend_output.h"
#include "workloads.h"

#define MIB 1048576.0

static void test_url_check(void **state)
{
	static const char *good[] = { "http://prometheus:9090", "https://prom.example/",
				      "http://10.0.0.1:9090/prometheus", "http://u:p@host:9090" };
	static const char *bad[] = { "prometheus:9090", "ftp://host",	"http://",
				     "http:///x",	"http://:9090", "http://host/?x=1",
				     "http://host/#a",	"http://ho st", "http://host\n" };
	char err[256];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (prom_url_check(good[i], err, sizeof(err)))
			fail_msg("'%s' refused: %s", good[i], err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (prom_url_check(bad[i], err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
		assert_non_null(strstr(err, "--prometheus"));
		assert_null(strchr(err, '\n'));
	}
}

static void test_url_display(void **state)
{
	char out[128];

	prom_url_display(out, sizeof(out), "https://admin:s3cret@prom:9090/api@x");
	assert_string_equal(out, "https://prom:9090/api@x");
	prom_url_display(out, sizeof(out), "http://prom:9090");
	assert_string_equal(out, "http://prom:9090");
}

static void test_promql_string(void **state)
{
	struct strbuf sb;

	strbuf_init(&sb);
	promql_string(&sb, "a\"b\\c\nd\x1b");
	assert_string_equal(sb.buf, "\"a\\\"b\\\\c\\x0ad\\x1b\"");
	strbuf_free(&sb);
}

struct collected {
	char text[1024];
	int count;
};

static int collect(void *ctx, const struct prom_sample *s)
{
	struct collected *c = ctx;
	size_t len = strlen(c->text);

	snprintf(c->text + len, sizeof(c->text) - len, "[%s|%s|%s|%g]", s->namespace, s->pod,
		 s->container, s->value);
	c->count++;
	return 0;
}

static int read_vector(const char *body, struct collected *c, char *err, size_t err_len)
{
	memset(c, 0, sizeof(*c));
	err[0] = '\0';
	return prom_read_vector(body, strlen(body), collect, c, err, err_len);
}

static void test_read_vector(void **state)
{
	const char *answer =
		"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
		"{\"metric\":{\"namespace\":\"shop\",\"pod\":\"web-0\",\"container\":\"app\","
		"\"job\":\"memsight\"},\"value\":[1700000000.5,\"314572800\"]},"
		"{\"metric\":{\"container\":\"redis\"},\"value\":[1700000000.5,\"1.5e3\"]},"
		"{\"metric\":{\"pod\":7,\"container\":\"x\"},\"value\":[1,\"NaN\"]}]}}";
	struct collected c;
	char err[256];

	assert_int_equal(read_vector(answer, &c, err, sizeof(err)), 0);
	assert_int_equal(c.count, 3);
	assert_string_equal(c.text, "[shop|web-0|app|3.14573e+08][||redis|1500][||x|nan]");
	assert_int_equal(read_vector("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
				     "\"result\":[]}}",
				     &c, err, sizeof(err)),
			 0);
	assert_int_equal(c.count, 0);
}

static void test_read_vector_errors(void **state)
{
	static const char *not_api[] = {
		"",
		"<html>404 page not found</html>",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{"
		"\"metric\":{},"
		"\"value\":[1,\"12abc\"]}]}}",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{"
		"\"metric\":{},"
		"\"value\":[1]}]}}",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{"
		"\"value\":[1,"
		"\"1\"]}]}}",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[1]}}",
		"{\"status\":\"success\"}",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]"
		"]]]]",
	};
	struct collected c;
	char err[256];

	for (size_t i = 0; i < sizeof(not_api) / sizeof(not_api[0]); i++)
		if (read_vector(not_api[i], &c, err, sizeof(err)) != -EPROTO || !err[0])
			fail_msg("answer %zu: not refused as not the API's", i);
	/* Prometheus' own error, one line whatever it holds. */
	assert_int_equal(read_vector("{\"status\":\"error\",\"errorType\":\"bad_data\","
				     "\"error\":\"parse error:\\nunexpected \\u001b\"}",
				     &c, err, sizeof(err)),
			 -EREMOTEIO);
	assert_string_equal(err, "parse error:?unexpected ?");
}

static int count_name(void *ctx, const char *name)
{
	int *n = ctx;

	assert_non_null(name);
	(*n)++;
	return 0;
}

static void test_read_names(void **state)
{
	const char *answer = "{\"status\":\"success\",\"data\":[\"memsight_leak_suspected\","
			     "\"memsight_oom_kills_total\",5]}";
	char err[128];
	int n = 0;

	assert_int_equal(prom_read_names(answer, strlen(answer), count_name, &n, err, sizeof(err)),
			 0);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(prom_read_names("{\"status\":\"success\",\"data\":[]}", 32, count_name, &n,
					 err, sizeof(err)),
			 0);
	assert_int_equal(n, 0);
}

/* One workload, decided, for the renderers. */
static struct workload *workload(const char *ns, const char *pod, const char *container,
				 double p99_mib, double max_mib, bool leak)
{
	struct workload_set set;
	struct workload *w;

	workload_set_init(&set);
	workload_set_add(&set, ns, pod, container, FIGURE_WS_MAX, max_mib * MIB);
	workload_set_add(&set, ns, pod, container, FIGURE_WS_P99, p99_mib * MIB);
	workload_set_add(&set, ns, pod, container, FIGURE_FIRST_SEEN, 0);
	workload_set_add(&set, ns, pod, container, FIGURE_LAST_SEEN, 7 * 86400);
	workload_set_add(&set, ns, pod, container, FIGURE_LIMIT_NOW, 1024 * MIB);
	workload_set_add(&set, ns, pod, container, FIGURE_LEAK, leak);
	workload_set_finish(&set);
	w = set.items[0];
	free(set.items);
	recommend_decide(&w->fig, 7 * 86400, &w->rec);
	return w;
}

static void free_workload(struct workload *w)
{
	struct workload_set set;

	workload_set_init(&set);
	set.items = malloc(sizeof(*set.items));
	assert_non_null(set.items);
	set.items[0] = w;
	set.len = set.cap = 1;
	workload_set_free(&set);
}

static void test_quantity(void **state)
{
	char buf[32];

	assert_string_equal(recommend_quantity(512 * MIB, buf, sizeof(buf)), "512Mi");
	assert_string_equal(recommend_quantity(2048 * MIB, buf, sizeof(buf)), "2Gi");
	assert_string_equal(recommend_quantity(1536 * MIB, buf, sizeof(buf)), "1536Mi");
	assert_string_equal(recommend_quantity(412.34 * MIB, buf, sizeof(buf)), "412.3Mi");
}

static const char *field(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return "(absent)";
	return v ? json_object_get_string(v) : "(null)";
}

static void test_json_line(void **state)
{
	struct workload *w =
		workload("shop", "checkout-7d4b9c8f6d-x2k9p", "ap\"p\n", 400, 420, false);
	struct json_object *o;
	struct strbuf sb;

	strbuf_init(&sb);
	recommend_json_line(&sb, w, 604800);
	assert_int_equal(sb.buf[sb.len - 1], '\n');
	assert_null(memchr(sb.buf, '\n', sb.len - 1));
	o = json_tokener_parse(sb.buf);
	assert_non_null(o);
	assert_string_equal(field(o, "namespace"), "shop");
	assert_string_equal(field(o, "workload"), "checkout");
	assert_string_equal(field(o, "container"), "ap\"p\n");
	assert_string_equal(field(o, "kind"), "Deployment");
	assert_string_equal(field(o, "current_limit_bytes"), "1073741824");
	assert_string_equal(field(o, "working_set_p99_bytes"), "419430400");
	assert_string_equal(field(o, "working_set_max_bytes"), "440401920");
	assert_string_equal(field(o, "oom_kills"), "0");
	assert_string_equal(field(o, "leak_suspected"), "false");
	assert_string_equal(field(o, "recommended_request_bytes"), "482344960");
	assert_string_equal(field(o, "recommended_limit_bytes"), "506462208");
	assert_string_equal(field(o, "window_s"), "604800");
	assert_string_equal(field(o, "reason"),
			    "p99 working set 400 MiB + 15% margin; limit: peak 420 MiB + 15%");
	json_object_put(o);
	free_workload(w);

	/* Not recommended: the byte fields are null. */
	w = workload("ops", "log-agent-x7k2p", "agent", 100, 200, true);
	strbuf_reset(&sb);
	recommend_json_line(&sb, w, 604800);
	o = json_tokener_parse(sb.buf);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "recommended_request_bytes", NULL));
	assert_string_equal(field(o, "recommended_request_bytes"), "(null)");
	assert_string_equal(field(o, "recommended_limit_bytes"), "(null)");
	assert_string_equal(field(o, "leak_suspected"), "true");
	json_object_put(o);
	free_workload(w);
	strbuf_free(&sb);
}

static void test_yaml_quoted(void **state)
{
	struct strbuf sb;

	strbuf_init(&sb);
	yaml_quoted(&sb, "a\"b\\c\nd\te\x1b[31m\xc2\x85\xe2\x80\xa8\xef\xbb\xbf\xff: #x é");
	assert_string_equal(sb.buf,
			    "\"a\\\"b\\\\c\\nd\\te\\x1B[31m\\x85\\u2028\\uFEFF\\uFFFD: #x é\"");
	strbuf_free(&sb);
}

static void test_yaml_document(void **state)
{
	struct workload *w = workload("shop", "checkout-7d4b9c8f6d-x2k9p", "app", 400, 420, false);
	struct strbuf sb;

	strbuf_init(&sb);
	recommend_yaml_document(&sb, w);
	assert_string_equal(
		sb.buf,
		"---\n"
		"# shop/checkout (Deployment), container app\n"
		"# kubectl -n shop set resources deployment/checkout -c app "
		"--requests=memory=460Mi --limits=memory=483Mi\n"
		"namespace: \"shop\"\n"
		"workload: \"checkout\"\n"
		"kind: \"Deployment\"\n"
		"container: \"app\"\n"
		"reason: \"p99 working set 400 MiB + 15% margin; limit: peak 420 MiB + 15%\"\n"
		"resources:\n  requests:\n    memory: 460Mi\n  limits:\n    memory: 483Mi\n");
	free_workload(w);

	/* Hostile names: no comment (it could not be quoted), everything else escaped. */
	w = workload("lab", "x\n# y: z-x7k2p", "c\x1b", 10, 10, false);
	strbuf_reset(&sb);
	recommend_yaml_document(&sb, w);
	assert_string_equal(sb.buf, "---\n"
				    "namespace: \"lab\"\n"
				    "workload: \"x\\n# y: z\"\n"
				    "kind: \"DaemonSet, Job or ReplicaSet\"\n"
				    "container: \"c\\x1B\"\n"
				    "reason: \"p99 working set 10 MiB + 15% margin; limit: peak 10 "
				    "MiB + 15%\"\n"
				    "resources:\n  requests:\n    memory: 12Mi\n  limits:\n    "
				    "memory: 12Mi\n");
	free_workload(w);

	/* Not recommended: no resources block. */
	w = workload("ops", "log-agent-x7k2p", "agent", 100, 200, true);
	strbuf_reset(&sb);
	recommend_yaml_document(&sb, w);
	assert_null(strstr(sb.buf, "resources:"));
	assert_null(strstr(sb.buf, "kubectl"));
	assert_non_null(strstr(sb.buf, "reason: \"not recommended: leaking, fix the leak first\""));
	free_workload(w);
	strbuf_free(&sb);
}

static void test_table(void **state)
{
	struct workload *items[2] = {
		workload("shop", "checkout-7d4b9c8f6d-x2k9p", "app", 400, 420, false),
		workload("", "", "evil\x1b]0;x\x07\xe2\x80\xa8", 10, 20, true),
	};
	struct strbuf sb;
	char *second, *third;

	strbuf_init(&sb);
	recommend_table(&sb, items, 2);
	second = strchr(sb.buf, '\n') + 1;
	third = strchr(second, '\n') + 1;
	assert_int_equal(strncmp(sb.buf, "NAMESPACE  WORKLOAD  ", 21), 0);
	/* Columns line up: CONTAINER starts where the longest name ends. */
	assert_int_equal(strstr(sb.buf, "CONTAINER") - sb.buf, strstr(second, "app") - second);
	assert_non_null(strstr(second, "460Mi"));
	assert_non_null(strstr(second, "483Mi"));
	/* The evil name: each control character or non-ASCII one a '?'. */
	assert_int_equal(strncmp(third, "-          evil?]0;x??", 22), 0);
	assert_non_null(strstr(third, "not recommended: leaking"));
	for (size_t i = 0; i < sb.len; i++)
		if (sb.buf[i] != '\n' && ((unsigned char)sb.buf[i] < 0x20 || sb.buf[i] == 0x7f))
			fail_msg("a control byte at %zu", i);
	strbuf_free(&sb);
	free_workload(items[0]);
	free_workload(items[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_check),
		cmocka_unit_test(test_url_display),
		cmocka_unit_test(test_promql_string),
		cmocka_unit_test(test_read_vector),
		cmocka_unit_test(test_read_vector_errors),
		cmocka_unit_test(test_read_names),
		cmocka_unit_test(test_quantity),
		cmocka_unit_test(test_json_line),
		cmocka_unit_test(test_yaml_quoted),
		cmocka_unit_test(test_yaml_document),
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
