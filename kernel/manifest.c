// SPDX-License-Identifier: BSD-2-Clause
/*
 * Boot manifest: text -> struct manifest, then a check against the machine.
 *
 * The text is untrusted. It is read line by line with memchr, never past
 * len; each token consumes at least one byte, so every loop is bounded by
 * the text length. Values that do not fit their field are errors, never
 * truncated. Every error message starts with "manifest" so the boot log
 * says where it came from.
 *
 * Lexical rules (the format itself is in <hekate/manifest.h>):
 *  - lines end with "\n"; space, tab and CR are whitespace (so "\r\n" works);
 *  - a NUL or another control character anywhere is an error;
 *  - '#' outside double quotes starts a comment, also right after a value
 *    ("bin=a#x" is bin=a);
 *  - a token is WORD or KEY=VALUE; VALUE is either unquoted (no whitespace,
 *    no '"') or "..." (no escapes, anything but '"' inside), and a closing
 *    quote must end the token.
 */
#include <hekate/cpio.h>
#include <hekate/errno.h>
#include <hekate/fmt.h>
#include <hekate/manifest.h>
#include <kan/ipv6.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SHOW_MAX 64 /* longest piece of input quoted in an error message */

struct ctx {
	struct manifest *m;
	char *err;
	size_t errlen;
	unsigned line;                 /* 0: the message is not about one line */
	const char *pfx;               /* prefix when line is 0 */
	char (*scratch)[SHOW_MAX + 1]; /* two buffers for show() */
};

/* The unread rest of one line. */
struct lcur {
	const char *s;
	size_t n, i;
};

struct tok {
	const char *raw, *key, *val;
	size_t rawlen, keylen, vallen;
	int has_val;
};

enum key {
	K_BIN,
	K_ARGS,
	K_CORES,
	K_CLAIM,
	K_RESTART,
	K_MAX_RESTARTS,
	K_DEVICE,
	K_EXPECT,
	K_SUPERVISOR,
	K_KAN_QUOTA,
	K_KAN_EPS,
	K_UPLINK,
	K_FORWARD,
	K_MGMT,
	K_COUNT,
};

static const char *const key_names[K_COUNT] = {
    "bin", "args", "cores", "claim", "restart", "max-restarts", "device", "expect", "supervisor",
    "kan-quota", "kan-endpoints", "uplink", "forward", "mgmt",
};

/*
 * s[0..n) as a C string for an error message, in scratch slot `slot` (0 or
 * 1), cut to SHOW_MAX bytes. Input is copied rather than printed with
 * "%.*s" because kernel/lib/fmt.c reads the byte at the precision before it
 * stops, and that byte may lie past the end of the text.
 */
static const char *show(const struct ctx *c, int slot, const char *s, size_t n)
{
	char *buf = c->scratch[slot];
	if (n > SHOW_MAX)
		n = SHOW_MAX;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

static int fail(const struct ctx *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Write "manifest line N: " (or c->pfx) and the message; returns -code. */
static int fail(const struct ctx *c, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!c->err || !c->errlen)
		return -code;
	if (c->line)
		n = fmt_snprintf(c->err, c->errlen, "manifest line %u: ", c->line);
	else
		n = fmt_snprintf(c->err, c->errlen, "%s", c->pfx);
	if (n >= 0 && (size_t)n < c->errlen) {
		va_start(ap, fmt);
		fmt_vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -code;
}

static int is_ws(char ch) { return ch == ' ' || ch == '\t' || ch == '\r'; }

static int is_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '.' || ch == '-';
}

/* Does s[0..n) equal the C string lit? */
static int eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && !memcmp(s, lit, n);
}

/* Decimal s[0..n) into *v: -1 if not all digits (or empty), -2 if above max. */
static int parse_dec(const char *s, size_t n, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (x > (max - d) / 10)
			return -2;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

/* A number value of key: digits only, 0..max. */
static int num_value(const struct ctx *c, const struct tok *t, uint64_t max, uint64_t *v)
{
	int rc = parse_dec(t->val, t->vallen, max, v);

	if (rc == -1)
		return fail(c, HK_EBADMAN, "%s=%s: not a decimal number",
		            show(c, 0, t->key, t->keylen), show(c, 1, t->val, t->vallen));
	if (rc == -2)
		return fail(c, HK_EBADMAN, "%s=%s: above the limit %llu",
		            show(c, 0, t->key, t->keylen), show(c, 1, t->val, t->vallen),
		            (unsigned long long)max);
	return 0;
}

/* A NUL or a control character (other than tab and CR) is never valid text. */
static int check_bytes(const struct ctx *c, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == 0)
			return fail(c, HK_EBADMAN, "NUL byte in the text");
		if ((ch < 0x20 && ch != '\t' && ch != '\r') || ch == 0x7f)
			return fail(c, HK_EBADMAN, "control character 0x%02x", ch);
	}
	return 0;
}

/* Value after '=' at s[*i]: quoted or bare. */
static int scan_value(const struct ctx *c, struct lcur *lc, size_t *i, struct tok *t)
{
	const char *s = lc->s;
	size_t n = lc->n;

	if (*i < n && s[*i] == '"') {
		const char *q = memchr(s + *i + 1, '"', n - *i - 1);
		if (!q)
			return fail(c, HK_EBADMAN, "unterminated quote in the value of '%s'",
			            show(c, 0, t->key, t->keylen));
		t->val = s + *i + 1;
		t->vallen = (size_t)(q - t->val);
		*i = (size_t)(q - s) + 1;
		if (*i < n && !is_ws(s[*i]) && s[*i] != '#')
			return fail(c, HK_EBADMAN, "text after the closing quote of '%s'",
			            show(c, 0, t->key, t->keylen));
		return 0;
	}
	t->val = s + *i;
	while (*i < n && !is_ws(s[*i]) && s[*i] != '#') {
		if (s[*i] == '"')
			return fail(c, HK_EBADMAN, "stray quote in the value of '%s'",
			            show(c, 0, t->key, t->keylen));
		(*i)++;
	}
	t->vallen = (size_t)(s + *i - t->val);
	return 0;
}

/* Next token of the line: 1 and *t, 0 at the end of the line or a comment, or an error. */
static int next_token(const struct ctx *c, struct lcur *lc, struct tok *t)
{
	const char *s = lc->s;
	size_t n = lc->n, i = lc->i;
	int rc;

	while (i < n && is_ws(s[i]))
		i++;
	if (i == n || s[i] == '#') {
		lc->i = n;
		return 0;
	}
	size_t start = i;
	while (i < n && !is_ws(s[i]) && s[i] != '=' && s[i] != '"' && s[i] != '#')
		i++;
	t->key = s + start;
	t->keylen = i - start;
	t->val = NULL;
	t->vallen = 0;
	t->has_val = 0;
	if (i < n && s[i] == '"')
		return fail(c, HK_EBADMAN,
		            "stray quote (double quotes only enclose a whole value: KEY=\"...\")");
	if (i < n && s[i] == '=') {
		if (!t->keylen)
			return fail(c, HK_EBADMAN, "'=' without a key before it");
		t->has_val = 1;
		i++;
		rc = scan_value(c, lc, &i, t);
		if (rc)
			return rc;
	}
	t->raw = s + start;
	t->rawlen = i - start;
	lc->i = i;
	return 1;
}

/* Copy a string value into a field of size cap (including the NUL), or fail naming it. */
static int copy_value(const struct ctx *c, const struct tok *t, char *dst, size_t cap)
{
	if (t->vallen >= cap)
		return fail(c, HK_EBADMAN, "%s= is %zu bytes, at most %zu",
		            show(c, 0, t->key, t->keylen), t->vallen, cap - 1);
	memcpy(dst, t->val, t->vallen);
	dst[t->vallen] = '\0';
	return 0;
}

static int set_name(const struct ctx *c, char *dst, const char *what, const struct tok *t)
{
	if (t->keylen >= MAN_NAME_MAX)
		return fail(c, HK_EBADMAN, "%s name '%s' is %zu bytes, at most %d", what,
		            show(c, 0, t->key, t->keylen), t->keylen, MAN_NAME_MAX - 1);
	for (size_t i = 0; i < t->keylen; i++) {
		if (!is_name_char(t->key[i]))
			return fail(c, HK_EBADMAN, "%s name '%s' has a character outside [A-Za-z0-9_.-]",
			            what, show(c, 0, t->key, t->keylen));
	}
	memcpy(dst, t->key, t->keylen);
	dst[t->keylen] = '\0';
	return 0;
}

/* args: words separated by spaces or tabs, stored NUL-terminated back to back. */
static int parse_args(const struct ctx *c, struct man_proc *p, const struct tok *t)
{
	const char *v = t->val;
	size_t n = t->vallen, i = 0;

	while (i < n) {
		while (i < n && is_ws(v[i]))
			i++;
		if (i == n)
			break;
		size_t start = i;
		while (i < n && !is_ws(v[i]))
			i++;
		size_t wlen = i - start;
		if (p->argc == MAN_MAX_ARGC)
			return fail(c, HK_EBADMAN, "args= has more than %d arguments",
			            MAN_MAX_ARGC);
		if (wlen + 1 > MAN_ARGS_MAX - p->args_len)
			return fail(c, HK_EBADMAN, "args= needs more than %d bytes (NUL-separated)",
			            MAN_ARGS_MAX);
		memcpy(p->args + p->args_len, v + start, wlen);
		p->args[p->args_len + wlen] = '\0';
		p->args_len += (unsigned)(wlen + 1);
		p->argc++;
	}
	if (!p->argc)
		return fail(c, HK_EBADMAN, "empty value for 'args'");
	return 0;
}

/* One core number of a cores= list. */
static int core_number(const struct ctx *c, const char *s, size_t n, uint64_t *v)
{
	int rc = parse_dec(s, n, MAN_MAX_CORES - 1, v);

	if (rc == -1)
		return fail(c, HK_EBADMAN,
		            "cores=: '%s' is not a core number (expected any, N, A-B or a "
		            "comma-separated list)",
		            show(c, 0, s, n));
	if (rc == -2)
		return fail(c, HK_EBADMAN, "cores=: core %s is above the limit %d",
		            show(c, 0, s, n), MAN_MAX_CORES - 1);
	return 0;
}

/* cores=any | N | A-B | a comma-separated list of those. "any" is 0. */
static int parse_cores(const struct ctx *c, const struct tok *t, uint64_t *mask)
{
	const char *v = t->val;
	size_t n = t->vallen, i = 0;
	uint64_t a, b;
	int rc;

	*mask = 0;
	if (eq(v, n, "any"))
		return 0;
	for (;;) {
		size_t start = i;
		while (i < n && v[i] != ',')
			i++;
		const char *item = v + start, *dash = memchr(item, '-', i - start);
		size_t alen = dash ? (size_t)(dash - item) : i - start;
		rc = core_number(c, item, alen, &a);
		if (rc)
			return rc;
		b = a;
		if (dash) {
			rc = core_number(c, dash + 1, (size_t)(v + i - dash - 1), &b);
			if (rc)
				return rc;
			if (a > b)
				return fail(c, HK_EBADMAN, "cores=: range %llu-%llu is backwards",
				            (unsigned long long)a, (unsigned long long)b);
		}
		for (uint64_t k = a; k <= b; k++)
			*mask |= 1ull << k;
		if (i == n)
			return 0;
		i++; /* the ',': an empty item after it fails in core_number */
	}
}

static int parse_restart(const struct ctx *c, struct man_proc *p, const struct tok *t)
{
	if (eq(t->val, t->vallen, "never"))
		p->restart = MAN_RESTART_NEVER;
	else if (eq(t->val, t->vallen, "on-failure"))
		p->restart = MAN_RESTART_ON_FAILURE;
	else if (eq(t->val, t->vallen, "always"))
		p->restart = MAN_RESTART_ALWAYS;
	else
		return fail(c, HK_EBADMAN,
		            "unknown restart policy '%s' (expected never, on-failure or always)",
		            show(c, 1, t->val, t->vallen));
	return 0;
}

static int add_device(const struct ctx *c, struct man_proc *p, const struct tok *t)
{
	if (p->ndevs == MAN_MAX_DEVS)
		return fail(c, HK_EBADMAN, "more than %d device= grants", MAN_MAX_DEVS);
	for (unsigned i = 0; i < p->ndevs; i++) {
		if (eq(t->val, t->vallen, p->devs[i]))
			return fail(c, HK_EBADMAN, "device '%s' granted twice",
			            show(c, 1, t->val, t->vallen));
	}
	int rc = copy_value(c, t, p->devs[p->ndevs], MAN_DEV_MAX);
	if (rc)
		return rc;
	p->ndevs++;
	return 0;
}

/* Apply key k (already known to have a non-empty value) to p. */
static int apply_key(const struct ctx *c, struct man_proc *p, enum key k, const struct tok *t)
{
	uint64_t v;
	int rc = 0;

	switch (k) {
	case K_BIN: return copy_value(c, t, p->bin, MAN_BIN_MAX);
	case K_ARGS: return parse_args(c, p, t);
	case K_CORES: return parse_cores(c, t, &p->cores);
	case K_RESTART: return parse_restart(c, p, t);
	case K_DEVICE: return add_device(c, p, t);
	case K_SUPERVISOR: p->supervisor = 1; return 0;
	case K_UPLINK: p->uplink = 1; return 0;
	case K_FORWARD: p->forward = p->forward_key = 1; return 0;
	case K_MGMT: p->mgmt = 1; return 0;
	case K_KAN_QUOTA:
		rc = num_value(c, t, HK_PKT_SLOTS, &v);
		if (!rc && !v)
			return fail(c, HK_EBADMAN, "kan-quota must be at least 1");
		p->kan_quota = (unsigned)v;
		return rc;
	case K_KAN_EPS:
		rc = num_value(c, t, HK_KAN_MAX_EPS, &v);
		if (!rc && !v)
			return fail(c, HK_EBADMAN, "kan-endpoints must be at least 1");
		p->kan_eps = (unsigned)v;
		return rc;
	case K_CLAIM:
		rc = num_value(c, t, MAN_MAX_CORES - 1, &v);
		p->claim = rc ? -1 : (int)v;
		return rc;
	case K_MAX_RESTARTS:
		rc = num_value(c, t, 0xffffffffu, &v);
		p->max_restarts = (unsigned)v;
		return rc;
	case K_EXPECT:
		rc = num_value(c, t, 255, &v);
		p->expect = (int)v;
		p->has_expect = 1;
		return rc;
	case K_COUNT: break;
	}
	return fail(c, HK_EBADMAN, "internal: key %d", (int)k);
}

/* One token after the process name; *seen collects the keys given so far. */
static int proc_key(const struct ctx *c, struct man_proc *p, const struct tok *t, unsigned *seen)
{
	int k = -1;

	for (int i = 0; i < K_COUNT; i++) {
		if (eq(t->key, t->keylen, key_names[i]))
			k = i;
	}
	if (k < 0)
		return fail(c, HK_EBADMAN, "unknown key '%s'", show(c, 0, t->key, t->keylen));
	int bare = k == K_SUPERVISOR || k == K_UPLINK || k == K_FORWARD || k == K_MGMT;
	if (bare && t->has_val)
		return fail(c, HK_EBADMAN, "'%s' takes no value", key_names[k]);
	if (!bare && !t->has_val)
		return fail(c, HK_EBADMAN, "key '%s' needs a value (%s=...)", key_names[k],
		            key_names[k]);
	if (!bare && !t->vallen)
		return fail(c, HK_EBADMAN, "empty value for '%s'", key_names[k]);
	if (k != K_DEVICE && (*seen & (1u << k)))
		return fail(c, HK_EBADMAN, "key '%s' given twice", key_names[k]);
	*seen |= 1u << k;
	return apply_key(c, p, (enum key)k, t);
}

/* Conflicts between p and one earlier process q (both fully parsed). */
static int check_pair(const struct ctx *c, const struct man_proc *p, const struct man_proc *q)
{
	if (!strcmp(p->name, q->name))
		return fail(c, HK_EBADMAN, "duplicate process name '%s' (first on line %u)",
		            p->name, q->line);
	if (p->uplink && q->uplink)
		return fail(c, HK_EBADMAN, "a second uplink '%s' (first '%s' on line %u)", p->name,
		            q->name, q->line);
	if (p->mgmt && q->mgmt)
		return fail(c, HK_EBADMAN, "a second management service '%s' (first '%s' on line %u)",
		            p->name, q->name, q->line);
	if (p->supervisor && q->supervisor)
		return fail(c, HK_EBADMAN, "a second supervisor '%s' (first '%s' on line %u)",
		            p->name, q->name, q->line);
	if (p->claim >= 0 && p->claim == q->claim)
		return fail(c, HK_EBADMAN, "core %d already claimed by '%s' (line %u)", p->claim,
		            q->name, q->line);
	if (p->claim >= 0 && q->claim < 0 && (q->cores & (1ull << p->claim)))
		return fail(c, HK_EBADMAN,
		            "'%s' claims core %d, which '%s' (line %u) lists in cores=", p->name,
		            p->claim, q->name, q->line);
	if (p->claim < 0 && q->claim >= 0 && (p->cores & (1ull << q->claim)))
		return fail(c, HK_EBADMAN,
		            "cores= of '%s' includes core %d, claimed by '%s' (line %u)", p->name,
		            q->claim, q->name, q->line);
	return 0;
}

/* Defaults and the rules that need the whole line, then the checks against earlier lines. */
static int finish_proc(const struct ctx *c, struct man_proc *p, unsigned seen)
{
	const struct manifest *m = c->m;
	int rc;

	if (!(seen & (1u << K_BIN)))
		return fail(c, HK_EBADMAN, "process '%s' has no bin=", p->name);
	if (p->claim >= 0) {
		uint64_t want = 1ull << p->claim;
		if ((seen & (1u << K_CORES)) && p->cores != want)
			return fail(c, HK_EBADMAN,
			            "process '%s': claim=%d but cores= is not exactly core %d",
			            p->name, p->claim, p->claim);
		p->cores = want;
	}
	if (!p->kan_quota)
		p->kan_quota = HK_KAN_QUOTA_DEF;
	if (!p->kan_eps)
		p->kan_eps = HK_KAN_EPS_DEF;
	if (!(seen & (1u << K_MAX_RESTARTS)))
		p->max_restarts = p->restart == MAN_RESTART_NEVER ? 0 : 3;
	else if (p->restart == MAN_RESTART_NEVER)
		return fail(c, HK_EBADMAN,
		            "process '%s': max-restarts= needs restart=on-failure or always",
		            p->name);
	for (unsigned i = 0; i < m->nprocs; i++) {
		rc = check_pair(c, p, &m->procs[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* "proc NAME key=value ... [supervisor]" into the next free slot. */
static int parse_proc(const struct ctx *c, struct lcur *lc)
{
	struct manifest *m = c->m;
	struct tok t;
	unsigned seen = 0;
	int rc;

	if (m->nprocs >= MAN_MAX_PROCS)
		return fail(c, HK_ETOOMANY, "more than %d processes", MAN_MAX_PROCS);
	struct man_proc *p = &m->procs[m->nprocs];
	memset(p, 0, sizeof(*p));
	p->claim = -1;
	p->pipe = p->pipe_next = p->pipe_first = -1;
	p->line = c->line;
	rc = next_token(c, lc, &t);
	if (rc < 0)
		return rc;
	if (rc == 0 || t.has_val)
		return fail(c, HK_EBADMAN, "proc needs a NAME before its keys");
	rc = set_name(c, p->name, "process", &t);
	while (!rc && (rc = next_token(c, lc, &t)) == 1)
		rc = proc_key(c, p, &t, &seen);
	if (rc)
		return rc;
	rc = finish_proc(c, p, seen);
	if (rc)
		return rc;
	m->nprocs++;
	return 0;
}

/* One set key's value into the manifest. */
static int apply_set(const struct ctx *c, const struct tok *t)
{
	struct manifest *m = c->m;
	uint64_t v;
	if (eq(t->key, t->keylen, "halt")) {
		if (!eq(t->val, t->vallen, "when-done"))
			return fail(c, HK_EBADMAN, "set halt=%s: expected halt=when-done",
			            show(c, 1, t->val, t->vallen));
		m->halt_when_done = 1;
		return 0;
	}
	if (eq(t->key, t->keylen, "kan-prefix")) {
		if (kan_prefix_parse(t->val, t->vallen, &m->kan_prefix))
			return fail(c, HK_EBADMAN,
			            "set kan-prefix=%s: expected an IPv6 /64 such as fd00:1::/64",
			            show(c, 1, t->val, t->vallen));
		m->has_kan_prefix = 1;
		return 0;
	}
	if (eq(t->key, t->keylen, "kan-pages")) {
		int rc = num_value(c, t, MAN_KAN_PAGES_MAX, &v);
		if (!rc && v < MAN_KAN_PAGES_MIN)
			return fail(c, HK_EBADMAN, "set kan-pages=%llu: at least %u",
			            (unsigned long long)v, MAN_KAN_PAGES_MIN);
		m->kan_pages = (uint32_t)v;
		return rc;
	}
	return fail(c, HK_EBADMAN, "set: unknown key '%s' (known: halt, kan-prefix, kan-pages)",
	            show(c, 0, t->key, t->keylen));
}

/* "set KEY=VALUE" */
static int parse_set(const struct ctx *c, struct lcur *lc)
{
	struct tok t;
	int rc = next_token(c, lc, &t);

	if (rc < 0)
		return rc;
	if (rc == 0 || !t.has_val)
		return fail(c, HK_EBADMAN, "set needs KEY=VALUE");
	if (!t.vallen)
		return fail(c, HK_EBADMAN, "empty value for '%s'", show(c, 0, t.key, t.keylen));
	rc = apply_set(c, &t);
	if (rc)
		return rc;
	rc = next_token(c, lc, &t);
	if (rc < 0)
		return rc;
	if (rc)
		return fail(c, HK_EBADMAN, "set takes one KEY=VALUE, then '%s'",
		            show(c, 0, t.raw, t.rawlen));
	return 0;
}

/* The entry named s[0..n) among the processes declared so far, or -1. */
static int find_declared(const struct manifest *m, const char *s, size_t n)
{
	for (unsigned i = 0; i < m->nprocs; i++)
		if (eq(s, n, m->procs[i].name))
			return (int)i;
	return -1;
}

/* One stage name s[0..n) appended to pipeline pl; checks it may be a stage. */
static int add_stage(const struct ctx *c, struct man_pipe *pl, const char *s, size_t n)
{
	struct manifest *m = c->m;
	if (!n)
		return fail(c, HK_EBADMAN, "pipeline '%s': empty stage name in stages=", pl->name);
	if (pl->nstages == MAN_PIPE_MAX_STAGES)
		return fail(c, HK_EBADMAN, "pipeline '%s': more than %d stages", pl->name,
		            MAN_PIPE_MAX_STAGES);
	int i = find_declared(m, s, n);
	if (i < 0)
		return fail(c, HK_EBADMAN,
		            "pipeline '%s': unknown process '%s' (declare processes before the "
		            "pipelines that use them)",
		            pl->name, show(c, 1, s, n));
	const struct man_proc *p = &m->procs[i];
	if (p->pipe >= 0 || memchr(pl->stage, i, pl->nstages))
		return fail(c, HK_EBADMAN, "pipeline '%s': process '%s' is already a stage of '%s'",
		            pl->name, p->name, p->pipe >= 0 ? m->pipes[p->pipe].name : pl->name);
	if (p->supervisor || p->uplink)
		return fail(c, HK_EBADMAN, "pipeline '%s': '%s' is the %s and cannot be a stage",
		            pl->name, p->name, p->supervisor ? "supervisor" : "uplink");
	pl->stage[pl->nstages++] = (uint8_t)i;
	return 0;
}

/* Link pl's stages: each forwards to the next; all but the last may forward wire sources. */
static void link_stages(struct manifest *m, const struct man_pipe *pl, int index)
{
	for (unsigned k = 0; k < pl->nstages; k++) {
		struct man_proc *p = &m->procs[pl->stage[k]];
		p->pipe = index;
		p->pipe_first = pl->stage[0];
		p->pipe_next = k + 1 < pl->nstages ? pl->stage[k + 1] : -1;
		if (k + 1 < pl->nstages)
			p->forward = 1;
	}
}

/* st[i] may be a stage of pipeline pi after st[0..i): 0, else why not. */
static int stage_ok(const struct manifest *m, unsigned pi, const uint8_t *st, unsigned i)
{
	if (st[i] >= m->nprocs || memchr(st, st[i], i) != NULL)
		return -HK_EINVAL; /* no such entry, or twice */
	const struct man_proc *p = &m->procs[st[i]];
	if (p->supervisor || p->uplink || p->mgmt)
		return -HK_EPERM;
	return p->pipe >= 0 && (unsigned)p->pipe != pi ? -HK_EBUSY : 0;
}

/* What a pipeline change may alter in entry p, packed for comparison. */
static uint64_t pipe_sig(const struct man_proc *p)
{
	return (uint64_t)(uint8_t)p->pipe | (uint64_t)(uint8_t)p->pipe_next << 8 |
	       (uint64_t)(uint8_t)p->pipe_first << 16 | (uint64_t)!!p->forward << 24;
}

int manifest_pipe_set(struct manifest *m, const char *name, const uint8_t *st, unsigned n,
                      uint64_t *changed)
{
	unsigned pi = 0;
	while (pi < m->npipes && strcmp(m->pipes[pi].name, name))
		pi++;
	if (pi == m->npipes)
		return -HK_ENOENT;
	if (n < 2 || n > MAN_PIPE_MAX_STAGES)
		return -HK_EINVAL;
	for (unsigned i = 0; i < n; i++) {
		int rc = stage_ok(m, pi, st, i);
		if (rc)
			return rc;
	}
	struct man_pipe *pl = &m->pipes[pi];
	uint64_t before[MAN_MAX_PROCS];
	for (unsigned i = 0; i < m->nprocs; i++)
		before[i] = pipe_sig(&m->procs[i]);
	for (unsigned k = 0; k < pl->nstages; k++) { /* the old stages leave... */
		struct man_proc *p = &m->procs[pl->stage[k]];
		p->pipe = p->pipe_next = p->pipe_first = -1;
		p->forward = p->forward_key;
	}
	memcpy(pl->stage, st, n); /* ...and the new ones join */
	pl->nstages = n;
	link_stages(m, pl, (int)pi);
	*changed = 0;
	for (unsigned i = 0; i < m->nprocs; i++)
		if (before[i] != pipe_sig(&m->procs[i]))
			*changed |= 1ull << i;
	return 0;
}

/* "pipeline NAME stages=A,B,..." */
static int parse_pipeline(const struct ctx *c, struct lcur *lc)
{
	struct manifest *m = c->m;
	struct tok t;
	if (m->npipes >= MAN_MAX_PIPES)
		return fail(c, HK_ETOOMANY, "more than %d pipelines", MAN_MAX_PIPES);
	struct man_pipe *pl = &m->pipes[m->npipes];
	memset(pl, 0, sizeof(*pl));
	pl->line = c->line;
	int rc = next_token(c, lc, &t);
	if (rc < 0)
		return rc;
	if (rc == 0 || t.has_val)
		return fail(c, HK_EBADMAN, "pipeline needs a NAME, then stages=A,B,...");
	rc = set_name(c, pl->name, "pipeline", &t);
	for (unsigned i = 0; !rc && i < m->npipes; i++)
		if (!strcmp(m->pipes[i].name, pl->name))
			rc = fail(c, HK_EBADMAN, "duplicate pipeline name '%s' (first on line %u)",
			          pl->name, m->pipes[i].line);
	if (rc)
		return rc;
	rc = next_token(c, lc, &t);
	if (rc < 0)
		return rc;
	if (rc == 0 || !t.has_val || !eq(t.key, t.keylen, "stages"))
		return fail(c, HK_EBADMAN, "pipeline '%s': expected stages=A,B,...", pl->name);
	rc = 0;
	for (size_t at = 0, end; !rc && at <= t.vallen; at = end + 1) {
		const char *comma = memchr(t.val + at, ',', t.vallen - at);
		end = comma ? (size_t)(comma - t.val) : t.vallen;
		rc = add_stage(c, pl, t.val + at, end - at);
	}
	if (!rc && pl->nstages < 2)
		rc = fail(c, HK_EBADMAN, "pipeline '%s': needs at least 2 stages", pl->name);
	if (!rc && (rc = next_token(c, lc, &t)) == 1)
		rc = fail(c, HK_EBADMAN, "pipeline '%s': unexpected '%s' after stages=", pl->name,
		          show(c, 0, t.raw, t.rawlen));
	if (rc)
		return rc;
	link_stages(m, pl, (int)m->npipes++);
	return 0;
}

static int parse_line(const struct ctx *c, const char *s, size_t n)
{
	struct lcur lc = {s, n, 0};
	struct tok t;
	int rc = check_bytes(c, s, n);

	if (rc)
		return rc;
	rc = next_token(c, &lc, &t);
	if (rc <= 0)
		return rc; /* blank, comment, or a lexical error */
	if (!t.has_val && eq(t.key, t.keylen, "proc"))
		return parse_proc(c, &lc);
	if (!t.has_val && eq(t.key, t.keylen, "set"))
		return parse_set(c, &lc);
	if (!t.has_val && eq(t.key, t.keylen, "pipeline"))
		return parse_pipeline(c, &lc);
	return fail(c, HK_EBADMAN, "unknown directive '%s' (expected proc, set or pipeline)",
	            show(c, 0, t.raw, t.rawlen));
}

int manifest_parse(const char *text, size_t len, struct manifest *m, char *err, size_t errlen)
{
	char scratch[2][SHOW_MAX + 1];
	struct ctx c = {m, err, errlen, 0, "manifest: ", scratch};
	size_t pos = 0;
	int rc;

	memset(m, 0, sizeof(*m));
	if (!text && len)
		return fail(&c, HK_EBADMAN, "no text");
	while (pos < len) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		if (c.line == 0xffffffffu)
			return fail(&c, HK_EBADMAN, "too many lines");
		c.line++;
		rc = parse_line(&c, s, n);
		if (rc)
			return rc;
		pos += n + (nl ? 1 : 0);
	}
	c.line = 0;
	for (unsigned i = 0; i < m->nprocs; i++) {
		if (m->procs[i].supervisor)
			return 0;
	}
	return fail(&c, HK_EBADMAN, "no supervisor process");
}

/*
 * "process 'x': unknown device 'y' (known: a, b)". The list of known names
 * may not fit err; it is then cut and ends in "...".
 */
static int unknown_device(const struct man_proc *p, const char *dev, const char *const *devnames,
                          unsigned ndevs, char *err, size_t errlen)
{
	if (!err || !errlen)
		return -HK_EBADMAN;
	size_t pos = (size_t)fmt_snprintf(
	    err, errlen, "process '%s': unknown device '%s' (known: ", p->name, dev);
	for (unsigned i = 0; i < ndevs && pos < errlen; i++)
		pos += (size_t)fmt_snprintf(err + pos, errlen - pos, "%s%s", i ? ", " : "",
		                            devnames[i] ? devnames[i] : "(null)");
	if (pos < errlen)
		pos += (size_t)fmt_snprintf(err + pos, errlen - pos, "%s)", ndevs ? "" : "none");
	if (pos >= errlen && errlen >= 4)
		memcpy(err + errlen - 4, "...", 4);
	return -HK_EBADMAN;
}

static int check_devices(const struct man_proc *p, const char *const *devnames, unsigned ndevs,
                         char *err, size_t errlen)
{
	for (unsigned d = 0; d < p->ndevs && d < MAN_MAX_DEVS; d++) {
		unsigned i = 0;
		while (i < ndevs && !(devnames[i] && !strcmp(devnames[i], p->devs[d])))
			i++;
		if (i == ndevs)
			return unknown_device(p, p->devs[d], devnames, ndevs, err, errlen);
	}
	return 0;
}

/* Cores and binary of one process; `unclaimed` is the set "any" resolves to. */
static int check_proc(const struct ctx *c, const struct man_proc *p, unsigned ncpus, uint64_t all,
                      uint64_t unclaimed, const void *cpio, size_t cpio_len)
{
	struct cpio_file f;
	char cerr[96];

	if (p->claim >= 0 && ((unsigned)p->claim >= ncpus || p->claim >= MAN_MAX_CORES))
		return fail(c, HK_EBADMAN, "process '%s': claim=%d but the machine has %u cores",
		            p->name, p->claim, ncpus);
	if (p->cores & ~all) {
		unsigned k = 0;
		while (!(p->cores & ~all & (1ull << k)))
			k++;
		return fail(c, HK_EBADMAN, "process '%s': core %u but the machine has %u cores",
		            p->name, k, ncpus);
	}
	if (!p->cores && !unclaimed)
		return fail(c, HK_EBADMAN,
		            "process '%s': cores=any but all %u cores are claimed by others",
		            p->name, ncpus);
	cerr[0] = '\0';
	int rc = cpio_find(cpio, cpio_len, p->bin, &f, cerr, sizeof(cerr));
	if (rc == -HK_ENOENT)
		return fail(c, HK_EBADMAN, "process '%s': binary '%s' not in the boot image",
		            p->name, p->bin);
	if (rc)
		return fail(c, HK_EBADMAN, "process '%s': binary '%s': %s", p->name, p->bin, cerr);
	return 0;
}

/*
 * Contract: m comes from a successful manifest_parse (fields NUL-terminated).
 * m is changed only when every check passes: then each cores==0 becomes the
 * set of unclaimed cores below ncpus.
 */
int manifest_check(struct manifest *m, unsigned ncpus, const void *cpio, size_t cpio_len,
                   const char *const *devnames, unsigned ndevs, char *err, size_t errlen)
{
	struct ctx c = {m, err, errlen, 0, "", NULL}; /* messages start "process 'x': " */
	unsigned n = m->nprocs < MAN_MAX_PROCS ? m->nprocs : MAN_MAX_PROCS;
	uint64_t all = ncpus >= MAN_MAX_CORES ? ~0ull : (1ull << ncpus) - 1;
	uint64_t claimed = 0;
	int rc;

	for (unsigned i = 0; i < n; i++) {
		int k = m->procs[i].claim;
		if (k >= 0 && k < MAN_MAX_CORES)
			claimed |= 1ull << k;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct man_proc *p = &m->procs[i];
		rc = check_proc(&c, p, ncpus, all, all & ~claimed, cpio, cpio_len);
		if (!rc)
			rc = check_devices(p, devnames, ndevs, err, errlen);
		if (rc)
			return rc;
	}
	for (unsigned i = 0; i < n; i++) {
		if (!m->procs[i].cores)
			m->procs[i].cores = all & ~claimed;
	}
	return 0;
}

int manifest_find(const struct manifest *m, const char *name)
{
	unsigned n = m->nprocs < MAN_MAX_PROCS ? m->nprocs : MAN_MAX_PROCS;

	if (!name || strnlen(name, MAN_NAME_MAX) == MAN_NAME_MAX)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		if (!strcmp(m->procs[i].name, name))
			return (int)i;
	}
	return -1;
}
