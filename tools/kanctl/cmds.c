// SPDX-License-Identifier: BSD-2-Clause
/* kanctl's commands: ask, then print a table or JSON (docs/kanctl.md). */
#include "kanctl.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const state_name[] = {"stopped", "running", "exiting", "held"};
static const char *const cause_name[] = {"-", "exit", "fault", "killed"};
static const char *const kind_name[] = {"?", "kan", "worker", "link", "nexthop", "drop"};

static int usage(const char *cmd, const char *text)
{
	fprintf(stderr, "kanctl %s: usage: kanctl [OPTIONS] %s\n", cmd, text);
	return KX_USAGE;
}

/* --- info ----------------------------------------------------------------------------------- */

int cmd_info(struct kanctl *k, int argc, char **argv)
{
	struct mgmt_req q = {.h.op = MGMT_OP_INFO};
	struct mgmt_info i;
	struct mgmt_r r;
	char p[48];
	(void)argv;
	if (argc != 1)
		return usage("info", "info");
	int rc = kc_ask(k, &q);
	if (rc)
		return rc;
	mgmt_r_init(&r, k->body, k->len);
	if (mgmt_info_get(&r, &i))
		return fprintf(stderr, "kanctl: a malformed info answer\n"), KX_SYSTEM;
	kc_addr_str(&i.prefix, p, sizeof(p));
	if (k->json)
		printf("{\"protocol\":%u,\"prefix\":\"%s/64\",\"processes\":%u,\"writes\":%s,"
		       "\"epoch\":\"%016" PRIx64 "\",\"last_seq\":%" PRIu64 ",\"uptime_us\":%" PRIu64 "}\n",
		       MGMT_VERSION, p, i.nprocs, i.writes ? "true" : "false", i.epoch, i.last_seq,
		       i.uptime_us);
	else
		printf("protocol %u\nprefix %s/64\nprocesses %u\nwrites %s\nepoch %016" PRIx64
		       "\nlast_seq %" PRIu64 "\nuptime_s %.3f\n",
		       MGMT_VERSION, p, i.nprocs, i.writes ? "authenticated" : "off", i.epoch,
		       i.last_seq, (double)i.uptime_us / 1e6);
	return KX_OK;
}

/* --- ps -------------------------------------------------------------------------------------- */

static void cores_str(uint64_t m, char *buf, size_t n)
{
	size_t at = 0;
	buf[0] = 0;
	for (unsigned c = 0; c < 64 && at + 4 < n; c++)
		if (m & (1ull << c))
			at += (size_t)snprintf(buf + at, n - at, "%s%u", at ? "," : "", c);
	if (!at)
		snprintf(buf, n, "-");
}

static void last_str(const struct mgmt_proc *p, char *buf, size_t n)
{
	if (p->last_cause == MGMT_CAUSE_EXIT)
		snprintf(buf, n, "exit %d", p->last_status);
	else if (p->last_cause == MGMT_CAUSE_FAULT)
		snprintf(buf, n, "fault %u pc 0x%" PRIx64 " addr 0x%" PRIx64, p->last_fault,
		         p->last_pc, p->last_addr);
	else
		snprintf(buf, n, "%s", cause_name[p->last_cause]);
}

static void ps_json(const struct mgmt_proc *p, unsigned n)
{
	printf("[");
	for (unsigned i = 0; i < n; i++) {
		char c[200], l[80], a[48];
		cores_str(p[i].cores, c, sizeof(c));
		last_str(&p[i], l, sizeof(l));
		printf("%s{\"name\":\"%s\",\"index\":%u,\"pid\":%d,\"state\":\"%s\",\"cores\":\"%s\","
		       "\"restarts\":%u,\"last\":\"%s\",\"pages\":%" PRIu64 ",\"cycles\":%" PRIu64
		       ",\"pipeline\":\"%s\",\"flags\":%u,\"addresses\":[",
		       i ? "," : "", p[i].name, p[i].index, p[i].pid, state_name[p[i].state], c,
		       p[i].restarts, l, p[i].pages, p[i].cycles, p[i].pipe, p[i].flags);
		for (unsigned j = 0; j < p[i].naddr; j++) {
			kc_addr_str(&p[i].addr[j], a, sizeof(a));
			printf("%s\"%s\"", j ? "," : "", a);
		}
		printf("]}");
	}
	printf("]\n");
}

int cmd_ps(struct kanctl *k, int argc, char **argv)
{
	struct mgmt_proc *p;
	unsigned n;
	(void)argv;
	if (argc != 1)
		return usage("ps", "ps");
	int rc = kc_procs(k, &p, &n);
	if (rc)
		return rc;
	if (k->json) {
		ps_json(p, n);
		free(p);
		return KX_OK;
	}
	printf("%-12s %5s %-8s %-6s %8s %-10s %6s  %s\n", "NAME", "PID", "STATE", "CORES", "RESTARTS",
	       "LAST", "PAGES", "ADDRESSES");
	for (unsigned i = 0; i < n; i++) {
		char c[200], l[80], a[48];
		cores_str(p[i].cores, c, sizeof(c));
		last_str(&p[i], l, sizeof(l));
		printf("%-12s %5d %-8s %-6s %8u %-10s %6" PRIu64 " ", p[i].name, p[i].pid,
		       state_name[p[i].state], c, p[i].restarts, l, p[i].pages);
		for (unsigned j = 0; j < p[i].naddr; j++) {
			kc_addr_str(&p[i].addr[j], a, sizeof(a));
			printf(" %s", a);
		}
		printf("\n");
	}
	free(p);
	return KX_OK;
}

/* --- counters -------------------------------------------------------------------------------- */

static int print_counters(struct kanctl *k)
{
	struct mgmt_r r;
	char g[MGMT_CTR_NAME + 1], c[MGMT_CTR_NAME + 1];
	mgmt_r_init(&r, k->body, k->len);
	unsigned ng = mgmt_get16(&r);
	printf(k->json ? "{" : "");
	for (unsigned i = 0; i < ng && !r.err; i++) {
		uint16_t n, flags;
		if (mgmt_group_get(&r, g, &n, &flags))
			break;
		if (k->json)
			printf("%s\"%s\":{%s", i ? "," : "", g,
			       flags & MGMT_CG_SILENT ? "\"silent\":true" : "");
		for (unsigned j = 0; j < n; j++) {
			uint64_t v;
			if (mgmt_ctr_get(&r, c, &v))
				break;
			if (k->json)
				printf("%s\"%s\":%" PRIu64, j || (flags & MGMT_CG_SILENT) ? "," : "", c, v);
			else
				printf("%s %s %" PRIu64 "\n", g, c, v);
		}
		if (k->json)
			printf("}");
		else if (flags & MGMT_CG_SILENT)
			printf("%s (no answer: kernel counters only)\n", g);
	}
	printf(k->json ? "}\n" : "");
	if (!mgmt_r_done(&r))
		return fprintf(stderr, "kanctl: malformed counters\n"), KX_SYSTEM;
	return KX_OK;
}

int cmd_counters(struct kanctl *k, int argc, char **argv)
{
	struct mgmt_req q = {.h.op = MGMT_OP_COUNTERS};
	unsigned watch = 0, count = 0, interval_ms = 1000;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--watch"))
			watch = 1;
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--interval-ms") && i + 1 < argc)
			interval_ms = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (argv[i][0] != '-' && !q.u.name[0] && strlen(argv[i]) <= MGMT_NAME)
			snprintf(q.u.name, sizeof(q.u.name), "%s", argv[i]);
		else
			return usage("counters", "counters [PROCESS] [--watch [--count N] "
			             "[--interval-ms MS]]");
	}
	if (!interval_ms)
		return usage("counters", "counters ... --interval-ms MS (MS >= 1)");
	for (unsigned round = 0;; round++) {
		int rc = kc_ask(k, &q);
		if (!rc) {
			if (watch && !k->json)
				printf("# sample %u\n", round + 1);
			rc = print_counters(k);
		}
		fflush(stdout);
		if (rc || !watch || (count && round + 1 >= count))
			return rc;
		struct timespec t = {interval_ms / 1000, (long)(interval_ms % 1000) * 1000000};
		nanosleep(&t, NULL);
	}
}

/* --- routes ---------------------------------------------------------------------------------- */

static int route_show(struct kanctl *k)
{
	struct mgmt_req q = {.h.op = MGMT_OP_ROUTES};
	struct mgmt_r r;
	int rc = kc_ask(k, &q);
	if (rc)
		return rc;
	mgmt_r_init(&r, k->body, k->len);
	unsigned n = mgmt_get16(&r);
	mgmt_get16(&r);
	printf(k->json ? "[" : "");
	for (unsigned i = 0; i < n && !r.err; i++) {
		struct mgmt_route m;
		char p[48], nh[48];
		if (mgmt_route_get(&r, &m))
			break;
		kc_addr_str(&m.prefix, p, sizeof(p));
		kc_addr_str(&m.nexthop, nh, sizeof(nh));
		const char *origin = m.flags & MGMT_RTF_BUILTIN    ? "built-in"
		                     : m.flags & MGMT_RTF_OVERRIDE ? "override"
		                                                   : "added";
		const char *to = m.kind == MGMT_RT_WORKER ? m.target : m.kind == MGMT_RT_NEXTHOP ? nh : "";
		if (k->json)
			printf("%s{\"prefix\":\"%s/%u\",\"kind\":\"%s\",\"target\":\"%s\",\"origin\":\"%s\"}",
			       i ? "," : "", p, m.len, kind_name[m.kind], to, origin);
		else
			printf("%s/%u %s%s%s (%s)\n", p, m.len, kind_name[m.kind], to[0] ? " " : "", to,
			       origin);
	}
	printf(k->json ? "]\n" : "");
	if (!mgmt_r_done(&r))
		return fprintf(stderr, "kanctl: a malformed routing table\n"), KX_SYSTEM;
	return KX_OK;
}

/* "worker NAME" | "via ADDR" | "drop" | "kan" into m. */
static int route_target(int argc, char **argv, struct mgmt_route *m)
{
	if (argc == 1 && !strcmp(argv[0], "drop"))
		return m->kind = MGMT_RT_DROP, 0;
	if (argc == 1 && !strcmp(argv[0], "kan"))
		return m->kind = MGMT_RT_KAN, 0;
	if (argc == 2 && !strcmp(argv[0], "worker") && strlen(argv[1]) <= MGMT_NAME) {
		snprintf(m->target, sizeof(m->target), "%s", argv[1]);
		return m->kind = MGMT_RT_WORKER, 0;
	}
	if (argc == 2 && !strcmp(argv[0], "via") && !kc_parse_addr(argv[1], &m->nexthop))
		return m->kind = MGMT_RT_NEXTHOP, 0;
	return -1;
}

int cmd_route(struct kanctl *k, int argc, char **argv)
{
	static const char *const use = "route show | route add PREFIX/LEN (worker NAME | via ADDR "
	                               "| drop | kan) | route del PREFIX/LEN";
	struct mgmt_req q = {0};
	unsigned len;
	if (argc == 1 || (argc == 2 && !strcmp(argv[1], "show")))
		return route_show(k);
	int add = !strcmp(argv[1], "add"), del = !strcmp(argv[1], "del");
	if ((!add && !del) || argc < 3 || kc_parse_prefix(argv[2], &q.u.route.prefix, &len) ||
	    (del && argc != 3) || (add && route_target(argc - 3, argv + 3, &q.u.route)))
		return usage("route", use);
	q.h.op = add ? MGMT_OP_ROUTE_ADD : MGMT_OP_ROUTE_DEL;
	q.u.route.len = (uint8_t)len;
	int rc = kc_ask(k, &q);
	if (!rc)
		printf(k->json ? "{\"ok\":true}\n" : "ok\n");
	return rc;
}

/* --- kill, restart ---------------------------------------------------------------------------- */

int cmd_kill(struct kanctl *k, int argc, char **argv)
{
	struct mgmt_req q = {.h.op = !strcmp(argv[0], "kill") ? MGMT_OP_KILL : MGMT_OP_RESTART};
	if (argc != 2 || strlen(argv[1]) > MGMT_NAME)
		return usage(argv[0], q.h.op == MGMT_OP_KILL ? "kill PROCESS" : "restart PROCESS");
	snprintf(q.u.name, sizeof(q.u.name), "%s", argv[1]);
	int rc = kc_ask(k, &q);
	if (!rc)
		printf(k->json ? "{\"ok\":true}\n" : "ok\n");
	return rc;
}

/* --- pipe ------------------------------------------------------------------------------------- */

static const char *const pipe_use = "pipe show | pipe set PIPELINE STAGE,STAGE[,...]";

/* The position in p[0..n) of the record with manifest index idx, or -1. */
static int by_index(const struct mgmt_proc *p, unsigned n, int idx)
{
	for (unsigned i = 0; idx >= 0 && i < n; i++)
		if (p[i].index == idx)
			return (int)i;
	return -1;
}

/* A stage of pipeline `name` not printed yet. */
static int member(const struct mgmt_proc *p, const unsigned char *done, int i, const char *name)
{
	return i >= 0 && !done[i] && !strcmp(p[i].pipe, name);
}

/* The first unprinted stage of `name` no other unprinted stage of it points to, or -1. */
static int pipe_head(const struct mgmt_proc *p, unsigned n, const unsigned char *done,
                     const char *name)
{
	for (unsigned j = 0; j < n; j++) {
		int pointed = 0;
		if (!member(p, done, (int)j, name))
			continue;
		for (unsigned m = 0; m < n && !pointed; m++)
			pointed = m != j && member(p, done, (int)m, name) &&
			          by_index(p, n, p[m].pipe_next) == (int)j;
		if (!pointed)
			return (int)j;
	}
	return -1;
}

static int pipe_show(struct kanctl *k)
{
	struct mgmt_proc *p;
	unsigned n, shown = 0;
	int rc = kc_procs(k, &p, &n);
	if (rc)
		return rc;
	unsigned char *done = calloc(n ? n : 1, 1);
	if (!done) {
		free(p);
		return fprintf(stderr, "kanctl: out of memory\n"), KX_SYSTEM;
	}
	printf(k->json ? "{\"pipelines\":[" : "");
	for (unsigned i = 0; i < n; i++) {
		const char *name = p[i].pipe;
		/* Normally one chain per pipeline; anything else is printed as found, and said. */
		for (unsigned chains = 0; name[0] && member(p, done, (int)i, name); chains++) {
			int j = pipe_head(p, n, done, name);
			if (j < 0 || chains)
				fprintf(stderr, "kanctl: pipeline %s is not one chain of stages%s\n", name,
				        j < 0 ? " (a cycle)" : "");
			if (j < 0)
				j = (int)i;
			if (k->json)
				printf("%s{\"name\":\"%s\",\"stages\":[", shown ? "," : "", name);
			else
				printf("%s:", name);
			for (unsigned s = 0; member(p, done, j, name); s++) {
				done[j] = 1;
				if (k->json)
					printf("%s\"%s\"", s ? "," : "", p[j].name);
				else
					printf("%s%s", s ? " -> " : " ", p[j].name);
				j = by_index(p, n, p[j].pipe_next);
			}
			printf(k->json ? "]}" : "\n");
			shown++;
		}
	}
	printf(k->json ? "]}\n" : "");
	free(done);
	free(p);
	return KX_OK;
}

static int pipe_set(struct kanctl *k, const char *name, const char *list)
{
	struct mgmt_req q = {.h.op = MGMT_OP_PIPE_SET};
	const char *why = kc_name_bad(name, strlen(name));
	if (why) {
		fprintf(stderr, "kanctl pipe: pipeline name '%s' %s\n", name, why);
		return usage("pipe", pipe_use);
	}
	snprintf(q.u.pipe.pipe, sizeof(q.u.pipe.pipe), "%s", name);
	for (const char *s = list;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		if (q.u.pipe.n == MGMT_STAGES_MAX) {
			fprintf(stderr, "kanctl pipe: a pipeline has at most %u stages\n", MGMT_STAGES_MAX);
			return usage("pipe", pipe_use);
		}
		if ((why = kc_name_bad(s, len))) {
			fprintf(stderr, "kanctl pipe: stage %u '%.*s' %s\n", q.u.pipe.n + 1, (int)len, s, why);
			return usage("pipe", pipe_use);
		}
		memcpy(q.u.pipe.stage[q.u.pipe.n++], s, len);
		if (!comma)
			break;
		s = comma + 1;
	}
	if (q.u.pipe.n < 2) {
		fprintf(stderr, "kanctl pipe: a pipeline has 2..%u stages, not %u (STAGE,STAGE,...)\n",
		        MGMT_STAGES_MAX, q.u.pipe.n);
		return usage("pipe", pipe_use);
	}
	int rc = kc_ask(k, &q);
	if (!rc)
		printf(k->json ? "{\"ok\":true}\n" : "ok\n");
	return rc;
}

int cmd_pipe(struct kanctl *k, int argc, char **argv)
{
	if (argc == 1 || (argc == 2 && !strcmp(argv[1], "show")))
		return pipe_show(k);
	if (argc == 4 && !strcmp(argv[1], "set"))
		return pipe_set(k, argv[2], argv[3]);
	return usage("pipe", pipe_use);
}

/* --- ping ------------------------------------------------------------------------------------- */

int cmd_ping(struct kanctl *k, int argc, char **argv)
{
	struct mgmt_req q = {.h.op = MGMT_OP_PING};
	struct mgmt_r r;
	char a[48];
	if (argc != 2 || kc_parse_addr(argv[1], &q.u.ping.addr))
		return usage("ping", "ping ADDR");
	q.u.ping.timeout_ms = k->timeout_ms > 5000 ? 5000 : k->timeout_ms / 2 ? k->timeout_ms / 2 : 1;
	int rc = kc_ask(k, &q);
	if (rc)
		return rc;
	mgmt_r_init(&r, k->body, k->len);
	struct mgmt_ping_resp pr;
	if (mgmt_ping_resp_get(&r, &pr) || !mgmt_r_done(&r))
		return fprintf(stderr, "kanctl: a malformed ping answer\n"), KX_SYSTEM;
	kc_addr_str(&pr.from, a, sizeof(a));
	if (k->json)
		printf("{\"from\":\"%s\",\"rtt_us\":%u}\n", a, pr.rtt_us);
	else
		printf("reply from %s: rtt %u us\n", a, pr.rtt_us);
	return KX_OK;
}

/* --- topo ------------------------------------------------------------------------------------- */

static void topo_routes(struct kanctl *k)
{
	struct mgmt_req q = {.h.op = MGMT_OP_ROUTES};
	struct mgmt_r r;
	if (kc_ask(k, &q))
		return;
	mgmt_r_init(&r, k->body, k->len);
	unsigned nr = mgmt_get16(&r);
	mgmt_get16(&r);
	for (unsigned i = 0; i < nr; i++) {
		struct mgmt_route m;
		char a[48];
		if (mgmt_route_get(&r, &m))
			return;
		kc_addr_str(&m.prefix, a, sizeof(a));
		if (m.kind == MGMT_RT_WORKER)
			printf("  wire -> \"%s\" [label=\"%s/%u\"];\n", m.target, a, m.len);
		else if (m.kind == MGMT_RT_KAN)
			printf("  wire -> kan [label=\"%s/%u\"];\n", a, m.len);
		else
			printf("  \"route %s/%u\" [shape=note label=\"%s/%u %s\"];\n", a, m.len, a,
			       m.len, kind_name[m.kind]);
	}
}

int cmd_topo(struct kanctl *k, int argc, char **argv)
{
	struct mgmt_proc *p;
	unsigned n;
	(void)argv;
	if (argc != 1)
		return usage("topo", "topo");
	int rc = kc_procs(k, &p, &n);
	if (rc)
		return rc;
	if (k->json) { /* the same facts as data: the process table and the routes */
		printf("{\"processes\":");
		ps_json(p, n);
		printf(",\"routes\":");
		free(p);
		rc = route_show(k);
		printf("}\n");
		return rc;
	}
	printf("digraph hekate {\n  rankdir=LR;\n  wire [shape=box];\n  kan [shape=ellipse "
	       "label=\"KAN\"];\n");
	for (unsigned i = 0; i < n; i++) {
		char a[48] = "-";
		if (p[i].naddr)
			kc_addr_str(&p[i].addr[0], a, sizeof(a));
		printf("  \"%s\" [shape=box label=\"%s\\n%s\\n%s\"];\n", p[i].name, p[i].name, a,
		       state_name[p[i].state]);
		if (p[i].flags & MGMT_PF_UPLINK)
			printf("  wire -> \"%s\" [dir=both];\n", p[i].name);
		if (p[i].pipe_next >= 0 && (unsigned)p[i].pipe_next < n)
			printf("  \"%s\" -> \"%s\" [label=\"%s\"];\n", p[i].name, p[p[i].pipe_next].name,
			       p[i].pipe);
		else
			printf("  kan -> \"%s\" [style=dotted];\n", p[i].name);
	}
	topo_routes(k);
	printf("}\n");
	free(p);
	return KX_OK;
}
