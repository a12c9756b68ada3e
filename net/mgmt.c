// SPDX-License-Identifier: BSD-2-Clause
/*
 * The management protocol's codec (contracts in <net/mgmt.h>, the format in
 * docs/mgmt-protocol.md). Every decoder reads through struct mgmt_r, which
 * never reads past its length, and every encoder through struct mgmt_w,
 * which never writes past its capacity.
 */
#include <net/mgmt.h>
#include <net/sha256.h>
#include <string.h>

static const char *const status_names[MGMT_E_COUNT] = {
    "ok", "unsupported version", "unknown operation", "malformed request", "request too big",
    "not authenticated (no key or no auth trailer)", "bad authenticator", "replayed request",
    "writes not allowed from this address", "no such object", "invalid argument", "busy",
    "timed out", "table full", "internal error", "unreachable", "not permitted"};

static const char *const op_names[MGMT_OP_COUNT] = {
    "?", "info", "ps", "counters", "routes", "route-add", "route-del", "kill", "restart",
    "pipe-set", "ping", "capture"};

const char *mgmt_status_str(unsigned s) { return s < MGMT_E_COUNT ? status_names[s] : "unknown status"; }

const char *mgmt_op_name(unsigned op) { return op < MGMT_OP_COUNT ? op_names[op] : "?"; }

int mgmt_op_is_write(unsigned op)
{
	return op == MGMT_OP_ROUTE_ADD || op == MGMT_OP_ROUTE_DEL || op == MGMT_OP_KILL ||
	       op == MGMT_OP_RESTART || op == MGMT_OP_PIPE_SET || op == MGMT_OP_CAPTURE;
}

/* --- writer and reader ------------------------------------------------------------------ */

void mgmt_put(struct mgmt_w *w, const void *src, size_t n)
{
	if (w->err || n > w->cap - w->len) {
		w->err = 1;
		return;
	}
	if (n)
		memcpy(w->p + w->len, src, n);
	w->len += n;
}

void mgmt_put8(struct mgmt_w *w, uint8_t v) { mgmt_put(w, &v, 1); }

void mgmt_put16(struct mgmt_w *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	mgmt_put(w, b, 2);
}

void mgmt_put32(struct mgmt_w *w, uint32_t v)
{
	mgmt_put16(w, (uint16_t)(v >> 16));
	mgmt_put16(w, (uint16_t)v);
}

void mgmt_put64(struct mgmt_w *w, uint64_t v)
{
	mgmt_put32(w, (uint32_t)(v >> 32));
	mgmt_put32(w, (uint32_t)v);
}

void mgmt_put_name(struct mgmt_w *w, const char *s)
{
	uint8_t b[MGMT_NAME] = {0};
	size_t n = strnlen(s, MGMT_NAME);
	memcpy(b, s, n);
	mgmt_put(w, b, MGMT_NAME);
}

void mgmt_get(struct mgmt_r *r, void *dst, size_t n)
{
	if (r->err || n > r->len - r->at) {
		r->err = 1;
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, r->p + r->at, n);
	r->at += n;
}

uint8_t mgmt_get8(struct mgmt_r *r)
{
	uint8_t v;
	mgmt_get(r, &v, 1);
	return v;
}

uint16_t mgmt_get16(struct mgmt_r *r)
{
	uint8_t b[2];
	mgmt_get(r, b, 2);
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* Wide reads are all or nothing: a read of which only the first bytes are there is 0. */
uint32_t mgmt_get32(struct mgmt_r *r)
{
	uint8_t b[4];
	mgmt_get(r, b, 4);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

uint64_t mgmt_get64(struct mgmt_r *r)
{
	uint8_t b[8];
	mgmt_get(r, b, 8);
	uint64_t v = 0;
	for (unsigned i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

void mgmt_get_name(struct mgmt_r *r, char *out)
{
	uint8_t b[MGMT_NAME];
	mgmt_get(r, b, MGMT_NAME);
	size_t n = 0;
	while (n < MGMT_NAME && b[n] && name_char((char)b[n]))
		n++;
	for (size_t i = n; i < MGMT_NAME; i++)
		if (b[i])
			r->err = 1; /* a character outside the set, or bytes after the NUL */
	memcpy(out, b, n);
	out[n] = 0;
}

/* --- messages ----------------------------------------------------------------------------- */

static void hdr_put(struct mgmt_w *w, const struct mgmt_hdr *h)
{
	mgmt_put8(w, h->version);
	mgmt_put8(w, h->op);
	mgmt_put16(w, h->status);
	mgmt_put32(w, h->id);
	mgmt_put16(w, h->part);
	mgmt_put16(w, h->nparts);
	mgmt_put16(w, h->body_len);
	mgmt_put16(w, h->flags);
}

size_t mgmt_msg_encode(uint8_t *buf, size_t cap, const struct mgmt_hdr *h, const void *body,
                       size_t n)
{
	struct mgmt_w w;
	struct mgmt_hdr hh = *h;
	if (n > MGMT_PART_MAX || (h->flags & MGMT_F_AUTH))
		return 0;
	hh.body_len = (uint16_t)n;
	mgmt_w_init(&w, buf, cap);
	hdr_put(&w, &hh);
	mgmt_put(&w, body, n);
	return w.err ? 0 : w.len;
}

int mgmt_msg_decode(const uint8_t *buf, size_t len, struct mgmt_hdr *h, const uint8_t **body)
{
	struct mgmt_r r;
	if (len < MGMT_HDR)
		return MGMT_DROP;
	mgmt_r_init(&r, buf, MGMT_HDR);
	h->version = mgmt_get8(&r);
	h->op = mgmt_get8(&r);
	h->status = mgmt_get16(&r);
	h->id = mgmt_get32(&r);
	h->part = mgmt_get16(&r);
	h->nparts = mgmt_get16(&r);
	h->body_len = mgmt_get16(&r);
	h->flags = mgmt_get16(&r);
	*body = buf + MGMT_HDR;
	if (len > MGMT_PKT_MAX)
		return MGMT_E_TOOBIG;
	if (h->version != MGMT_VERSION)
		return MGMT_E_VERSION;
	size_t trailer = (h->flags & MGMT_F_AUTH) ? MGMT_AUTH_LEN : 0;
	if ((h->flags & ~MGMT_F_AUTH) || MGMT_HDR + (size_t)h->body_len + trailer != len ||
	    !h->nparts || h->nparts > MGMT_PARTS_MAX || h->part >= h->nparts)
		return MGMT_E_MALFORMED;
	return MGMT_OK;
}

/* --- request bodies ------------------------------------------------------------------------ */

static void addr_put(struct mgmt_w *w, const struct hk_addr *a) { mgmt_put(w, a->b, 16); }
static void addr_get(struct mgmt_r *r, struct hk_addr *a) { mgmt_get(r, a->b, 16); }

void mgmt_route_put(struct mgmt_w *w, const struct mgmt_route *rt)
{
	addr_put(w, &rt->prefix);
	mgmt_put8(w, rt->len);
	mgmt_put8(w, rt->kind);
	mgmt_put8(w, rt->flags);
	mgmt_put8(w, 0);
	mgmt_put_name(w, rt->target);
	addr_put(w, &rt->nexthop);
}

int mgmt_route_get(struct mgmt_r *r, struct mgmt_route *rt)
{
	addr_get(r, &rt->prefix);
	rt->len = mgmt_get8(r);
	rt->kind = mgmt_get8(r);
	rt->flags = mgmt_get8(r);
	if (mgmt_get8(r) || rt->flags & ~(MGMT_RTF_BUILTIN | MGMT_RTF_OVERRIDE) || !rt->kind ||
	    rt->kind > MGMT_RT_KIND_MAX)
		r->err = 1;
	mgmt_get_name(r, rt->target);
	addr_get(r, &rt->nexthop);
	return r->err ? -1 : 0;
}

static void pad_zero(struct mgmt_r *r, size_t n)
{
	while (n--)
		if (mgmt_get8(r))
			r->err = 1;
}

/* The body of op; MGMT_OK, MGMT_E_MALFORMED or MGMT_E_INVAL. */
static int body_get(struct mgmt_r *r, struct mgmt_req *q)
{
	int inval = 0;
	switch (q->h.op) {
	case MGMT_OP_INFO:
	case MGMT_OP_PS:
	case MGMT_OP_ROUTES:
		break;
	case MGMT_OP_COUNTERS:
	case MGMT_OP_KILL:
	case MGMT_OP_RESTART:
		mgmt_get_name(r, q->u.name);
		if (q->h.op != MGMT_OP_COUNTERS && !q->u.name[0])
			r->err = 1;
		break;
	case MGMT_OP_ROUTE_ADD:
		mgmt_route_get(r, &q->u.route);
		inval = q->u.route.len > 128 || q->u.route.flags;
		break;
	case MGMT_OP_ROUTE_DEL:
		addr_get(r, &q->u.route.prefix);
		q->u.route.len = mgmt_get8(r);
		pad_zero(r, 3);
		inval = q->u.route.len > 128;
		break;
	case MGMT_OP_PING:
		addr_get(r, &q->u.ping.addr);
		q->u.ping.timeout_ms = mgmt_get32(r);
		inval = !q->u.ping.timeout_ms || q->u.ping.timeout_ms > 5000;
		break;
	case MGMT_OP_PIPE_SET:
		mgmt_get_name(r, q->u.pipe.pipe);
		q->u.pipe.n = mgmt_get8(r);
		pad_zero(r, 3);
		if (!q->u.pipe.pipe[0] || q->u.pipe.n > MGMT_STAGES_MAX)
			r->err = 1;
		for (unsigned i = 0; !r->err && i < q->u.pipe.n; i++) {
			mgmt_get_name(r, q->u.pipe.stage[i]);
			if (!q->u.pipe.stage[i][0])
				r->err = 1;
		}
		inval = q->u.pipe.n < 2;
		break;
	case MGMT_OP_CAPTURE:
		mgmt_get_name(r, q->u.cap.process);
		q->u.cap.count = mgmt_get32(r);
		q->u.cap.timeout_ms = mgmt_get32(r);
		q->u.cap.snaplen = mgmt_get16(r);
		pad_zero(r, 2);
		inval = !q->u.cap.count || q->u.cap.count > MGMT_CAPTURE_MAX || !q->u.cap.timeout_ms ||
		        q->u.cap.timeout_ms > MGMT_CAPTURE_MS_MAX || q->u.cap.snaplen < MGMT_CAP_SNAP_MIN ||
		        q->u.cap.snaplen > MGMT_CAP_SNAP_MAX;
		break;
	default:
		return MGMT_E_OP;
	}
	if (!mgmt_r_done(r))
		return MGMT_E_MALFORMED;
	return inval ? MGMT_E_INVAL : MGMT_OK;
}

int mgmt_req_decode(const uint8_t *buf, size_t len, struct mgmt_req *q)
{
	const uint8_t *body;
	memset(q, 0, sizeof(*q));
	int rc = mgmt_msg_decode(buf, len, &q->h, &body);
	if (rc != MGMT_OK)
		return rc;
	if (q->h.status || q->h.part || q->h.nparts != 1)
		return MGMT_E_MALFORMED;
	if (!q->h.op || q->h.op >= MGMT_OP_COUNT)
		return MGMT_E_OP;
	if (q->h.flags & MGMT_F_AUTH) {
		struct mgmt_r t;
		mgmt_r_init(&t, body + q->h.body_len, MGMT_AUTH_LEN);
		q->authed = 1;
		q->seq = mgmt_get64(&t);
		mgmt_get(&t, q->mac, MGMT_MAC_LEN);
		q->signed_len = len - MGMT_MAC_LEN;
	}
	struct mgmt_r r;
	mgmt_r_init(&r, body, q->h.body_len);
	return body_get(&r, q);
}

void mgmt_req_body(struct mgmt_w *w, unsigned op, const struct mgmt_req *q)
{
	switch (op) {
	case MGMT_OP_COUNTERS:
	case MGMT_OP_KILL:
	case MGMT_OP_RESTART: mgmt_put_name(w, q->u.name); break;
	case MGMT_OP_ROUTE_ADD: mgmt_route_put(w, &q->u.route); break;
	case MGMT_OP_ROUTE_DEL:
		addr_put(w, &q->u.route.prefix);
		mgmt_put8(w, q->u.route.len);
		mgmt_put(w, "\0\0\0", 3);
		break;
	case MGMT_OP_PING:
		addr_put(w, &q->u.ping.addr);
		mgmt_put32(w, q->u.ping.timeout_ms);
		break;
	case MGMT_OP_PIPE_SET:
		mgmt_put_name(w, q->u.pipe.pipe);
		mgmt_put8(w, (uint8_t)q->u.pipe.n);
		mgmt_put(w, "\0\0\0", 3);
		for (unsigned i = 0; i < q->u.pipe.n && i < MGMT_STAGES_MAX; i++)
			mgmt_put_name(w, q->u.pipe.stage[i]);
		break;
	case MGMT_OP_CAPTURE:
		mgmt_put_name(w, q->u.cap.process);
		mgmt_put32(w, q->u.cap.count);
		mgmt_put32(w, q->u.cap.timeout_ms);
		mgmt_put16(w, q->u.cap.snaplen);
		mgmt_put16(w, 0);
		break;
	default: break; /* no body */
	}
}

/* The MAC over epoch || msg[0..n). */
static void mac_of(const uint8_t *msg, size_t n, const void *key, size_t keylen, uint64_t epoch,
                   uint8_t out[MGMT_MAC_LEN])
{
	uint8_t e[8];
	struct mgmt_w w;
	struct net_hmac256 m;
	mgmt_w_init(&w, e, sizeof(e));
	mgmt_put64(&w, epoch);
	net_hmac256_init(&m, key, keylen);
	net_hmac256_update(&m, e, sizeof(e));
	net_hmac256_update(&m, msg, n);
	net_hmac256_final(&m, out);
}

size_t mgmt_req_encode(uint8_t *buf, size_t cap, struct mgmt_req *q, const void *key,
                       size_t keylen, uint64_t epoch)
{
	uint8_t body[MGMT_PART_MAX];
	struct mgmt_w b, w;
	mgmt_w_init(&b, body, sizeof(body));
	mgmt_req_body(&b, q->h.op, q);
	if (b.err)
		return 0;
	q->h.body_len = (uint16_t)b.len;
	q->h.part = 0;
	q->h.nparts = 1;
	q->h.flags = key ? MGMT_F_AUTH : 0;
	mgmt_w_init(&w, buf, cap);
	hdr_put(&w, &q->h);
	mgmt_put(&w, body, b.len);
	if (key) {
		mgmt_put64(&w, q->seq);
		if (!w.err) {
			mac_of(buf, w.len, key, keylen, epoch, q->mac);
			mgmt_put(&w, q->mac, MGMT_MAC_LEN);
		}
	}
	return w.err || w.len > MGMT_PKT_MAX ? 0 : w.len;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int mgmt_key_parse(const char *hex, size_t n, uint8_t key[MGMT_KEY_MAX])
{
	if (n < 2 || n % 2 || n / 2 > MGMT_KEY_MAX)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

int mgmt_auth_ok(const uint8_t *msg, const struct mgmt_req *q, const void *key, size_t keylen,
                 uint64_t epoch)
{
	uint8_t want[MGMT_MAC_LEN];
	if (!q->authed || !key || !keylen)
		return 0;
	mac_of(msg, q->signed_len, key, keylen, epoch, want);
	return net_ct_equal(want, q->mac, MGMT_MAC_LEN);
}

/* --- responses ---------------------------------------------------------------------------- */

unsigned mgmt_nparts(size_t n)
{
	if (n > MGMT_BODY_MAX)
		return 0;
	return n ? (unsigned)((n + MGMT_PART_MAX - 1) / MGMT_PART_MAX) : 1;
}

size_t mgmt_part_encode(uint8_t *buf, size_t cap, const struct mgmt_hdr *h, const uint8_t *body,
                        size_t n, unsigned part)
{
	unsigned np = mgmt_nparts(n);
	if (part >= np)
		return 0;
	size_t at = (size_t)part * MGMT_PART_MAX;
	size_t k = n - at < MGMT_PART_MAX ? n - at : MGMT_PART_MAX;
	struct mgmt_hdr p = {h->version, h->op, h->status, h->id, (uint16_t)part, (uint16_t)np, 0, 0};
	return mgmt_msg_encode(buf, cap, &p, body ? body + at : body, k);
}

void mgmt_reasm_init(struct mgmt_reasm *r, uint32_t id, uint8_t op, void *buf, size_t cap)
{
	*r = (struct mgmt_reasm){.id = id, .op = op, .buf = (uint8_t *)buf, .cap = cap};
}

int mgmt_reasm_add(struct mgmt_reasm *r, const uint8_t *msg, size_t len)
{
	struct mgmt_hdr h;
	const uint8_t *body;
	int rc = mgmt_msg_decode(msg, len, &h, &body);
	if (rc == MGMT_DROP || h.id != r->id || h.op != r->op)
		return MGMT_REASM_OTHER;
	if (rc != MGMT_OK || (h.flags & MGMT_F_AUTH) ||
	    (r->seen && (h.nparts != r->nparts || h.status != r->status)))
		return MGMT_REASM_BAD;
	/* every part but the last is full, so a part's place is fixed by its number */
	if ((h.part + 1u < h.nparts && h.body_len != MGMT_PART_MAX) ||
	    (h.nparts > 1 && h.status != MGMT_OK))
		return MGMT_REASM_BAD;
	if (r->have & (1ull << h.part))
		return MGMT_REASM_OTHER;
	size_t at = (size_t)h.part * MGMT_PART_MAX;
	if (at + h.body_len > r->cap)
		return MGMT_REASM_TOOBIG;
	memcpy(r->buf + at, body, h.body_len);
	r->nparts = h.nparts;
	r->status = h.status;
	r->have |= 1ull << h.part;
	if (h.part + 1u == h.nparts)
		r->len = at + h.body_len;
	if (++r->seen < r->nparts)
		return MGMT_REASM_MORE;
	return MGMT_REASM_DONE;
}

/* --- response bodies ----------------------------------------------------------------------- */

void mgmt_info_put(struct mgmt_w *w, const struct mgmt_info *i)
{
	mgmt_put8(w, i->writes);
	mgmt_put8(w, 0);
	mgmt_put16(w, i->nprocs);
	mgmt_put32(w, 0);
	mgmt_put64(w, i->epoch);
	mgmt_put64(w, i->last_seq);
	mgmt_put64(w, i->uptime_us);
	addr_put(w, &i->prefix);
}

int mgmt_info_get(struct mgmt_r *r, struct mgmt_info *i)
{
	i->writes = mgmt_get8(r);
	pad_zero(r, 1);
	i->nprocs = mgmt_get16(r);
	pad_zero(r, 4);
	i->epoch = mgmt_get64(r);
	i->last_seq = mgmt_get64(r);
	i->uptime_us = mgmt_get64(r);
	addr_get(r, &i->prefix);
	if (i->writes > 1)
		r->err = 1;
	return r->err ? -1 : 0;
}

void mgmt_proc_put(struct mgmt_w *w, const struct mgmt_proc *p)
{
	mgmt_put_name(w, p->name);
	mgmt_put32(w, (uint32_t)p->pid);
	mgmt_put16(w, p->index);
	mgmt_put8(w, p->state);
	mgmt_put8(w, p->flags);
	mgmt_put64(w, p->cores);
	mgmt_put32(w, p->restarts);
	mgmt_put8(w, p->last_cause);
	mgmt_put8(w, p->last_fault);
	mgmt_put16(w, 0);
	mgmt_put32(w, (uint32_t)p->last_status);
	mgmt_put32(w, 0);
	mgmt_put64(w, p->last_pc);
	mgmt_put64(w, p->last_addr);
	mgmt_put64(w, p->pages);
	mgmt_put64(w, p->cycles);
	mgmt_put_name(w, p->pipe);
	mgmt_put16(w, (uint16_t)p->pipe_next);
	mgmt_put16(w, p->naddr);
	for (unsigned i = 0; i < p->naddr && i < MGMT_ADDRS_MAX; i++)
		addr_put(w, &p->addr[i]);
}

int mgmt_proc_get(struct mgmt_r *r, struct mgmt_proc *p)
{
	mgmt_get_name(r, p->name);
	p->pid = (int32_t)mgmt_get32(r);
	p->index = mgmt_get16(r);
	p->state = mgmt_get8(r);
	p->flags = mgmt_get8(r);
	p->cores = mgmt_get64(r);
	p->restarts = mgmt_get32(r);
	p->last_cause = mgmt_get8(r);
	p->last_fault = mgmt_get8(r);
	pad_zero(r, 2);
	p->last_status = (int32_t)mgmt_get32(r);
	pad_zero(r, 4);
	p->last_pc = mgmt_get64(r);
	p->last_addr = mgmt_get64(r);
	p->pages = mgmt_get64(r);
	p->cycles = mgmt_get64(r);
	mgmt_get_name(r, p->pipe);
	p->pipe_next = (int16_t)mgmt_get16(r);
	p->naddr = mgmt_get16(r);
	if (!p->name[0] || p->state > MGMT_PS_HELD || p->last_cause > MGMT_CAUSE_KILLED ||
	    p->flags & ~0xfu || p->naddr > MGMT_ADDRS_MAX)
		r->err = 1;
	for (unsigned i = 0; !r->err && i < p->naddr; i++)
		addr_get(r, &p->addr[i]);
	return r->err ? -1 : 0;
}

int mgmt_ctr_name_ok(const char *s)
{
	size_t n = strnlen(s, MGMT_CTR_NAME + 1);
	if (!n || n > MGMT_CTR_NAME)
		return 0;
	for (size_t i = 0; i < n; i++) /* printable, no space, nothing JSON must escape */
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
			return 0;
	return 1;
}

/* A length-prefixed counter or group name. */
static void cname_put(struct mgmt_w *w, const char *s)
{
	if (!mgmt_ctr_name_ok(s)) {
		w->err = 1;
		return;
	}
	size_t n = strlen(s);
	mgmt_put8(w, (uint8_t)n);
	mgmt_put(w, s, n);
}

static void cname_get(struct mgmt_r *r, char *out)
{
	size_t n = mgmt_get8(r);
	if (n > MGMT_CTR_NAME) {
		r->err = 1;
		n = 0;
	}
	mgmt_get(r, out, n);
	out[n] = 0;
	/* a NUL inside would read as a shorter name that re-encodes differently */
	if (!r->err && (memchr(out, 0, n) || !mgmt_ctr_name_ok(out)))
		r->err = 1;
}

void mgmt_group_put(struct mgmt_w *w, const char *name, uint16_t n, uint16_t flags)
{
	cname_put(w, name);
	mgmt_put16(w, n);
	mgmt_put16(w, flags);
}

void mgmt_ctr_put(struct mgmt_w *w, const char *name, uint64_t v)
{
	cname_put(w, name);
	mgmt_put64(w, v);
}

int mgmt_group_get(struct mgmt_r *r, char *name, uint16_t *n, uint16_t *flags)
{
	cname_get(r, name);
	*n = mgmt_get16(r);
	*flags = mgmt_get16(r);
	if (*flags & ~MGMT_CG_SILENT)
		r->err = 1;
	return r->err ? -1 : 0;
}

int mgmt_ctr_get(struct mgmt_r *r, char *name, uint64_t *v)
{
	cname_get(r, name);
	*v = mgmt_get64(r);
	return r->err ? -1 : 0;
}

void mgmt_ping_resp_put(struct mgmt_w *w, const struct mgmt_ping_resp *p)
{
	mgmt_put32(w, p->rtt_us);
	addr_put(w, &p->from);
}

int mgmt_ping_resp_get(struct mgmt_r *r, struct mgmt_ping_resp *p)
{
	p->rtt_us = mgmt_get32(r);
	addr_get(r, &p->from);
	return r->err ? -1 : 0;
}

/* --- the capture stream ------------------------------------------------------------------- */

void mgmt_cap_put(struct mgmt_w *w, const struct mgmt_cap *c)
{
	mgmt_put8(w, c->kind);
	mgmt_put8(w, 0);
	mgmt_put16(w, 0);
	mgmt_put32(w, c->seq);
	if (c->kind == MGMT_CAP_FRAG) {
		mgmt_put32(w, c->pkt);
		mgmt_put32(w, c->orig_len);
		mgmt_put64(w, c->time_us);
		mgmt_put16(w, c->off);
		mgmt_put16(w, c->caplen);
		mgmt_put(w, c->data, c->len);
		return;
	}
	mgmt_put32(w, c->packets);
	mgmt_put32(w, c->dropped);
	mgmt_put32(w, c->lost);
	mgmt_put8(w, c->reason);
	mgmt_put(w, "\0\0\0", 3);
}

static int cap_frag_get(struct mgmt_r *r, struct mgmt_cap *c)
{
	c->pkt = mgmt_get32(r);
	c->orig_len = mgmt_get32(r);
	c->time_us = mgmt_get64(r);
	c->off = mgmt_get16(r);
	c->caplen = mgmt_get16(r);
	if (r->err || r->at >= r->len || r->len - r->at > MGMT_CAP_DATA_MAX)
		return -1; /* checked before the cast: 65536 more bytes would read as 0 */
	c->len = (uint16_t)(r->len - r->at);
	c->data = r->p + r->at;
	return c->len > MGMT_CAP_DATA_MAX || c->caplen > MGMT_CAP_SNAP_MAX ||
	               c->caplen > c->orig_len || (uint32_t)c->off + c->len > c->caplen
	           ? -1
	           : 0;
}

int mgmt_cap_get(const uint8_t *body, size_t n, struct mgmt_cap *c)
{
	struct mgmt_r r;
	memset(c, 0, sizeof(*c));
	mgmt_r_init(&r, body, n);
	c->kind = mgmt_get8(&r);
	pad_zero(&r, 3);
	c->seq = mgmt_get32(&r);
	if (c->kind == MGMT_CAP_FRAG)
		return r.err ? -1 : cap_frag_get(&r, c);
	if (c->kind != MGMT_CAP_END)
		return -1;
	c->packets = mgmt_get32(&r);
	c->dropped = mgmt_get32(&r);
	c->lost = mgmt_get32(&r);
	c->reason = mgmt_get8(&r);
	pad_zero(&r, 3);
	return mgmt_r_done(&r) && c->reason <= MGMT_CAP_TIME ? 0 : -1;
}
