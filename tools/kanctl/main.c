// SPDX-License-Identifier: BSD-2-Clause
/*
 * kanctl: look after a Hekate node from the host over its management
 * protocol (docs/kanctl.md, docs/mgmt-protocol.md). Options, then one
 * command; exit 0 ok, 1 the node refused, 2 bad arguments, 3 no answer,
 * 4 a system error.
 */
#include "kanctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct command {
	const char *name;
	int (*fn)(struct kanctl *, int, char **);
	const char *usage, *help;
	const char *more; /* for COMMAND --help only, or NULL */
};

static const struct command commands[] = {
    {"info", cmd_info, "info", "the node: prefix, processes, whether writes are on, epoch", NULL},
    {"ps", cmd_ps, "ps",
     "every manifest process: pid, state, cores, restarts, last exit or fault, pages, "
     "addresses", NULL},
    {"counters", cmd_counters, "counters [PROCESS] [--watch [--count N] [--interval-ms MS]]",
     "named counters of the node and of every process (or one); --watch repeats", NULL},
    {"route", cmd_route,
     "route show | route add PREFIX/LEN (worker NAME | via ADDR | drop | kan) | route del "
     "PREFIX/LEN",
     "the router's table; add and del change it (authenticated)", NULL},
    {"ping", cmd_ping, "ping ADDR", "the service pings a KAN address and reports the round trip",
     NULL},
    {"kill", cmd_kill, "kill PROCESS", "end a process and keep it stopped (authenticated)", NULL},
    {"restart", cmd_kill, "restart PROCESS", "end a process and start it again (authenticated)",
     NULL},
    {"pipe", cmd_pipe, "pipe show | pipe set PIPELINE STAGE,STAGE[,...]",
     "pipelines and their stage order; set changes it (authenticated)",
     "  show (the default) prints each pipeline as NAME: first -> ... -> last\n"
     "  (--json: {\"pipelines\":[{\"name\":...,\"stages\":[...]}]}).\n"
     "  set gives pipeline PIPELINE the stages in this order: 2..8 process names,\n"
     "  comma-separated, each 1..24 of [A-Za-z0-9_.-].\n"},
    {"capture", cmd_capture,
     "capture [--process P] [--count N] [--duration-ms MS] [--snaplen N] -w FILE",
     "mirror KAN traffic into a pcap file (authenticated)",
     "  -w FILE           the pcap file (LINKTYPE_IPV6, timestamps of the node's clock);\n"
     "                    - for the standard output\n"
     "  --process P       only P's traffic (default: all)\n"
     "  --count N         stop after N packets (1..100000, default 1000)\n"
     "  --duration-ms MS  stop after MS ms (1..60000, default 10000)\n"
     "  --snaplen N       keep the first N bytes of each packet (64..4096, default 4096)\n"
     "  A summary goes to stderr (--json: to stdout, or stderr with -w -). A packet with a\n"
     "  fragment lost on the way is left out and counted. No end from the node within MS\n"
     "  plus --timeout-ms: exit 3, the packets so far kept.\n"},
    {"topo", cmd_topo, "topo", "processes, pipelines and routes as a Graphviz dot graph", NULL},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void help(FILE *f)
{
	fprintf(f,
	        "usage: kanctl [OPTIONS] COMMAND [ARGS]\n"
	        "       kanctl help [COMMAND]    (or COMMAND --help)\n\n"
	        "options:\n"
	        "  --node ADDR       the management service (default fd00:6b61:6e00:1::2)\n"
	        "  --port N          its UDP port (default %u)\n"
	        "  --bind ADDR       send from this local address\n"
	        "  --json            JSON instead of text\n"
	        "  --timeout-ms N    wait per try (default 2000)\n"
	        "  --tries N         tries of a read (default 3; writes are sent once)\n"
	        "  --key HEX         the write key (also --key-file FILE, or KANCTL_KEY)\n\n"
	        "commands:\n",
	        MGMT_PORT);
	for (unsigned i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nexit status: 0 ok, 1 refused by the node, 2 bad arguments, 3 no answer, "
	           "4 system error\n");
}

static int command_help(const struct command *c)
{
	printf("usage: kanctl [OPTIONS] %s\n  %s\n%s", c->usage, c->help, c->more ? c->more : "");
	return KX_OK;
}

static int set_key(struct kanctl *k, const char *hex)
{
	size_t n = strlen(hex);
	while (n && (hex[n - 1] == '\n' || hex[n - 1] == ' '))
		n--;
	int len = mgmt_key_parse(hex, n, k->key);
	k->keylen = len < 0 ? 0 : (size_t)len;
	return len < 0 ? -1 : 0;
}

static int key_file(struct kanctl *k, const char *path)
{
	char buf[160] = "";
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "kanctl: --key-file %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return set_key(k, buf);
}

/* Options before the command: the index of the command, or -1 after printing why. */
static int options(struct kanctl *k, int argc, char **argv)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end = NULL;
		int bad = 0;
		if (!strcmp(o, "--json"))
			k->json = 1;
		else if (!strcmp(o, "--help") || !strcmp(o, "-h"))
			return help(stdout), exit(KX_OK), -1;
		else if (!v)
			bad = 1;
		else if (++i, !strcmp(o, "--node"))
			bad = snprintf(k->node, sizeof(k->node), "%s", v) >= (int)sizeof(k->node);
		else if (!strcmp(o, "--bind"))
			bad = snprintf(k->bind, sizeof(k->bind), "%s", v) >= (int)sizeof(k->bind);
		else if (!strcmp(o, "--port"))
			k->port = (uint16_t)strtoul(v, &end, 10), bad = *end || !k->port;
		else if (!strcmp(o, "--timeout-ms"))
			k->timeout_ms = (unsigned)strtoul(v, &end, 10), bad = *end || !k->timeout_ms;
		else if (!strcmp(o, "--tries"))
			k->tries = (unsigned)strtoul(v, &end, 10), bad = *end || !k->tries || k->tries > 100;
		else if (!strcmp(o, "--key"))
			bad = set_key(k, v);
		else if (!strcmp(o, "--key-file"))
			bad = key_file(k, v);
		else
			bad = 1;
		if (bad) {
			fprintf(stderr, "kanctl: bad option %s%s%s (kanctl --help)\n", o, v ? " " : "",
			        v ? v : "");
			return -1;
		}
	}
	return i;
}

int main(int argc, char **argv)
{
	static struct kanctl k = {.node = "fd00:6b61:6e00:1::2", .port = MGMT_PORT,
	                          .timeout_ms = 2000, .tries = 3};
	const char *env = getenv("KANCTL_KEY");
	if (env && set_key(&k, env)) {
		fprintf(stderr, "kanctl: KANCTL_KEY is not hex of 1..64 bytes\n");
		return KX_USAGE;
	}
	int at = options(&k, argc, argv);
	if (at < 0)
		return KX_USAGE;
	if (at >= argc) {
		help(stderr);
		return KX_USAGE;
	}
	const char *name = argv[at];
	int want_help = !strcmp(name, "help");
	if (want_help && at + 1 >= argc)
		return help(stdout), KX_OK;
	if (want_help)
		name = argv[at + 1];
	for (unsigned i = 0; i < NCOMMANDS; i++) {
		if (strcmp(commands[i].name, name))
			continue;
		for (int j = at + 1; j < argc; j++)
			want_help |= !strcmp(argv[j], "--help") || !strcmp(argv[j], "-h");
		if (want_help)
			return command_help(&commands[i]);
		return commands[i].fn(&k, argc - at, argv + at);
	}
	fprintf(stderr, "kanctl: unknown command '%s' (kanctl --help)\n", name);
	return KX_USAGE;
}
