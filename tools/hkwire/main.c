// SPDX-License-Identifier: BSD-2-Clause
/*
 * hkwire's command line: one transport, one command, the command's
 * options (each checked: unknown, malformed, out of range, not taken by
 * the command, or missing is a usage error, exit 2). docs/host-link.md
 * shows it in use.
 */
#include "hkwire.h"

#include <getopt.h>
#include <kan/ipv6.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

volatile int hw_stop;

static const char usage_text[] =
	"usage: hkwire TRANSPORT COMMAND [options]\n"
	"       hkwire barrage --list\n"
	"The host side of a Hekate node's wire (docs/host-link.md).\n"
	"Transports (one Ethernet frame per send):\n"
	"  --tap IFNAME             a packet socket on the tap QEMU uses (root)\n"
	"  --dgram LOCAL,REMOTE     unix datagram sockets facing QEMU's\n"
	"                           -netdev dgram,local.path=REMOTE,remote.path=LOCAL\n"
	"Commands (defaults: the link plan of docs/host-link.md):\n"
	"  HOST is [--mac MAC] [--addr ADDR] [--router ADDR]: hkwire's own MAC and\n"
	"      address on the link (02:68:6b:77:00:01, fd00:6b61:6e00:ff::1) and the\n"
	"      node's router (fd00:6b61:6e00:ff::2); on a tap shared with Linux, give\n"
	"      hkwire an address of its own (e.g. ::3).\n"
	"  barrage [--node-mac MAC] [--src ADDR] [--dst ADDR] [--count N] [--class NAME]...\n"
	"          [--mtu M] [--seed S] [--mac MAC] [--rate PPS] [--check]\n"
	"      N malformed frames of each class; prints 'sent CLASS N REASON' per class,\n"
	"      REASON the net/drop.h name the node must count them under (--list: classes).\n"
	"      --node-mac 52:54:00:12:34:56, --src ::1, --dst the router ::2 (an address\n"
	"      the router itself answers: ICMPv6 to it is checked there).\n"
	"      --check: no transport; judge each frame with the node's own checks\n"
	"      (net/ip6.h, net/icmp6.h, net/ndp.h) and fail on any other verdict.\n"
	"  ping --to ADDR [HOST] [--count N] [--size B] [--timeout-ms T]\n"
	"      echo requests via the router, each reply checked (id, sequence, data);\n"
	"      prints 'ping sent N received M bad K ...'; exit 0 only if all came back.\n"
	"  udp --to ADDR --port P [HOST] [--count N] [--min-size A] [--max-size B]\n"
	"          [--window W] [--sport S] [--timeout-ms T]\n"
	"      datagrams of varied sizes to an echo service, every echoed payload\n"
	"      verified, no retransmission; prints 'udp sent N received M bad K';\n"
	"      exit 0 only if M == N and K == 0.\n"
	"  proxy --listen [ADDR]:PORT --to [ADDR]:PORT [HOST] [--seconds S] [--sport BASE]\n"
	"          [--timeout-ms T]\n"
	"      forward UDP from a local socket to a node process and back (nc, socat\n"
	"      reach the node without root); until SIGINT or S seconds.\n"
	"  probe-send [--node-mac MAC] [--mac MAC] [--count N] [--min-size A] [--max-size B]\n"
	"          [--seed S] [--rate PPS]\n"
	"      N numbered test frames (EtherType 0x88b5) to MAC (default broadcast).\n"
	"  probe-recv [--count N] [--timeout-ms T] [--min-size A] [--max-size B] [--seed S]\n"
	"      wait for N probe frames, each checked; prints 'probe received M of N bad K'.\n"
	"  fake-node --mac MAC --addr ADDR --prefix P::/64 [--seconds S (60)] [--mtu M]\n"
	"          [--corrupt K]\n"
	"      a stand-in for the node's router, to test hkwire without one: answers\n"
	"      neighbour solicitations for ADDR, echo requests and UDP for ADDR and the\n"
	"      prefix, counts every other frame under the node's drop reasons;\n"
	"      --corrupt K spoils one data byte of every K-th echo (checksums kept\n"
	"      valid), to prove the host side checks what comes back.\n"
	"--rate PPS paces sending (default: as fast as the transport takes frames).\n"
	"Exit status: 0 success, 1 the check failed (losses, bad replies), 2 usage,\n"
	"3 system error (socket, device, peer not reading).\n";

static void usage(FILE *f) { fputs(usage_text, f); }

static int usage_error(const char *fmt, const char *arg)
{
	fputs("hkwire: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (hkwire --help)\n", stderr);
	return HW_EXIT_USAGE;
}

/* Which options each command takes and which it needs (bit masks). */
#define B(x) (1ul << OPT_##x)
#define HOST (B(MAC) | B(ADDR) | B(ROUTER) | B(TO))
struct command {
	const char *name;
	int (*run)(struct hw_link *, const struct hw_opts *);
	unsigned long takes, needs;
};
static const struct command commands[] = {
	{"barrage", cmd_barrage,
	 B(NODE_MAC) | B(SRC) | B(DST) | B(COUNT) | B(CLASS) | B(MTU) | B(SEED) | B(MAC) | B(LIST) |
		 B(CHECK) | B(RATE),
	 0},
	{"ping", cmd_ping, HOST | B(COUNT) | B(SIZE) | B(TIMEOUT) | B(SEED), B(TO)},
	{"udp", cmd_udp,
	 HOST | B(PORT) | B(COUNT) | B(MIN) | B(MAX) | B(WINDOW) | B(SPORT) | B(TIMEOUT) | B(SEED),
	 B(TO) | B(PORT)},
	{"proxy", cmd_proxy, HOST | B(PORT) | B(LISTEN) | B(SECONDS) | B(SPORT) | B(TIMEOUT),
	 B(TO) | B(PORT) | B(LISTEN)},
	{"probe-send", cmd_probe_send,
	 B(NODE_MAC) | B(MAC) | B(COUNT) | B(MIN) | B(MAX) | B(SEED) | B(RATE), 0},
	{"probe-recv", cmd_probe_recv, B(COUNT) | B(TIMEOUT) | B(SEED) | B(MIN) | B(MAX), 0},
	{"fake-node", cmd_fake_node, B(MAC) | B(ADDR) | B(PREFIX) | B(SECONDS) | B(MTU) | B(CORRUPT),
	 B(MAC) | B(ADDR) | B(PREFIX)},
};

/* In enum hw_opt order: check_options names an option by its id. */
static const struct option long_opts[] = {
	{"tap", required_argument, NULL, OPT_TAP},
	{"dgram", required_argument, NULL, OPT_DGRAM},
	{"mac", required_argument, NULL, OPT_MAC},
	{"node-mac", required_argument, NULL, OPT_NODE_MAC},
	{"addr", required_argument, NULL, OPT_ADDR},
	{"router", required_argument, NULL, OPT_ROUTER},
	{"to", required_argument, NULL, OPT_TO},
	{"src", required_argument, NULL, OPT_SRC},
	{"dst", required_argument, NULL, OPT_DST},
	{"prefix", required_argument, NULL, OPT_PREFIX},
	{"count", required_argument, NULL, OPT_COUNT},
	{"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
	{"mtu", required_argument, NULL, OPT_MTU},
	{"port", required_argument, NULL, OPT_PORT},
	{"sport", required_argument, NULL, OPT_SPORT},
	{"min-size", required_argument, NULL, OPT_MIN},
	{"max-size", required_argument, NULL, OPT_MAX},
	{"window", required_argument, NULL, OPT_WINDOW},
	{"seconds", required_argument, NULL, OPT_SECONDS},
	{"size", required_argument, NULL, OPT_SIZE},
	{"seed", required_argument, NULL, OPT_SEED},
	{"class", required_argument, NULL, OPT_CLASS},
	{"list", no_argument, NULL, OPT_LIST},
	{"listen", required_argument, NULL, OPT_LISTEN},
	{"check", no_argument, NULL, OPT_CHECK},
	{"rate", required_argument, NULL, OPT_RATE},
	{"corrupt", required_argument, NULL, OPT_CORRUPT},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* A whole decimal number in [lo, hi]. */
static int parse_num(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;
	if (!*s || *s == '-')
		return -1;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* --to ADDR, or --to [ADDR]:PORT which also sets the port. */
static int parse_to(const char *s, struct hw_opts *o)
{
	if (*s != '[')
		return hw_parse_addr(s, &o->to);
	if (hw_parse_addr_port(s, &o->to, &o->port) < 0)
		return -1;
	o->given |= B(PORT);
	return 0;
}

struct numopt {
	int id;
	unsigned long lo, hi;
};
static const struct numopt numopts[] = {
	{OPT_COUNT, 1, 100000000}, {OPT_TIMEOUT, 1, 600000}, {OPT_MTU, 1280, HW_FRAME_MAX - 14},
	{OPT_PORT, 1, 65535},      {OPT_SPORT, 1, 65535},    {OPT_MIN, 1, HW_FRAME_MAX},
	{OPT_MAX, 1, HW_FRAME_MAX}, {OPT_WINDOW, 1, 65536},  {OPT_SECONDS, 0, 86400},
	{OPT_SIZE, 0, HW_FRAME_MAX}, {OPT_SEED, 0, ~0ul},    {OPT_RATE, 0, 10000000},
	{OPT_CORRUPT, 1, ~0u},
};

static void set_num(struct hw_opts *o, int id, unsigned long v)
{
	switch (id) {
	case OPT_COUNT: o->count = v; break;
	case OPT_TIMEOUT: o->timeout_ms = (unsigned)v; break;
	case OPT_MTU: o->mtu = (unsigned)v; break;
	case OPT_PORT: o->port = (unsigned)v; break;
	case OPT_SPORT: o->sport = (unsigned)v; break;
	case OPT_MIN: o->min_size = (unsigned)v; break;
	case OPT_MAX: o->max_size = (unsigned)v; break;
	case OPT_WINDOW: o->window = (unsigned)v; break;
	case OPT_SECONDS: o->seconds = (unsigned)v; break;
	case OPT_SIZE: o->size = (unsigned)v; break;
	case OPT_SEED: o->seed = v; break;
	case OPT_RATE: o->rate = (unsigned)v; break;
	case OPT_CORRUPT: o->corrupt = (unsigned)v; break;
	}
}

/* One option's value into o; 0, or a usage error's exit status. */
static int take_value(int id, const char *v, struct hw_opts *o, const char **transport)
{
	for (size_t i = 0; i < sizeof(numopts) / sizeof(numopts[0]); i++) {
		unsigned long n;
		if (numopts[i].id != id)
			continue;
		if (parse_num(v, numopts[i].lo, numopts[i].hi, &n) < 0)
			return usage_error("bad number or out of range: %s", v);
		set_num(o, id, n);
		return 0;
	}
	int bad = 0;
	switch (id) {
	case OPT_TAP: case OPT_DGRAM:
		if (*transport)
			return usage_error("one transport only (%s given twice)", "--tap/--dgram");
		*transport = v;
		break;
	case OPT_MAC: bad = hw_parse_mac(v, &o->mac); break;
	case OPT_NODE_MAC: bad = hw_parse_mac(v, &o->node_mac); break;
	case OPT_ADDR: bad = hw_parse_addr(v, &o->addr); break;
	case OPT_ROUTER: bad = hw_parse_addr(v, &o->router); break;
	case OPT_SRC: bad = hw_parse_addr(v, &o->src); break;
	case OPT_DST: bad = hw_parse_addr(v, &o->dst); break;
	case OPT_TO: bad = parse_to(v, o); break;
	case OPT_PREFIX: bad = kan_prefix_parse(v, strlen(v), &o->prefix); break;
	case OPT_LISTEN: o->listen = v; break;
	case OPT_CLASS:
		if (o->n_classes == HW_CLASSES_MAX || !barrage_class_known(v))
			return usage_error("unknown or repeated too often: --class %s (see barrage --list)", v);
		o->classes[o->n_classes++] = v;
		break;
	}
	return bad ? usage_error("malformed value: %s", v) : 0;
}

/* The link plan of docs/host-link.md: the host ::1, the node's router ::2
 * on fd00:6b61:6e00:ff::/64, the node's MAC as tools/run-node gives it. */
static const struct net_mac host_mac = {{0x02, 0x68, 0x6b, 0x77, 0x00, 0x01}};
static const struct net_mac node_mac = {{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
static const struct net_mac broadcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
static const struct hk_addr host_addr = {{0xfd, 0, 0x6b, 0x61, 0x6e, 0, 0, 0xff, [15] = 1}};
static const struct hk_addr router_addr = {{0xfd, 0, 0x6b, 0x61, 0x6e, 0, 0, 0xff, [15] = 2}};

/* Before the options: what a command does unless told otherwise. */
static void defaults(struct hw_opts *o, const char *cmd)
{
	int udp = !strcmp(cmd, "udp"), barrage = !strcmp(cmd, "barrage");
	o->count = barrage || udp ? 1000 : !strcmp(cmd, "ping") ? 5 : 100;
	o->timeout_ms = 1000;
	o->mtu = 1500;
	o->window = 32;
	o->seed = 1;
	o->size = 56;                     /* ping data, as Linux ping */
	o->min_size = udp ? 16 : 64;      /* UDP payload, else frame */
	o->max_size = udp ? 1452 : 1514;  /* what a 1500-byte MTU carries */
	o->seconds = !strcmp(cmd, "fake-node") ? 60 : 0;
	o->mac = host_mac;
	o->node_mac = barrage ? node_mac : broadcast;
	o->addr = o->src = host_addr;
	o->router = o->dst = router_addr;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* The first word that is not an option (getopt permutes the rest). */
static const char *command_word(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] != '-')
			return argv[i];
		if (!strcmp(argv[i], "--"))
			return i + 1 < argc ? argv[i + 1] : NULL;
		const struct option *lo = long_opts;
		for (; lo->name; lo++)
			if (!strncmp(argv[i] + 2, lo->name, strlen(lo->name)) &&
			    argv[i][2 + strlen(lo->name)] == 0 && lo->has_arg)
				i++; /* "--opt value": skip the value */
	}
	return NULL;
}

static int parse(int argc, char **argv, struct hw_opts *o, const char **transport)
{
	int c, r;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(HW_EXIT_OK);
		}
		if (c == '?')
			return usage_error("unknown option or missing value: %s", argv[optind - 1]);
		o->given |= 1ul << c;
		if ((r = take_value(c, optarg, o, transport)))
			return r;
	}
	if (argc - optind != 1)
		return usage_error("exactly one command expected%s", argc - optind ? ", got more" : "");
	return 0;
}

static int check_options(const struct command *c, const struct hw_opts *o)
{
	unsigned long extra = o->given & ~(c->takes | B(TAP) | B(DGRAM));
	unsigned long missing = o->given & B(LIST) ? 0 : c->needs & ~o->given;
	for (int i = 0; i < OPT_NUM; i++) /* long_opts[] is in enum hw_opt order */
		if (extra >> i & 1)
			return usage_error("--%s does not apply to this command", long_opts[i].name);
	for (int i = 0; i < OPT_NUM; i++)
		if (missing >> i & 1)
			return usage_error("this command needs --%s", long_opts[i].name);
	if ((o->given & B(MIN)) && (o->given & B(MAX)) && o->min_size > o->max_size)
		return usage_error("--min-size is larger than --max-size%s", "");
	return 0;
}

/* 0; -1 when the transport could not be opened (said why); -2 when the
 * --dgram argument is malformed (a usage error). */
static int open_link(struct hw_link *l, int tap, const char *arg)
{
	if (tap)
		return link_open_tap(l, arg);
	char local[256];
	const char *comma = strchr(arg, ',');
	if (!comma || comma == arg || !comma[1] || (size_t)(comma - arg) >= sizeof(local)) {
		fprintf(stderr, "hkwire: --dgram wants LOCAL_PATH,REMOTE_PATH, got %s\n", arg);
		return -2;
	}
	memcpy(local, arg, (size_t)(comma - arg));
	local[comma - arg] = 0;
	return link_open_dgram(l, local, comma + 1);
}

static void on_signal(int sig)
{
	(void)sig;
	hw_stop = 1;
}

static void catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: waits return and see hw_stop */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	static struct hw_opts o;
	const char *transport = NULL, *word = command_word(argc, argv);
	const struct command *c = word ? find_command(word) : NULL;
	if (argc < 2 || (argc == 2 && !strcmp(argv[1], "--help"))) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? HW_EXIT_USAGE : HW_EXIT_OK;
	}
	if (!c)
		return usage_error("unknown or missing command %s", word ? word : "");
	defaults(&o, c->name);
	int r = parse(argc, argv, &o, &transport);
	if (r || (r = check_options(c, &o)))
		return r;
	if (o.given & B(LIST)) {
		barrage_list();
		return HW_EXIT_OK;
	}
	if (o.given & B(CHECK))
		return cmd_barrage(NULL, &o);
	if (!transport)
		return usage_error("a transport is needed: --tap IFNAME or --dgram LOCAL,REMOTE%s", "");
	struct hw_link link;
	r = open_link(&link, (o.given & B(TAP)) != 0, transport);
	if (r < 0)
		return r == -2 ? HW_EXIT_USAGE : HW_EXIT_ERROR;
	catch_signals();
	r = c->run(&link, &o);
	link_close(&link);
	return r;
}
