// SPDX-License-Identifier: BSD-2-Clause
/*
 * Boot manifest parser and checker on the host: a full manifest field by
 * field, every error with its line, the lexical corners (comments, CRLF, no
 * final newline, no NUL terminator), the table limits exactly, the check
 * against a machine and an in-memory cpio, and a mutation fuzz loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include <hekate/errno.h>
#include <hekate/manifest.h>

static struct manifest man; /* about 16 KiB: not on the stack */
static char err[256];

/* Parse from an exactly-sized heap copy, so ASan catches any read past len. */
static int parse_n(const char *text, size_t len)
{
	char *p = malloc(len ? len : 1);
	assert_non_null(p);
	memcpy(p, text, len);
	err[0] = '\0';
	int rc = manifest_parse(p, len, &man, err, sizeof(err));
	free(p);
	return rc;
}

static int parse(const char *text) { return parse_n(text, strlen(text)); }

static void expect_ok(const char *text)
{
	int rc = parse(text);
	if (rc)
		fail_msg("rc %d: %s\n--- text:\n%s", rc, err, text);
}

static void expect_err(const char *text, int code, const char *msg)
{
	int rc = parse(text);
	if (rc != code || strcmp(err, msg))
		fail_msg("rc %d, err \"%s\"\nwanted %d, \"%s\"\n--- text:\n%s", rc, err, code, msg,
		         text);
}

/* argv strings of p, joined by '|' for easy comparison. */
static const char *joined_args(const struct man_proc *p)
{
	static char buf[MAN_ARGS_MAX + 1];
	assert_true(p->args_len <= MAN_ARGS_MAX);
	memcpy(buf, p->args, p->args_len);
	for (unsigned i = 0; i + 1 < p->args_len; i++) {
		if (!buf[i])
			buf[i] = '|';
	}
	buf[p->args_len ? p->args_len - 1 : 0] = '\0';
	return buf;
}

static const char full[] =
    "# The test node's manifest\n"
    "\n"
    "set halt=when-done\n"
    "proc init bin=bin/init supervisor args=\"--verbose  -x   y\"   # the supervisor\n"
    "   proc poller bin=bin/poller claim=2 cores=2 restart=on-failure device=virtio-net.0 "
    "device=virtio-entropy.0\n"
    "proc echo bin=\"bin/echo\" args=single cores=0,3-4 restart=always max-restarts=7 "
    "expect=42\n"
    "\t# an indented comment\n"
    "proc idle bin=bin/idle cores=any restart=never expect=0\n"
    "proc t.1_x-y bin=bin/t claim=5 restart=on-failure\n";

static void test_kan_keys(void **state)
{
	(void)state;
	expect_ok("set kan-prefix=fd12:3456:789a:1::/64\nset kan-pages=64\n"
	          "proc r bin=r supervisor uplink kan-quota=1024 kan-endpoints=8192\n"
	          "proc w bin=w mgmt\n");
	assert_int_equal(man.procs[1].mgmt, 1);
	assert_int_equal(man.procs[0].mgmt, 0);
	static const uint8_t want[16] = {0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0, 1};
	assert_int_equal(man.has_kan_prefix, 1);
	assert_memory_equal(man.kan_prefix.b, want, 16);
	assert_int_equal(man.kan_pages, 64);
	assert_int_equal(man.procs[0].uplink, 1);
	assert_int_equal(man.procs[0].kan_quota, 1024);
	assert_int_equal(man.procs[0].kan_eps, 8192);
	/* defaults */
	assert_int_equal(man.procs[1].uplink, 0);
	assert_int_equal(man.procs[1].kan_quota, HK_KAN_QUOTA_DEF);
	assert_int_equal(man.procs[1].kan_eps, HK_KAN_EPS_DEF);
	expect_ok("proc r bin=r supervisor\n");
	assert_int_equal(man.has_kan_prefix, 0);
	assert_int_equal(man.kan_pages, 0);
}

/* pipeline NAME stages=...: links, forward rights, and every refusal. */
static void test_pipeline(void **state)
{
	(void)state;
	expect_ok("proc i bin=i supervisor\nproc mac bin=m uplink\nproc a bin=a\nproc b bin=b\n"
	          "proc c bin=c\nproc d bin=d forward\nproc e bin=e\n"
	          "pipeline p1 stages=a,b,c\npipeline p2 stages=e,d\n");
	assert_int_equal(man.npipes, 2);
	assert_string_equal(man.pipes[0].name, "p1");
	assert_int_equal(man.pipes[0].nstages, 3);
	assert_int_equal(man.pipes[1].stage[0], 6);
	assert_int_equal(man.pipes[1].stage[1], 5);
	static const int next[] = {-1, -1, 3, 4, -1, -1, 5}, first[] = {-1, -1, 2, 2, 2, 6, 6};
	static const int pipe[] = {-1, -1, 0, 0, 0, 1, 1}, fwd[] = {0, 0, 1, 1, 0, 1, 1};
	for (unsigned k = 0; k < 7; k++) {
		assert_int_equal(man.procs[k].pipe_next, next[k]);
		assert_int_equal(man.procs[k].pipe_first, first[k]);
		assert_int_equal(man.procs[k].pipe, pipe[k]);
		assert_int_equal(man.procs[k].forward, fwd[k]); /* d: explicit, and a stage */
	}
	static const struct {
		const char *text, *msg;
	} bad[] = {
	    {"pipeline\n", "manifest line 2: pipeline needs a NAME, then stages=A,B,..."},
	    {"pipeline p\n", "manifest line 2: pipeline 'p': expected stages=A,B,..."},
	    {"pipeline p a,b\n", "manifest line 2: pipeline 'p': expected stages=A,B,..."},
	    {"pipeline p stage=a,b\n", "manifest line 2: pipeline 'p': expected stages=A,B,..."},
	    {"pipeline p stages=a\n", "manifest line 2: pipeline 'p': needs at least 2 stages"},
	    {"pipeline p stages=a,\n", "manifest line 2: pipeline 'p': empty stage name in stages="},
	    {"pipeline p stages=,a\n", "manifest line 2: pipeline 'p': empty stage name in stages="},
	    {"pipeline p stages=a,,b\n", "manifest line 2: pipeline 'p': empty stage name in stages="},
	    {"pipeline p stages=a,zz\n",
	     "manifest line 2: pipeline 'p': unknown process 'zz' (declare processes before the "
	     "pipelines that use them)"},
	    {"pipeline p stages=a,a\n",
	     "manifest line 2: pipeline 'p': process 'a' is already a stage of 'p'"},
	    {"pipeline p stages=a,b\npipeline q stages=b,a\n",
	     "manifest line 3: pipeline 'q': process 'b' is already a stage of 'p'"},
	    {"pipeline p stages=a,b\npipeline p stages=c,d\n",
	     "manifest line 3: duplicate pipeline name 'p' (first on line 12)"},
	    {"pipeline p stages=a,i\n", "manifest line 2: pipeline 'p': 'i' is the supervisor and "
	                                "cannot be a stage"},
	    {"pipeline p stages=m,a\n",
	     "manifest line 2: pipeline 'p': 'm' is the uplink and cannot be a stage"},
	    {"pipeline p stages=a,b c\n", "manifest line 2: pipeline 'p': unexpected 'c' after stages="},
	    {"pipeline p/q stages=a,b\n",
	     "manifest line 2: pipeline name 'p/q' has a character outside [A-Za-z0-9_.-]"},
	    {"pipeline p stages=a,b,c,d,e,f,g,h,j\n",
	     "manifest line 2: pipeline 'p': more than 8 stages"},
	};
	/* 11 procs (lines 1-11), then the pipeline line: its number is the table's + 10 */
	static const char procs[] = "proc i bin=i supervisor\nproc m bin=m uplink\nproc a bin=a\n"
	                            "proc b bin=b\nproc c bin=c\nproc d bin=d\nproc e bin=e\n"
	                            "proc f bin=f\nproc g bin=g\nproc h bin=h\nproc j bin=j\n";
	for (unsigned k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		char t[1024], msg[256];
		snprintf(t, sizeof(t), "%s%s", procs, bad[k].text);
		unsigned line = (unsigned)atoi(bad[k].msg + strlen("manifest line "));
		snprintf(msg, sizeof(msg), "manifest line %u%s", line + 10, strchr(bad[k].msg, ':'));
		expect_err(t, -HK_EBADMAN, msg);
	}
	char many[2048] = "proc i bin=i supervisor\n";
	for (unsigned k = 0; k < 2 * (MAN_MAX_PIPES + 1); k++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "proc s%u bin=s\n", k);
	for (unsigned k = 0; k <= MAN_MAX_PIPES; k++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
		         "pipeline p%u stages=s%u,s%u\n", k, 2 * k, 2 * k + 1);
	expect_err(many, -HK_ETOOMANY, "manifest line 28: more than 8 pipelines");
}

static void test_full(void **state)
{
	(void)state;
	expect_ok(full);
	assert_int_equal(man.nprocs, 5);
	assert_int_equal(man.halt_when_done, 1);

	const struct man_proc *p = &man.procs[0];
	assert_string_equal(p->name, "init");
	assert_string_equal(p->bin, "bin/init");
	assert_int_equal(p->argc, 3);
	assert_int_equal(p->args_len, 15);
	assert_string_equal(joined_args(p), "--verbose|-x|y");
	assert_int_equal(p->cores, 0);
	assert_int_equal(p->claim, -1);
	assert_int_equal(p->restart, MAN_RESTART_NEVER);
	assert_int_equal(p->max_restarts, 0);
	assert_int_equal(p->supervisor, 1);
	assert_int_equal(p->ndevs, 0);
	assert_int_equal(p->has_expect, 0);
	assert_int_equal(p->line, 4);

	p = &man.procs[1];
	assert_string_equal(p->name, "poller");
	assert_string_equal(p->bin, "bin/poller");
	assert_int_equal(p->argc, 0);
	assert_int_equal(p->args_len, 0);
	assert_int_equal(p->cores, 1u << 2);
	assert_int_equal(p->claim, 2);
	assert_int_equal(p->restart, MAN_RESTART_ON_FAILURE);
	assert_int_equal(p->max_restarts, 3); /* default when restarting */
	assert_int_equal(p->supervisor, 0);
	assert_int_equal(p->ndevs, 2);
	assert_string_equal(p->devs[0], "virtio-net.0");
	assert_string_equal(p->devs[1], "virtio-entropy.0");
	assert_int_equal(p->line, 5);

	p = &man.procs[2];
	assert_string_equal(p->name, "echo");
	assert_string_equal(p->bin, "bin/echo");
	assert_int_equal(p->argc, 1);
	assert_int_equal(p->args_len, 7);
	assert_string_equal(p->args, "single");
	assert_int_equal(p->cores, 0x19); /* 0, 3, 4 */
	assert_int_equal(p->claim, -1);
	assert_int_equal(p->restart, MAN_RESTART_ALWAYS);
	assert_int_equal(p->max_restarts, 7);
	assert_int_equal(p->has_expect, 1);
	assert_int_equal(p->expect, 42);
	assert_int_equal(p->line, 6);

	p = &man.procs[3];
	assert_string_equal(p->name, "idle");
	assert_int_equal(p->cores, 0);
	assert_int_equal(p->restart, MAN_RESTART_NEVER);
	assert_int_equal(p->has_expect, 1);
	assert_int_equal(p->expect, 0);
	assert_int_equal(p->line, 8);

	p = &man.procs[4];
	assert_string_equal(p->name, "t.1_x-y");
	assert_int_equal(p->claim, 5);
	assert_int_equal(p->cores, 1u << 5); /* claim implies cores */
	assert_int_equal(p->max_restarts, 3);
	assert_int_equal(p->line, 9);

	assert_int_equal(manifest_find(&man, "init"), 0);
	assert_int_equal(manifest_find(&man, "echo"), 2);
	assert_int_equal(manifest_find(&man, "t.1_x-y"), 4);
	assert_int_equal(manifest_find(&man, "ech"), -1);
	assert_int_equal(manifest_find(&man, "echo "), -1);
	assert_int_equal(manifest_find(&man, ""), -1);
	assert_int_equal(manifest_find(&man, "a-name-that-is-far-too-long-for-the-table"), -1);
}

static void test_minimal_defaults(void **state)
{
	(void)state;
	expect_ok("proc init bin=init supervisor");
	assert_int_equal(man.nprocs, 1);
	assert_int_equal(man.halt_when_done, 0);
	assert_int_equal(man.procs[0].restart, MAN_RESTART_NEVER);
	assert_int_equal(man.procs[0].max_restarts, 0);
	assert_int_equal(man.procs[0].claim, -1);
	assert_int_equal(man.procs[0].cores, 0);
	expect_ok("proc init bin=init supervisor restart=always max-restarts=0\n");
	assert_int_equal(man.procs[0].max_restarts, 0);
	expect_ok("proc init bin=init supervisor restart=on-failure max-restarts=4294967295\n");
	assert_int_equal(man.procs[0].max_restarts, 4294967295u);
	expect_ok("proc init bin=init supervisor claim=0 cores=0\n");
	assert_int_equal(man.procs[0].cores, 1);
	expect_ok("proc init bin=init supervisor cores=0-63\n");
	assert_int_equal(man.procs[0].cores, UINT64_MAX);
	expect_ok("proc init bin=init supervisor cores=7,1-2,2\n");
	assert_int_equal(man.procs[0].cores, 0x86);
	expect_ok("proc init bin=init supervisor claim=63 expect=255\n");
	assert_int_equal(man.procs[0].cores, 1ull << 63);
	assert_int_equal(man.procs[0].expect, 255);
	expect_ok("proc init bin=init supervisor args=\"  a  \"\n");
	assert_int_equal(man.procs[0].argc, 1);
	assert_int_equal(man.procs[0].args_len, 2);
	expect_ok("proc init bin=init supervisor args=\"x#y\" # not a comment inside quotes\n");
	assert_string_equal(man.procs[0].args, "x#y");
	expect_ok("proc init bin=init#comment right after a value\nproc b bin=b supervisor#x\n");
	assert_string_equal(man.procs[0].bin, "init");
	assert_int_equal(man.procs[1].supervisor, 1);
	expect_ok("proc init bin=init supervisor args=a=b\n");
	assert_string_equal(man.procs[0].args, "a=b");
}

/* Comments, blank lines, CRLF, trailing blanks, no final newline, no NUL after the text. */
static void test_lexical(void **state)
{
	(void)state;
	static const char crlf[] = "# comment\r\n"
	                           "\r\n"
	                           "   \t \r\n"
	                           "proc a bin=bin/a args=\"x y\" \t \r\n"
	                           "#proc ghost bin=nothing\r\n"
	                           "proc b bin=bin/b supervisor   \r\n"
	                           "set halt=when-done\r\n"
	                           "proc c bin=bin/c";
	assert_int_equal(parse_n(crlf, sizeof(crlf) - 1), 0);
	assert_int_equal(man.nprocs, 3);
	assert_string_equal(man.procs[0].bin, "bin/a");
	assert_int_equal(man.procs[0].argc, 2);
	assert_string_equal(joined_args(&man.procs[0]), "x|y");
	assert_int_equal(man.procs[1].supervisor, 1);
	assert_int_equal(man.procs[1].line, 6);
	assert_string_equal(man.procs[2].bin, "bin/c"); /* no final newline, no NUL */
	assert_int_equal(man.procs[2].line, 8);
	assert_int_equal(man.halt_when_done, 1);

	/* the same text cut just before its last byte: bin=bin/ */
	assert_int_equal(parse_n(crlf, sizeof(crlf) - 2), 0);
	assert_string_equal(man.procs[2].bin, "bin/");

	/* a NUL byte inside the text */
	static const char nul[] = "proc a bin=a supervisor\nproc b bin=b\0x\n";
	assert_int_equal(parse_n(nul, sizeof(nul) - 1), -HK_EBADMAN);
	assert_string_equal(err, "manifest line 2: NUL byte in the text");
	static const char nul2[] = "proc a bin=a supervisor\n# \0 in a comment\n";
	assert_int_equal(parse_n(nul2, sizeof(nul2) - 1), -HK_EBADMAN);
	assert_string_equal(err, "manifest line 2: NUL byte in the text");
	expect_err("proc a bin=a\x1b supervisor\n", -HK_EBADMAN,
	           "manifest line 1: control character 0x1b");

	/* empty text and only comments: no supervisor */
	assert_int_equal(parse_n("", 0), -HK_EBADMAN);
	assert_string_equal(err, "manifest: no supervisor process");
	expect_err("# nothing\n\n", -HK_EBADMAN, "manifest: no supervisor process");
}

static void test_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int code;
		const char *msg;
	} cases[] = {
	    {"proc a bin=a supervisor\n\nproc b bin=b foo=1\n", -HK_EBADMAN,
	     "manifest line 3: unknown key 'foo'"},
	    {"proc a bin=a supervisor bar\n", -HK_EBADMAN, "manifest line 1: unknown key 'bar'"},
	    {"proc a bin=a supervisor\nproc echo bin=e\n#\n\nproc echo bin=f\n", -HK_EBADMAN,
	     "manifest line 5: duplicate process name 'echo' (first on line 2)"},
	    {"proc i bin=i supervisor\n#\n#\nproc poller bin=p claim=2\n\nproc x bin=x claim=2\n",
	     -HK_EBADMAN, "manifest line 6: core 2 already claimed by 'poller' (line 4)"},
	    {"proc i bin=i supervisor\n#\n#\nproc x restart=always\n", -HK_EBADMAN,
	     "manifest line 4: process 'x' has no bin="},
	    {"proc a bin=a\n", -HK_EBADMAN, "manifest: no supervisor process"},
	    {"proc init bin=i supervisor\nproc y bin=y supervisor\n", -HK_EBADMAN,
	     "manifest line 2: a second supervisor 'y' (first 'init' on line 1)"},
	    {"proc i bin=i supervisor\nproc w bin=w cores=1-3\nproc c bin=c claim=2\n", -HK_EBADMAN,
	     "manifest line 3: 'c' claims core 2, which 'w' (line 2) lists in cores="},
	    {"proc i bin=i supervisor\nproc c bin=c claim=2\nproc w bin=w cores=0,2\n", -HK_EBADMAN,
	     "manifest line 3: cores= of 'w' includes core 2, claimed by 'c' (line 2)"},
	    {"proc i bin=i supervisor args=\"a b\n", -HK_EBADMAN,
	     "manifest line 1: unterminated quote in the value of 'args'"},
	    {"proc i bin=i supervisor args=\"a\"b\n", -HK_EBADMAN,
	     "manifest line 1: text after the closing quote of 'args'"},
	    {"proc i bin=i supervisor args=a\"b\"\n", -HK_EBADMAN,
	     "manifest line 1: stray quote in the value of 'args'"},
	    {"proc \"i\" bin=i supervisor\n", -HK_EBADMAN,
	     "manifest line 1: stray quote (double quotes only enclose a whole value: "
	     "KEY=\"...\")"},
	    {"proc i bin=i supervisor ar\"gs=x\"\n", -HK_EBADMAN,
	     "manifest line 1: stray quote (double quotes only enclose a whole value: "
	     "KEY=\"...\")"},
	    {"proc i bin= supervisor\n", -HK_EBADMAN, "manifest line 1: empty value for 'bin'"},
	    {"proc i bin=\"\" supervisor\n", -HK_EBADMAN, "manifest line 1: empty value for 'bin'"},
	    {"proc i bin=i supervisor args=\"   \"\n", -HK_EBADMAN,
	     "manifest line 1: empty value for 'args'"},
	    {"proc i bin=i supervisor\nrun i\n", -HK_EBADMAN,
	     "manifest line 2: unknown directive 'run' (expected proc, set or pipeline)"},
	    {"proc=i bin=i supervisor\n", -HK_EBADMAN,
	     "manifest line 1: unknown directive 'proc=i' (expected proc, set or pipeline)"},
	    {"proc i bin=i supervisor restart=sometimes\n", -HK_EBADMAN,
	     "manifest line 1: unknown restart policy 'sometimes' (expected never, on-failure or "
	     "always)"},
	    {"set colour=blue\nproc i bin=i supervisor\n", -HK_EBADMAN,
	     "manifest line 1: set: unknown key 'colour' (known: halt, kan-prefix, kan-pages)"},
	    {"set kan-prefix=fd00::1/64\n", -HK_EBADMAN,
	     "manifest line 1: set kan-prefix=fd00::1/64: expected an IPv6 /64 such as fd00:1::/64"},
	    {"set kan-prefix=fd00::/48\n", -HK_EBADMAN,
	     "manifest line 1: set kan-prefix=fd00::/48: expected an IPv6 /64 such as fd00:1::/64"},
	    {"set kan-prefix=ff02::/64\n", -HK_EBADMAN,
	     "manifest line 1: set kan-prefix=ff02::/64: expected an IPv6 /64 such as fd00:1::/64"},
	    {"set kan-pages=63\n", -HK_EBADMAN, "manifest line 1: set kan-pages=63: at least 64"},
	    {"set kan-pages=262145\n", -HK_EBADMAN,
	     "manifest line 1: kan-pages=262145: above the limit 262144"},
	    {"set kan-pages=\n", -HK_EBADMAN, "manifest line 1: empty value for 'kan-pages'"},
	    {"proc a bin=x supervisor kan-quota=0\n", -HK_EBADMAN,
	     "manifest line 1: kan-quota must be at least 1"},
	    {"proc a bin=x supervisor kan-quota=1025\n", -HK_EBADMAN,
	     "manifest line 1: kan-quota=1025: above the limit 1024"},
	    {"proc a bin=x supervisor kan-endpoints=0\n", -HK_EBADMAN,
	     "manifest line 1: kan-endpoints must be at least 1"},
	    {"proc a bin=x supervisor kan-endpoints=8193\n", -HK_EBADMAN,
	     "manifest line 1: kan-endpoints=8193: above the limit 8192"},
	    {"proc a bin=x supervisor uplink=yes\n", -HK_EBADMAN,
	     "manifest line 1: 'uplink' takes no value"},
	    {"proc a bin=x supervisor uplink\nproc b bin=y uplink\n", -HK_EBADMAN,
	     "manifest line 2: a second uplink 'b' (first 'a' on line 1)"},
	    {"proc a bin=x supervisor mgmt=1\n", -HK_EBADMAN, "manifest line 1: 'mgmt' takes no value"},
	    {"proc a bin=x supervisor\nproc b bin=y mgmt\nproc c bin=z mgmt\n", -HK_EBADMAN,
	     "manifest line 3: a second management service 'c' (first 'b' on line 2)"},
	    {"set halt=never\n", -HK_EBADMAN,
	     "manifest line 1: set halt=never: expected halt=when-done"},
	    {"set halt=\n", -HK_EBADMAN, "manifest line 1: empty value for 'halt'"},
	    {"set\n", -HK_EBADMAN, "manifest line 1: set needs KEY=VALUE"},
	    {"set halt\n", -HK_EBADMAN, "manifest line 1: set needs KEY=VALUE"},
	    {"set halt=when-done x=y\n", -HK_EBADMAN,
	     "manifest line 1: set takes one KEY=VALUE, then 'x=y'"},
	    {"proc\n", -HK_EBADMAN, "manifest line 1: proc needs a NAME before its keys"},
	    {"proc bin=x supervisor\n", -HK_EBADMAN,
	     "manifest line 1: proc needs a NAME before its keys"},
	    {"proc a/b bin=x supervisor\n", -HK_EBADMAN,
	     "manifest line 1: process name 'a/b' has a character outside [A-Za-z0-9_.-]"},
	    {"proc a bin=x supervisor=yes\n", -HK_EBADMAN,
	     "manifest line 1: 'supervisor' takes no value"},
	    {"proc a bin supervisor\n", -HK_EBADMAN,
	     "manifest line 1: key 'bin' needs a value (bin=...)"},
	    {"proc a bin=x bin=y supervisor\n", -HK_EBADMAN,
	     "manifest line 1: key 'bin' given twice"},
	    {"proc a bin=x supervisor supervisor\n", -HK_EBADMAN,
	     "manifest line 1: key 'supervisor' given twice"},
	    {"proc a bin=x supervisor =y\n", -HK_EBADMAN,
	     "manifest line 1: '=' without a key before it"},
	    {"proc a bin=x supervisor claim=1 cores=1-2\n", -HK_EBADMAN,
	     "manifest line 1: process 'a': claim=1 but cores= is not exactly core 1"},
	    {"proc a bin=x supervisor claim=1 cores=any\n", -HK_EBADMAN,
	     "manifest line 1: process 'a': claim=1 but cores= is not exactly core 1"},
	    {"proc a bin=x supervisor max-restarts=2\n", -HK_EBADMAN,
	     "manifest line 1: process 'a': max-restarts= needs restart=on-failure or always"},
	    {"proc a bin=x supervisor claim=64\n", -HK_EBADMAN,
	     "manifest line 1: claim=64: above the limit 63"},
	    {"proc a bin=x supervisor claim=-1\n", -HK_EBADMAN,
	     "manifest line 1: claim=-1: not a decimal number"},
	    {"proc a bin=x supervisor expect=256\n", -HK_EBADMAN,
	     "manifest line 1: expect=256: above the limit 255"},
	    {"proc a bin=x supervisor expect=-1\n", -HK_EBADMAN,
	     "manifest line 1: expect=-1: not a decimal number"},
	    {"proc a bin=x supervisor expect=0x10\n", -HK_EBADMAN,
	     "manifest line 1: expect=0x10: not a decimal number"},
	    {"proc a bin=x supervisor restart=always max-restarts=4294967296\n", -HK_EBADMAN,
	     "manifest line 1: max-restarts=4294967296: above the limit 4294967295"},
	    {"proc a bin=x supervisor restart=always max-restarts=99999999999999999999999\n",
	     -HK_EBADMAN,
	     "manifest line 1: max-restarts=99999999999999999999999: above the limit 4294967295"},
	    {"proc a bin=x supervisor cores=64\n", -HK_EBADMAN,
	     "manifest line 1: cores=: core 64 is above the limit 63"},
	    {"proc a bin=x supervisor cores=3-1\n", -HK_EBADMAN,
	     "manifest line 1: cores=: range 3-1 is backwards"},
	    {"proc a bin=x supervisor cores=1,\n", -HK_EBADMAN,
	     "manifest line 1: cores=: '' is not a core number (expected any, N, A-B or a "
	     "comma-separated list)"},
	    {"proc a bin=x supervisor cores=1--2\n", -HK_EBADMAN,
	     "manifest line 1: cores=: '-2' is not a core number (expected any, N, A-B or a "
	     "comma-separated list)"},
	    {"proc a bin=x supervisor cores=all\n", -HK_EBADMAN,
	     "manifest line 1: cores=: 'all' is not a core number (expected any, N, A-B or a "
	     "comma-separated list)"},
	    {"proc a bin=x supervisor device=d device=d\n", -HK_EBADMAN,
	     "manifest line 1: device 'd' granted twice"},
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_err(cases[i].text, cases[i].code, cases[i].msg);
}

/* Build "proc NAME bin=b" lines etc. into a growing buffer. */
static char text[64 * 1024];

/* Expect every entry's pipe, pipe_next, pipe_first and forward (7 entries). */
static void expect_links(const int *pipe, const int *next, const int *first, const int *fwd)
{
	for (unsigned k = 0; k < 7; k++) {
		assert_int_equal(man.procs[k].pipe, pipe[k]);
		assert_int_equal(man.procs[k].pipe_next, next[k]);
		assert_int_equal(man.procs[k].pipe_first, first[k]);
		assert_int_equal(man.procs[k].forward, fwd[k]);
	}
}

/* manifest_pipe_set: reorder, shrink, grow, and every refusal changing nothing. */
static void test_pipe_set(void **state)
{
	(void)state;
	uint64_t ch = 0;
	expect_ok("proc i bin=i supervisor\nproc mac bin=m uplink\nproc a bin=a\nproc b bin=b\n"
	          "proc c bin=c\nproc d bin=d forward\nproc e bin=e\nproc g bin=g mgmt\n"
	          "pipeline p1 stages=a,b,c\npipeline p2 stages=e,d\n");
	/* p1 = c,a: b leaves (its forward goes), c forwards now, a is last */
	assert_int_equal(manifest_pipe_set(&man, "p1", (const uint8_t[]){4, 2}, 2, &ch), 0);
	assert_int_equal(ch, 1u << 2 | 1u << 3 | 1u << 4);
	expect_links((const int[]){-1, -1, 0, -1, 0, 1, 1}, (const int[]){-1, -1, -1, -1, 2, -1, 5},
	             (const int[]){-1, -1, 4, -1, 4, 6, 6}, (const int[]){0, 0, 0, 0, 1, 1, 1});
	assert_int_equal(man.pipes[0].nstages, 2);
	/* p2 = d,e: d keeps its explicit forward as the last stage */
	assert_int_equal(manifest_pipe_set(&man, "p2", (const uint8_t[]){5, 6}, 2, &ch), 0);
	assert_int_equal(ch, 1u << 5 | 1u << 6);
	assert_int_equal(man.procs[5].forward, 1);
	assert_int_equal(man.procs[5].pipe_next, 6);
	assert_int_equal(man.procs[6].pipe_next, -1);
	assert_int_equal(man.procs[6].forward, 0);
	/* the same order again changes nothing */
	assert_int_equal(manifest_pipe_set(&man, "p2", (const uint8_t[]){5, 6}, 2, &ch), 0);
	assert_int_equal(ch, 0);
	/* refusals: nothing changes */
	static const struct {
		const char *pipe;
		uint8_t st[9];
		unsigned n;
		int rc;
	} bad[] = {
	    {"nope", {2, 3}, 2, -HK_ENOENT},       {"p1", {2}, 1, -HK_EINVAL},
	    {"p1", {2, 3, 4, 2}, 4, -HK_EINVAL},   {"p1", {2, 8}, 2, -HK_EINVAL},
	    {"p1", {2, 255}, 2, -HK_EINVAL},       {"p1", {0, 2}, 2, -HK_EPERM},
	    {"p1", {2, 1}, 2, -HK_EPERM},          {"p1", {2, 7}, 2, -HK_EPERM},
	    {"p1", {2, 5}, 2, -HK_EBUSY},          {"p1", {2, 3, 4, 5, 6, 7, 1, 0, 2}, 9, -HK_EINVAL},
	};
	struct man_proc before[8];
	memcpy(before, man.procs, sizeof(before));
	struct man_pipe pb = man.pipes[0];
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ch = 12345;
		int rc = manifest_pipe_set(&man, bad[i].pipe, bad[i].st, bad[i].n, &ch);
		if (rc != bad[i].rc)
			fail_msg("case %u: rc %d, want %d", i, rc, bad[i].rc);
		assert_memory_equal(before, man.procs, sizeof(before));
		assert_memory_equal(&pb, &man.pipes[0], sizeof(pb));
	}
}

static void test_limits(void **state)
{
	(void)state;
	size_t n = 0;

	/* exactly MAN_MAX_PROCS processes, then one more */
	for (int i = 0; i < MAN_MAX_PROCS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "proc p%d bin=bin/p%d%s\n", i, i,
		                      i == 7 ? " supervisor" : "");
	expect_ok(text);
	assert_int_equal(man.nprocs, MAN_MAX_PROCS);
	assert_string_equal(man.procs[31].name, "p31");
	snprintf(text + n, sizeof(text) - n, "proc extra bin=x\n");
	expect_err(text, -HK_ETOOMANY, "manifest line 33: more than 32 processes");

	/* the longest name (MAN_NAME_MAX - 1 bytes), then one byte more */
	char name[MAN_NAME_MAX + 1];
	memset(name, 'n', sizeof(name));
	name[MAN_NAME_MAX - 1] = '\0';
	snprintf(text, sizeof(text), "proc %s bin=b supervisor\n", name);
	expect_ok(text);
	assert_string_equal(man.procs[0].name, name);
	assert_int_equal(manifest_find(&man, name), 0);
	name[MAN_NAME_MAX - 1] = 'n';
	name[MAN_NAME_MAX] = '\0';
	snprintf(text, sizeof(text), "proc %s bin=b supervisor\n", name);
	char msg[128];
	snprintf(msg, sizeof(msg), "manifest line 1: process name '%s' is 24 bytes, at most 23",
	         name);
	expect_err(text, -HK_EBADMAN, msg);

	/* bin: 63 bytes fit, 64 do not */
	char bin[MAN_BIN_MAX + 1];
	memset(bin, 'b', sizeof(bin));
	bin[MAN_BIN_MAX - 1] = '\0';
	snprintf(text, sizeof(text), "proc a bin=%s supervisor\n", bin);
	expect_ok(text);
	assert_string_equal(man.procs[0].bin, bin);
	bin[MAN_BIN_MAX - 1] = 'b';
	bin[MAN_BIN_MAX] = '\0';
	snprintf(text, sizeof(text), "proc a bin=%s supervisor\n", bin);
	expect_err(text, -HK_EBADMAN, "manifest line 1: bin= is 64 bytes, at most 63");

	/* device names: 31 bytes fit, 32 do not; 4 devices fit, 5 do not */
	char dev[MAN_DEV_MAX + 1];
	memset(dev, 'd', sizeof(dev));
	dev[MAN_DEV_MAX - 1] = '\0';
	snprintf(text, sizeof(text), "proc a bin=b supervisor device=%s\n", dev);
	expect_ok(text);
	assert_string_equal(man.procs[0].devs[0], dev);
	dev[MAN_DEV_MAX - 1] = 'd';
	dev[MAN_DEV_MAX] = '\0';
	snprintf(text, sizeof(text), "proc a bin=b supervisor device=%s\n", dev);
	expect_err(text, -HK_EBADMAN, "manifest line 1: device= is 32 bytes, at most 31");
	expect_ok("proc a bin=b supervisor device=d0 device=d1 device=d2 device=d3\n");
	assert_int_equal(man.procs[0].ndevs, 4);
	assert_string_equal(man.procs[0].devs[3], "d3");
	expect_err("proc a bin=b supervisor device=d0 device=d1 device=d2 device=d3 device=d4\n",
	           -HK_EBADMAN, "manifest line 1: more than 4 device= grants");

	/* args: 16 arguments fit, 17 do not */
	n = (size_t)snprintf(text, sizeof(text), "proc a bin=b supervisor args=\"");
	for (int i = 0; i < MAN_MAX_ARGC; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, " a%d", i);
	snprintf(text + n, sizeof(text) - n, "\"\n");
	expect_ok(text);
	assert_int_equal(man.procs[0].argc, MAN_MAX_ARGC);
	snprintf(text + n, sizeof(text) - n, " one-more\"\n");
	expect_err(text, -HK_EBADMAN, "manifest line 1: args= has more than 16 arguments");

	/* args: 192 bytes with the NULs fit (16 x 11 + 16), one more byte does not */
	n = (size_t)snprintf(text, sizeof(text), "proc a bin=b supervisor args=\"");
	for (int i = 0; i < MAN_MAX_ARGC; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%011d ", i);
	snprintf(text + n, sizeof(text) - n, "\"\n");
	expect_ok(text);
	assert_int_equal(man.procs[0].argc, 16);
	assert_int_equal(man.procs[0].args_len, MAN_ARGS_MAX);
	text[n - 2] = '9';
	text[n - 1] = '9'; /* the last argument grows by one byte */
	snprintf(text + n, sizeof(text) - n, "\"\n");
	expect_err(text, -HK_EBADMAN,
	           "manifest line 1: args= needs more than 192 bytes (NUL-separated)");
}

/* ---- manifest_check against a machine and an in-memory cpio ---- */

static unsigned char cpio[1024];
static size_t cpio_len;

static void cpio_add(const char *name, uint32_t mode, const char *data)
{
	size_t nlen = strlen(name) + 1, dlen = strlen(data);
	char hdr[111];
	snprintf(hdr, sizeof(hdr), "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x", 1u,
	         mode, 0u, 0u, 1u, 0u, (unsigned)dlen, 0u, 0u, 0u, 0u, (unsigned)nlen, 0u);
	memcpy(cpio + cpio_len, hdr, 110);
	memcpy(cpio + cpio_len + 110, name, nlen);
	cpio_len = (cpio_len + 110 + nlen + 3) & ~(size_t)3;
	memcpy(cpio + cpio_len, data, dlen);
	cpio_len = (cpio_len + dlen + 3) & ~(size_t)3;
	assert_true(cpio_len < sizeof(cpio) - 200);
}

static void make_cpio(void)
{
	memset(cpio, 0, sizeof(cpio));
	cpio_len = 0;
	cpio_add("bin/init", 0100755, "\177ELF-init");
	cpio_add("./bin/poller", 0100755, "\177ELF-poller");
	cpio_add("bin/idle", 0100755, "\177ELF-idle");
	cpio_add("bin/dir", 040755, "");
	cpio_add("TRAILER!!!", 0, "");
}

static const char *const devs[] = {"virtio-net.0", "virtio-entropy.0"};

static int run_check(const char *t, unsigned ncpus)
{
	if (parse(t))
		fail_msg("parse: %s", err);
	err[0] = '\0';
	return manifest_check(&man, ncpus, cpio, cpio_len, devs, 2, err, sizeof(err));
}

static void check_fails(const char *t, unsigned ncpus, const char *msg)
{
	int rc = run_check(t, ncpus);
	if (rc != -HK_EBADMAN || strcmp(err, msg))
		fail_msg("rc %d, err \"%s\"\nwanted \"%s\"", rc, err, msg);
}

static void test_check(void **state)
{
	(void)state;
	make_cpio();

	/* any resolves to the unclaimed cores below ncpus */
	assert_int_equal(run_check("proc init bin=bin/init supervisor\n"
	                           "proc poller bin=/bin/poller claim=1 device=virtio-net.0\n"
	                           "proc idle bin=./bin/idle cores=any\n"
	                           "proc pinned bin=bin/idle cores=2-3 device=virtio-entropy.0\n",
	                           4),
	                 0);
	assert_int_equal(man.procs[0].cores, 0xd); /* 0, 2, 3 */
	assert_int_equal(man.procs[1].cores, 0x2);
	assert_int_equal(man.procs[2].cores, 0xd);
	assert_int_equal(man.procs[3].cores, 0xc);

	/* a machine with more cores than the table */
	assert_int_equal(run_check("proc init bin=bin/init supervisor claim=0\n", 100), 0);
	assert_int_equal(
	    run_check("proc init bin=bin/init supervisor\nproc b bin=bin/idle claim=5\n", 64), 0);
	assert_int_equal(man.procs[0].cores, ~(1ull << 5));

	check_fails("proc init bin=bin/init supervisor\nproc x bin=bin/missing\n", 4,
	            "process 'x': binary 'bin/missing' not in the boot image");
	check_fails("proc init bin=bin/dir supervisor\n", 4,
	            "process 'init': binary 'bin/dir' not in the boot image");
	check_fails("proc init bin=bin/init supervisor device=virtio-net.3\n", 4,
	            "process 'init': unknown device 'virtio-net.3' (known: virtio-net.0, "
	            "virtio-entropy.0)");
	check_fails("proc init bin=bin/init supervisor\nproc x bin=bin/idle cores=1,5\n", 4,
	            "process 'x': core 5 but the machine has 4 cores");
	check_fails("proc init bin=bin/init supervisor\nproc x bin=bin/idle claim=4\n", 4,
	            "process 'x': claim=4 but the machine has 4 cores");
	check_fails("proc init bin=bin/init supervisor claim=0\n"
	            "proc a bin=bin/idle claim=1\n"
	            "proc any bin=bin/idle\n",
	            2, "process 'any': cores=any but all 2 cores are claimed by others");

	/* on failure m is unchanged: cores=any stays 0 */
	check_fails("proc init bin=bin/init supervisor\nproc x bin=bin/missing\n", 4,
	            "process 'x': binary 'bin/missing' not in the boot image");
	assert_int_equal(man.procs[0].cores, 0);

	/* no devices known at all; and a small err buffer cut with "..." */
	assert_int_equal(parse("proc init bin=bin/init supervisor device=nic\n"), 0);
	assert_int_equal(manifest_check(&man, 4, cpio, cpio_len, devs, 0, err, sizeof(err)),
	                 -HK_EBADMAN);
	assert_string_equal(err, "process 'init': unknown device 'nic' (known: none)");
	char small[48];
	assert_int_equal(manifest_check(&man, 4, cpio, cpio_len, devs, 2, small, sizeof(small)),
	                 -HK_EBADMAN);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_string_equal(small + sizeof(small) - 4, "...");

	/* a broken boot image is reported with the reader's reason */
	assert_int_equal(parse("proc init bin=bin/nothere supervisor\n"), 0);
	memcpy(cpio, "07070X", 6);
	assert_int_equal(manifest_check(&man, 4, cpio, cpio_len, devs, 2, err, sizeof(err)),
	                 -HK_EBADMAN);
	assert_string_equal(err,
	                    "process 'init': binary 'bin/nothere': cpio: bad magic at offset 0 "
	                    "(not newc 070701)");
	make_cpio();
}

/* ---- fuzz ---- */

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void assert_invariants(const struct manifest *m)
{
	unsigned sup = 0;
	assert_true(m->nprocs >= 1 && m->nprocs <= MAN_MAX_PROCS);
	for (unsigned i = 0; i < m->nprocs; i++) {
		const struct man_proc *p = &m->procs[i];
		size_t nl = strnlen(p->name, MAN_NAME_MAX);
		assert_true(nl > 0 && nl < MAN_NAME_MAX);
		assert_true(strnlen(p->bin, MAN_BIN_MAX) < MAN_BIN_MAX);
		assert_true(p->bin[0] != '\0');
		assert_true(p->argc <= MAN_MAX_ARGC && p->args_len <= MAN_ARGS_MAX);
		unsigned count = 0;
		for (unsigned k = 0; k < p->args_len; k++)
			count += p->args[k] == '\0';
		assert_int_equal(count, p->argc);
		assert_true(p->args_len == 0 || p->args[p->args_len - 1] == '\0');
		assert_true(p->ndevs <= MAN_MAX_DEVS);
		for (unsigned d = 0; d < p->ndevs; d++)
			assert_true(strnlen(p->devs[d], MAN_DEV_MAX) < MAN_DEV_MAX);
		assert_true(p->claim >= -1 && p->claim < MAN_MAX_CORES);
		if (p->claim >= 0)
			assert_int_equal(p->cores, 1ull << p->claim);
		assert_true(p->restart <= MAN_RESTART_ALWAYS);
		assert_true(!p->has_expect || (p->expect >= 0 && p->expect <= 255));
		sup += p->supervisor != 0;
		for (unsigned j = 0; j < i; j++) {
			const struct man_proc *q = &m->procs[j];
			assert_true(strcmp(p->name, q->name) != 0);
			assert_true(p->claim < 0 || p->claim != q->claim);
		}
	}
	assert_int_equal(sup, 1);
}

static void test_fuzz(void **state)
{
	(void)state;
	static const char pool[] = " \t\r\n#\"=,-0123456789anyproc bin";
	size_t len0 = sizeof(full) - 1;
	unsigned ok = 0, bad = 0;

	for (int iter = 0; iter < 20000; iter++) {
		char *p = malloc(len0 + 1);
		size_t len = len0;
		memcpy(p, full, len0);
		unsigned nmut = 1 + (unsigned)(xorshift() % 3);
		for (unsigned k = 0; k < nmut; k++) {
			size_t at = (size_t)(xorshift() % len);
			uint64_t r = xorshift();
			if (r % 3 == 0)
				p[at] = (char)(xorshift() & 0xff);
			else if (r % 3 == 1)
				p[at] = pool[xorshift() % (sizeof(pool) - 1)];
			else if (len > 1) { /* delete a byte */
				memmove(p + at, p + at + 1, len - at - 1);
				len--;
			}
		}
		if (xorshift() % 5 == 0)
			len = (size_t)(xorshift() % (len + 1));
		char *exact = malloc(len ? len : 1);
		memcpy(exact, p, len);
		memset(err, 0, sizeof(err));
		int rc = manifest_parse(exact, len, &man, err, sizeof(err));
		if (rc) {
			assert_true(rc == -HK_EBADMAN || rc == -HK_ETOOMANY);
			assert_true(strncmp(err, "manifest", 8) == 0);
			bad++;
		} else {
			assert_invariants(&man);
			ok++;
		}
		free(exact);
		free(p);
	}
	assert_true(ok > 100 && bad > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full), cmocka_unit_test(test_pipeline),
	    cmocka_unit_test(test_pipe_set),
	    cmocka_unit_test(test_kan_keys),    cmocka_unit_test(test_minimal_defaults),
	    cmocka_unit_test(test_lexical), cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_limits),  cmocka_unit_test(test_check),
	    cmocka_unit_test(test_fuzz),
	};
	return cmocka_run_group_tests_name("manifest", tests, NULL, NULL);
}
