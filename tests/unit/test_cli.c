// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"
#include "recommend_output.h"

static struct env env;
static char err[256];

static int parse(int argc, ...)
{
	char *argv[16] = { "memsight" };
	va_list ap;

	va_start(ap, argc);
	for (int i = 1; i <= argc && i < 16; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	cli_env_defaults(&env);
	return cli_parse(argc + 1, argv, &env, err, sizeof(err));
}

static void expect_usage_error(const char *needle, int ret)
{
	if (ret != -EINVAL)
		fail_msg("expected a usage error containing '%s', got %d", needle, ret);
	if (!strstr(err, needle))
		fail_msg("message '%s' lacks '%s'", err, needle);
	assert_null(strchr(err, '\n'));
}

static void test_defaults(void **state)
{
	assert_int_equal(parse(0), 0);
	assert_int_equal(env.command, CMD_DEFAULT);
	assert_true(env.interval_ns == 1000000000ULL);
	assert_true(env.duration_ns == 0);
	assert_true(env.bpf_stats);
	assert_int_equal(env.oom_hook, OOM_HOOK_AUTO);
}

static void test_stream_options_both_spellings(void **state)
{
	assert_int_equal(parse(7, "stream", "--interval", "250ms", "--duration=3s", "--cgroup",
			       "/kubepods", "-v"),
			 0);
	assert_int_equal(env.command, CMD_STREAM);
	assert_true(env.interval_ns == 250000000ULL);
	assert_true(env.duration_ns == 3000000000ULL);
	assert_string_equal(env.cgroup_prefix, "/kubepods");
	assert_true(env.verbose);
	/* options may come before the command */
	assert_int_equal(parse(3, "--oom-hook=tracepoint", "features", "--json"), 0);
	assert_int_equal(env.command, CMD_FEATURES);
	assert_int_equal(env.oom_hook, OOM_HOOK_TRACEPOINT);
	assert_true(env.json);
	assert_int_equal(parse(2, "stream", "--charge-hook=stat"), 0);
	assert_int_equal(env.charge_hook, CHARGE_HOOK_STAT);
	assert_int_equal(parse(3, "stream", "--charge-hook", "kprobe"), 0);
	assert_int_equal(env.charge_hook, CHARGE_HOOK_KPROBE);
}

static void test_usage_errors(void **state)
{
	expect_usage_error("unknown command 'frobnicate'", parse(1, "frobnicate"));
	expect_usage_error("unknown option '--frob'", parse(2, "stream", "--frob"));
	expect_usage_error("unknown option '-x'", parse(1, "-x"));
	expect_usage_error("invalid duration 'banana'", parse(3, "stream", "--interval", "banana"));
	expect_usage_error("greater than zero", parse(3, "stream", "--interval", "0s"));
	expect_usage_error("invalid duration '-5s'", parse(3, "stream", "--duration", "-5s"));
	expect_usage_error("10ms minimum", parse(2, "--interval", "1ms"));
	expect_usage_error("needs a value", parse(2, "stream", "--interval"));
	expect_usage_error("takes no value", parse(2, "features", "--json=yes"));
	expect_usage_error("does not apply to 'stream'", parse(2, "stream", "--json"));
	expect_usage_error("must start with '/'", parse(2, "--cgroup", "kubepods"));
	expect_usage_error("not one of", parse(2, "--oom-hook", "kprobe"));
	expect_usage_error("unexpected argument 'extra'", parse(2, "stream", "extra"));
	/* the contract's common options are accepted by every command that attaches */
	assert_int_equal(parse(3, "features", "--duration", "1s"), 0);
	expect_usage_error("does not apply to 'version'", parse(3, "version", "--duration", "1s"));
}

static void test_option_scope_checked_however_often_given(void **state)
{
	char *argv[64] = { "memsight", "version" };
	int argc = 2;

	while (argc < 60)
		argv[argc++] = "-v";
	argv[argc++] = "--duration";
	argv[argc++] = "1s";
	cli_env_defaults(&env);
	expect_usage_error("does not apply to 'version'",
			   cli_parse(argc, argv, &env, err, sizeof(err)));
}

static void test_help_forms(void **state)
{
	assert_int_equal(parse(1, "--help"), 0);
	assert_int_equal(env.command, CMD_HELP);
	assert_null(env.help_topic);
	assert_int_equal(parse(2, "help", "stream"), 0);
	assert_string_equal(env.help_topic, "stream");
	assert_int_equal(parse(2, "features", "-h"), 0);
	assert_string_equal(env.help_topic, "features");
	expect_usage_error("unknown command 'nope'", parse(2, "help", "nope"));
	/* recommend's help needs no --prometheus */
	assert_int_equal(parse(2, "recommend", "--help"), 0);
	assert_string_equal(env.help_topic, "recommend");
}

static void test_help_lists_only_real_commands(void **state)
{
	char buf[8192] = "";
	FILE *out = fmemopen(buf, sizeof(buf) - 1, "w");

	cli_print_help(out, CMD_DEFAULT);
	fclose(out);
	assert_non_null(strstr(buf, "stream"));
	assert_non_null(strstr(buf, "--interval DUR"));
	assert_non_null(strstr(buf, "  top "));
	assert_non_null(strstr(buf, "  run "));
	assert_non_null(strstr(buf, "  recommend "));
}

static void test_listen_addresses(void **state)
{
	assert_int_equal(parse(1, "run"), 0);
	assert_string_equal(env.listen_host, "127.0.0.1");
	assert_int_equal(env.listen_port, 9464);
	assert_int_equal(parse(3, "run", "--listen", "0.0.0.0:9100"), 0);
	assert_string_equal(env.listen_host, "0.0.0.0");
	assert_int_equal(env.listen_port, 9100);
	assert_int_equal(parse(2, "run", "--listen=[::1]:0"), 0);
	assert_string_equal(env.listen_host, "::1");
	assert_int_equal(env.listen_port, 0);
	assert_int_equal(parse(3, "run", "--listen", "localhost:65535"), 0);
	assert_int_equal(env.listen_port, 65535);

	expect_usage_error("not a number from 0 to 65535", parse(3, "run", "--listen", "a:65536"));
	expect_usage_error("not a number from 0 to 65535", parse(3, "run", "--listen", "a:-1"));
	expect_usage_error("not a number from 0 to 65535", parse(3, "run", "--listen", "a:"));
	expect_usage_error("not a number from 0 to 65535", parse(3, "run", "--listen", "a:9x"));
	expect_usage_error("is not ADDR:PORT", parse(3, "run", "--listen", "9464"));
	expect_usage_error("is not ADDR:PORT", parse(3, "run", "--listen", ":9464"));
	expect_usage_error("in brackets", parse(3, "run", "--listen", "::1:9464"));
	expect_usage_error("in brackets", parse(3, "run", "--listen", "[::1:9464"));
	expect_usage_error("no usable address", parse(3, "run", "--listen", "[]:9464"));
	expect_usage_error("does not apply to 'stream'", parse(3, "stream", "--listen", "a:1"));
}

/* strtoul alone takes leading blanks and a sign: each must be refused as malformed. */
static void test_numbers_digits_only(void **state)
{
	assert_int_equal(parse(3, "stream", "--fault-samples", "5"), 0);
	assert_int_equal(env.fault_samples, 5);
	assert_int_equal(parse(3, "top", "-n", "3"), 0);
	assert_int_equal(env.iterations, 3);
	expect_usage_error("--fault-samples: ' 5'", parse(3, "stream", "--fault-samples", " 5"));
	expect_usage_error("--fault-samples: '+5'", parse(3, "stream", "--fault-samples", "+5"));
	expect_usage_error("--fault-samples: '-0'", parse(3, "stream", "--fault-samples", "-0"));
	expect_usage_error("--fault-samples: '5 '", parse(3, "stream", "--fault-samples", "5 "));
	expect_usage_error("--fault-samples: ''", parse(3, "stream", "--fault-samples", ""));
	expect_usage_error("--fault-samples: '99999999999999999999'",
			   parse(3, "stream", "--fault-samples", "99999999999999999999"));
	expect_usage_error("--iterations: ' 3'", parse(3, "top", "-n", " 3"));
	expect_usage_error("--iterations: '+3'", parse(3, "top", "-n", "+3"));
	expect_usage_error("--iterations: '\t3'", parse(3, "top", "-n", "\t3"));
	expect_usage_error("not a number from 0 to 65535", parse(3, "run", "--listen", "a: 80"));
	expect_usage_error("not a number from 0 to 65535", parse(3, "run", "--listen", "a:+80"));
}

/* A path cut to fit its buffer would name another directory: refused whole. */
static void test_path_lengths(void **state)
{
	static char path[5000];

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[511] = '\0';
	assert_int_equal(parse(3, "stream", "--host-root", path), 0);
	path[511] = 'a';
	path[512] = '\0';
	expect_usage_error("--host-root: the path is 512 bytes long, more than 511",
			   parse(3, "stream", "--host-root", path));
	expect_usage_error("--docker-root: the path is 512 bytes long",
			   parse(3, "stream", "--docker-root", path));
	expect_usage_error("--containerd-state: the path is 512",
			   parse(3, "stream", "--containerd-state", path));
	expect_usage_error("--crio-state: the path is 512",
			   parse(3, "stream", "--crio-state", path));
	expect_usage_error("--podman-storage: the path is 512",
			   parse(3, "stream", "--podman-storage", path));
	path[512] = 'a';
	path[CLI_PIN_DIR_MAX] = '\0';
	assert_int_equal(parse(3, "run", "--pin", path), 0);
	path[CLI_PIN_DIR_MAX] = 'a';
	path[CLI_PIN_DIR_MAX + 1] = '\0';
	expect_usage_error("--pin: the path is", parse(3, "run", "--pin", path));
}

static void test_recommend_options(void **state)
{
	assert_int_equal(parse(2, "recommend", "--prometheus=http://prom:9090"), 0);
	assert_int_equal(env.command, CMD_RECOMMEND);
	assert_string_equal(env.prometheus_url, "http://prom:9090");
	assert_true(env.window_ns == 7ULL * 86400 * 1000000000ULL);
	assert_int_equal(env.format, RECOMMEND_FORMAT_TABLE);
	assert_null(env.namespace);
	assert_int_equal(parse(9, "recommend", "--prometheus", "https://p/", "--window", "5m",
			       "--namespace", "shop", "--format", "yaml"),
			 0);
	assert_true(env.window_ns == 300ULL * 1000000000ULL);
	assert_string_equal(env.namespace, "shop");
	assert_int_equal(env.format, RECOMMEND_FORMAT_YAML);
	assert_int_equal(parse(4, "recommend", "--format=json", "--prometheus", "http://p"), 0);
	assert_int_equal(env.format, RECOMMEND_FORMAT_JSON);

	expect_usage_error("recommend needs --prometheus URL", parse(1, "recommend"));
	expect_usage_error("not an http:// or https:// URL",
			   parse(2, "recommend", "--prometheus=prom:9090"));
	expect_usage_error("--format: 'xml' is not one of table, json, yaml",
			   parse(3, "recommend", "--prometheus=http://p", "--format=xml"));
	expect_usage_error("--window: invalid duration 'week'",
			   parse(3, "recommend", "--prometheus=http://p", "--window=week"));
	expect_usage_error("--window: '30s' is below the 1m minimum",
			   parse(3, "recommend", "--prometheus=http://p", "--window=30s"));
	expect_usage_error("--namespace: empty namespace",
			   parse(3, "recommend", "--prometheus=http://p", "--namespace="));
	/* recommend's options are its own, and it takes none of the agent's */
	expect_usage_error("option --window does not apply to 'stream'",
			   parse(2, "stream", "--window=1h"));
	expect_usage_error("option --interval does not apply to 'recommend'",
			   parse(3, "recommend", "--prometheus=http://p", "--interval=1s"));
}

static void test_profile_options(void **state)
{
	assert_int_equal(parse(3, "profile", "--pid", "1234"), 0);
	assert_int_equal(env.command, CMD_PROFILE);
	assert_int_equal(env.pid, 1234);
	assert_int_equal(env.profile_rate, PROFILE_RATE_DEFAULT);
	assert_int_equal(env.profile_format, PROFILE_FORMAT_AUTO);
	assert_null(env.output);
	assert_int_equal(parse(9, "--cgroup=/docker", "profile", "--duration", "30s", "--rate",
			       "250", "-o", "out.pb.gz", "--format=folded"),
			 0);
	assert_string_equal(env.cgroup_prefix, "/docker");
	assert_int_equal(env.profile_rate, 250);
	assert_string_equal(env.output, "out.pb.gz");
	assert_int_equal(env.profile_format, PROFILE_FORMAT_FOLDED);
	assert_int_equal(parse(4, "profile", "--pid=7", "--format", "pprof"), 0);
	assert_int_equal(env.profile_format, PROFILE_FORMAT_PPROF);

	expect_usage_error("profile needs one of --pid PID and --cgroup PREFIX",
			   parse(1, "profile"));
	expect_usage_error("profile needs one of --pid PID and --cgroup PREFIX",
			   parse(4, "profile", "--pid=1", "--cgroup", "/a"));
	expect_usage_error("--pid: '0' is not a process id", parse(2, "profile", "--pid=0"));
	expect_usage_error("--pid: '-3' is not a process id", parse(2, "profile", "--pid=-3"));
	expect_usage_error("--rate: '0' is not a number",
			   parse(3, "profile", "--pid=1", "--rate=0"));
	expect_usage_error("--rate: '100001' is not",
			   parse(3, "profile", "--pid=1", "--rate=100001"));
	expect_usage_error("--format: 'json' is not one of pprof, folded",
			   parse(3, "profile", "--pid=1", "--format=json"));
	expect_usage_error("--fault-hook off", parse(3, "profile", "--pid=1", "--fault-hook=off"));
	expect_usage_error("--output: empty file name",
			   parse(3, "profile", "--pid=1", "--output="));
	expect_usage_error("option --rate does not apply to 'stream'",
			   parse(2, "stream", "--rate=5"));
	expect_usage_error("option --interval does not apply to 'profile'",
			   parse(3, "profile", "--pid=1", "--interval=1s"));
	/* --format is read by the command it ends up with */
	expect_usage_error("--format: 'pprof' is not one of table, json, yaml",
			   parse(3, "--format=pprof", "recommend", "--prometheus=http://p"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_stream_options_both_spellings),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_option_scope_checked_however_often_given),
		cmocka_unit_test(test_help_forms),
		cmocka_unit_test(test_help_lists_only_real_commands),
		cmocka_unit_test(test_listen_addresses),
		cmocka_unit_test(test_numbers_digits_only),
		cmocka_unit_test(test_path_lengths),
		cmocka_unit_test(test_recommend_options),
		cmocka_unit_test(test_profile_options),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
