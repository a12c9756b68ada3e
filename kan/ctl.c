// SPDX-License-Identifier: BSD-2-Clause
/*
 * The kernel control protocol's codec (contracts in <kan/ctl.h>, wire
 * format in docs/kan-control.md). Every length is checked against the
 * buffer before a byte is read or written; decoders fill a copy and
 * publish it only when the whole message checked out.
 */
#include <hekate/errno.h>
#include <kan/ctl.h>
#include <kan/wire.h>
#include <string.h>

static const char *const ctl_names[KAN_CTL_ERR_COUNT] = {
    [KAN_CTL_OK] = "ok",
    [KAN_CTL_ESHORT] = "shorter than a control header",
    [KAN_CTL_EVERSION] = "unsupported control protocol version",
    [KAN_CTL_EOP] = "unknown control op",
    [KAN_CTL_ELENGTH] = "wrong body length for the op",
    [KAN_CTL_ERESERVED] = "reserved field not zero",
    [KAN_CTL_EKIND] = "unknown counter kind",
    [KAN_CTL_ENAME] = "empty or invalid entry name",
    [KAN_CTL_ERANGE] = "value out of range",
};

const char *kan_ctl_err_name(enum kan_ctl_err e)
{
	return (unsigned)e < KAN_CTL_ERR_COUNT ? ctl_names[e] : "unknown";
}

int kan_ctl_err_status(enum kan_ctl_err e)
{
	switch (e) {
	case KAN_CTL_OK: return 0;
	case KAN_CTL_ESHORT: return KAN_CTL_DROP;
	case KAN_CTL_EVERSION:
	case KAN_CTL_EOP: return HK_ENOSYS;
	default: return HK_EINVAL;
	}
}

/* ---- names ------------------------------------------------------------- */

/* Manifest names are [A-Za-z0-9_.-] (kernel/manifest.c). */
static int name_char_ok(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/* Length of the NUL-padded field f[0..16): the bytes before the first NUL
 * (16 if none); -1 if a non-NUL byte follows a NUL. */
static int name_field_len(const uint8_t *f)
{
	int n = 0;
	while (n < (int)KAN_CTL_NAME && f[n])
		n++;
	for (int i = n; i < (int)KAN_CTL_NAME; i++)
		if (f[i])
			return -1;
	return n;
}

/* s[0..n) is a name SPAWN accepts: 1..16 manifest name characters. */
static int name_ok(const uint8_t *s, size_t n)
{
	if (n == 0 || n > KAN_CTL_NAME)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!name_char_ok(s[i]))
			return 0;
	return 1;
}

/* Write s (NUL-terminated or >= 16 bytes; read no further than either)
 * NUL-padded into the field f[0..16). */
static void name_field_put(uint8_t *f, const char *s)
{
	size_t i = 0;
	for (; i < KAN_CTL_NAME && s[i]; i++)
		f[i] = (uint8_t)s[i];
	memset(f + i, 0, KAN_CTL_NAME - i);
}

/* ---- requests ---------------------------------------------------------- */

static void hdr_put(uint8_t *p, uint8_t op, uint16_t status, uint32_t id)
{
	p[0] = KAN_CTL_VERSION;
	p[1] = op;
	kan_put16(p + 2, status);
	kan_put32(p + 4, id);
}

/* Body length of a request with op; 0 for an unknown op (every op has a body). */
static size_t req_body_len(uint8_t op)
{
	switch (op) {
	case KAN_CTL_COUNTERS: return KAN_CTL_COUNTERS_REQ;
	case KAN_CTL_PROCS: return KAN_CTL_PROCS_REQ;
	case KAN_CTL_SPAWN: return KAN_CTL_SPAWN_REQ;
	case KAN_CTL_KILL: return KAN_CTL_KILL_REQ;
	case KAN_CTL_CAPTURE: return KAN_CTL_CAPTURE_REQ;
	case KAN_CTL_PIPE: return KAN_CTL_PIPE_REQ;
	default: return 0;
	}
}

/* A pipeline name field (KAN_CTL_PIPE_NAME bytes, NUL-padded) into out. */
static enum kan_ctl_err pipe_name_get(const uint8_t *f, char *out)
{
	size_t n = 0;
	while (n < KAN_CTL_PIPE_NAME && f[n])
		n++;
	for (size_t i = n; i < KAN_CTL_PIPE_NAME; i++)
		if (f[i])
			return KAN_CTL_ERESERVED;
	if (!n)
		return KAN_CTL_ENAME;
	for (size_t i = 0; i < n; i++)
		if (!name_char_ok(f[i]))
			return KAN_CTL_ENAME;
	memcpy(out, f, n);
	out[n] = '\0';
	return KAN_CTL_OK;
}

static enum kan_ctl_err capture_decode(const uint8_t *b, struct kan_ctl_req *r)
{
	if (kan_get16(b + 10))
		return KAN_CTL_ERESERVED;
	r->capture.ep = kan_get32(b);
	r->capture.pid = kan_get32(b + 4);
	r->capture.snaplen = kan_get16(b + 8);
	if (r->capture.ep != KAN_CAP_STOP &&
	    (r->capture.snaplen < KAN_CAP_SNAP_MIN || r->capture.snaplen > KAN_CAP_SNAP_MAX))
		return KAN_CTL_ERANGE;
	return KAN_CTL_OK;
}

/* name[24], u8 n, 3 zero bytes, 8 entries of which those past n are 0xff.
 * Reserved bytes (pad, entries from n on) are judged before the name and
 * the name before n's range, as kan_ctl_req_decode documents. */
static enum kan_ctl_err pipe_decode(const uint8_t *b, struct kan_ctl_req *r)
{
	const uint8_t *t = b + KAN_CTL_PIPE_NAME;
	if (t[1] | t[2] | t[3])
		return KAN_CTL_ERESERVED;
	for (unsigned i = t[0]; i < KAN_CTL_PIPE_STAGES; i++)
		if (t[4 + i] != 0xff)
			return KAN_CTL_ERESERVED;
	enum kan_ctl_err e = pipe_name_get(b, r->pipe.name);
	if (e != KAN_CTL_OK)
		return e;
	r->pipe.n = t[0];
	if (r->pipe.n < 2 || r->pipe.n > KAN_CTL_PIPE_STAGES)
		return KAN_CTL_ERANGE;
	memcpy(r->pipe.stage, t + 4, KAN_CTL_PIPE_STAGES);
	return KAN_CTL_OK;
}

/* Decode the body b (req_body_len(r->op) bytes) into r. */
static enum kan_ctl_err req_body_decode(const uint8_t *b, struct kan_ctl_req *r)
{
	int n;
	switch (r->op) {
	case KAN_CTL_COUNTERS:
		if (b[1] | b[2] | b[3])
			return KAN_CTL_ERESERVED;
		if (b[0] > HK_STAT_NODE)
			return KAN_CTL_EKIND;
		r->counters.kind = b[0];
		r->counters.id = kan_get32(b + 4);
		return KAN_CTL_OK;
	case KAN_CTL_PROCS: r->procs.cursor = kan_get32(b); return KAN_CTL_OK;
	case KAN_CTL_CAPTURE: return capture_decode(b, r);
	case KAN_CTL_PIPE: return pipe_decode(b, r);
	case KAN_CTL_SPAWN:
		n = name_field_len(b);
		if (n < 0)
			return KAN_CTL_ERESERVED;
		if (!name_ok(b, (size_t)n))
			return KAN_CTL_ENAME;
		memcpy(r->spawn.name, b, (size_t)n);
		return KAN_CTL_OK;
	default: r->kill.pid = kan_get32(b); return KAN_CTL_OK;
	}
}

enum kan_ctl_err kan_ctl_req_decode(const uint8_t *p, size_t len, struct kan_ctl_req *out)
{
	memset(out, 0, sizeof(*out));
	if (len < KAN_CTL_HDR)
		return KAN_CTL_ESHORT;
	out->op = p[1];
	out->id = kan_get32(p + 4);
	if (p[0] != KAN_CTL_VERSION)
		return KAN_CTL_EVERSION;
	size_t blen = req_body_len(p[1]);
	if (!blen)
		return KAN_CTL_EOP;
	if (len - KAN_CTL_HDR != blen)
		return KAN_CTL_ELENGTH;
	if (kan_get16(p + 2))
		return KAN_CTL_ERESERVED; /* status is reserved in requests */
	struct kan_ctl_req r = *out;
	enum kan_ctl_err e = req_body_decode(p + KAN_CTL_HDR, &r);
	if (e == KAN_CTL_OK)
		*out = r;
	return e;
}

static int pipe_encode(const struct kan_ctl_req *r, uint8_t *b)
{
	size_t n = strnlen(r->pipe.name, sizeof(r->pipe.name));
	if (n > KAN_CTL_PIPE_NAME || r->pipe.n < 2 || r->pipe.n > KAN_CTL_PIPE_STAGES)
		return 0;
	memset(b, 0, KAN_CTL_PIPE_REQ);
	memcpy(b, r->pipe.name, n);
	b[KAN_CTL_PIPE_NAME] = r->pipe.n;
	for (unsigned i = 0; i < KAN_CTL_PIPE_STAGES; i++)
		b[KAN_CTL_PIPE_NAME + 4 + i] = i < r->pipe.n ? r->pipe.stage[i] : 0xff;
	struct kan_ctl_req check;
	return pipe_decode(b, &check) == KAN_CTL_OK; /* exactly what decode accepts */
}

static int capture_encode(const struct kan_ctl_req *r, uint8_t *b)
{
	struct kan_ctl_req check;
	kan_put32(b, r->capture.ep);
	kan_put32(b + 4, r->capture.pid);
	kan_put16(b + 8, r->capture.snaplen);
	kan_put16(b + 10, 0);
	return capture_decode(b, &check) == KAN_CTL_OK;
}

/* Encode r's body into b (room for KAN_CTL_PIPE_REQ); 0 if r is not a valid request. */
static int req_body_encode(const struct kan_ctl_req *r, uint8_t *b)
{
	size_t n = 0;
	switch (r->op) {
	case KAN_CTL_CAPTURE: return capture_encode(r, b);
	case KAN_CTL_PIPE: return pipe_encode(r, b);
	case KAN_CTL_COUNTERS:
		if (r->counters.kind > HK_STAT_NODE)
			return 0;
		b[0] = r->counters.kind;
		b[1] = b[2] = b[3] = 0;
		kan_put32(b + 4, r->counters.id);
		return 1;
	case KAN_CTL_PROCS: kan_put32(b, r->procs.cursor); return 1;
	case KAN_CTL_SPAWN:
		while (n < sizeof(r->spawn.name) && r->spawn.name[n])
			n++;
		if (!name_ok((const uint8_t *)r->spawn.name, n))
			return 0;
		name_field_put(b, r->spawn.name);
		return 1;
	case KAN_CTL_KILL: kan_put32(b, r->kill.pid); return 1;
	default: return 0;
	}
}

size_t kan_ctl_req_encode(const struct kan_ctl_req *r, uint8_t *buf, size_t cap)
{
	uint8_t body[KAN_CTL_PIPE_REQ]; /* the largest body */
	size_t blen = req_body_len(r->op);
	if (!blen || cap < KAN_CTL_HDR + blen || !req_body_encode(r, body))
		return 0;
	hdr_put(buf, r->op, 0, r->id);
	memcpy(buf + KAN_CTL_HDR, body, blen);
	return KAN_CTL_HDR + blen;
}

/* ---- responses: the kernel's side -------------------------------------- */

size_t kan_ctl_resp_header(uint8_t *buf, size_t cap, uint8_t op, uint32_t id, uint16_t status)
{
	if (cap < KAN_CTL_HDR)
		return 0;
	hdr_put(buf, op, status, id);
	return KAN_CTL_HDR;
}

size_t kan_ctl_resp_error(uint8_t *buf, size_t cap, const struct kan_ctl_req *req, uint16_t status)
{
	return kan_ctl_resp_header(buf, cap, req->op, req->id, status);
}

size_t kan_ctl_resp_counters(uint8_t *buf, size_t cap, const struct kan_ctl_req *req,
                             const uint64_t *vals, unsigned n)
{
	const size_t head = KAN_CTL_HDR + KAN_CTL_COUNTERS_HEAD;
	/* n is bounded first, so the size below cannot overflow */
	if (n > (KAN_CTL_MAX - head) / 8 || cap < head + (size_t)n * 8)
		return 0;
	hdr_put(buf, KAN_CTL_COUNTERS, 0, req->id);
	kan_put16(buf + KAN_CTL_HDR, (uint16_t)n);
	kan_put16(buf + KAN_CTL_HDR + 2, 0);
	for (unsigned i = 0; i < n; i++)
		kan_put64(buf + head + 8 * (size_t)i, vals[i]);
	return head + (size_t)n * 8;
}

unsigned kan_ctl_counters_flatten(const struct hk_kan_counters *c, uint64_t *vals)
{
	unsigned k = 0;
	vals[k++] = c->pkts_in;
	vals[k++] = c->bytes_in;
	vals[k++] = c->pkts_out;
	vals[k++] = c->bytes_out;
	for (unsigned i = 0; i < HK_DROP_COUNT; i++)
		vals[k++] = c->drops[i];
	vals[k++] = c->faults;
	return k;
}

unsigned kan_ctl_node_flatten(const struct hk_kan_node *nd, uint64_t *vals)
{
	vals[0] = nd->pool_pages;
	vals[1] = nd->pool_free;
	vals[2] = nd->held;
	vals[3] = nd->in_flight;
	vals[4] = nd->free_pages;
	vals[5] = nd->endpoints; /* widened; pad is not sent */
	return 6 + kan_ctl_counters_flatten(&nd->total, vals + 6);
}

size_t kan_ctl_resp_spawn(uint8_t *buf, size_t cap, const struct kan_ctl_req *req, uint32_t pid)
{
	if (cap < KAN_CTL_HDR + KAN_CTL_SPAWN_RESP)
		return 0;
	hdr_put(buf, KAN_CTL_SPAWN, 0, req->id);
	kan_put32(buf + KAN_CTL_HDR, pid);
	return KAN_CTL_HDR + KAN_CTL_SPAWN_RESP;
}

size_t kan_ctl_resp_kill(uint8_t *buf, size_t cap, const struct kan_ctl_req *req)
{
	return kan_ctl_resp_header(buf, cap, KAN_CTL_KILL, req->id, 0);
}

size_t kan_ctl_resp_capture(uint8_t *buf, size_t cap, const struct kan_ctl_req *req,
                            uint32_t copied, uint32_t dropped)
{
	if (cap < KAN_CTL_HDR + KAN_CTL_CAPTURE_RESP)
		return 0;
	hdr_put(buf, KAN_CTL_CAPTURE, 0, req->id);
	kan_put32(buf + KAN_CTL_HDR, copied);
	kan_put32(buf + KAN_CTL_HDR + 4, dropped);
	return KAN_CTL_HDR + KAN_CTL_CAPTURE_RESP;
}

size_t kan_ctl_resp_pipe(uint8_t *buf, size_t cap, const struct kan_ctl_req *req)
{
	return kan_ctl_resp_header(buf, cap, KAN_CTL_PIPE, req->id, 0);
}

void kan_cap_rec_put(uint8_t *p, const struct kan_cap_rec *r)
{
	kan_put32(p, r->seq);
	kan_put32(p + 4, r->orig_len);
	kan_put64(p + 8, r->time_us);
	kan_put32(p + 16, r->from);
	kan_put32(p + 20, r->to);
}

int kan_cap_rec_get(const uint8_t *p, size_t len, struct kan_cap_rec *r)
{
	if (len < KAN_CAP_HDR)
		return -1;
	r->seq = kan_get32(p);
	r->orig_len = kan_get32(p + 4);
	r->time_us = kan_get64(p + 8);
	r->from = kan_get32(p + 16);
	r->to = kan_get32(p + 20);
	return 0;
}

int kan_ctl_procs_begin(struct kan_ctl_procs *b, uint8_t *buf, size_t cap,
                        const struct kan_ctl_req *req)
{
	const size_t head = KAN_CTL_HDR + KAN_CTL_PROCS_HEAD;
	memset(b, 0, sizeof(*b));
	if (cap > KAN_CTL_MAX)
		cap = KAN_CTL_MAX;
	if (cap < head + KAN_CTL_PROC_ENTRY)
		return -HK_ENOBUFS;
	b->buf = buf;
	b->cap = cap;
	hdr_put(buf, KAN_CTL_PROCS, 0, req->id);
	memset(buf + KAN_CTL_HDR, 0, KAN_CTL_PROCS_HEAD);
	b->len = head;
	return 0;
}

int kan_ctl_procs_add(struct kan_ctl_procs *b, uint32_t cursor, uint32_t pid, uint32_t ep,
                      const struct hk_addr *addr, const char *name)
{
	if (!b->cap || b->full)
		return 0;
	if (b->cap - b->len < KAN_CTL_PROC_ENTRY) {
		b->full = 1;
		b->next = cursor;
		return 0;
	}
	uint8_t *e = b->buf + b->len;
	kan_put32(e, pid);
	kan_put32(e + 4, ep);
	memcpy(e + 8, addr->b, 16);
	name_field_put(e + 24, name);
	b->len += KAN_CTL_PROC_ENTRY;
	b->n++;
	return 1;
}

size_t kan_ctl_procs_end(struct kan_ctl_procs *b, int more, uint32_t next_cursor)
{
	if (!b->cap)
		return 0;
	uint8_t *h = b->buf + KAN_CTL_HDR;
	uint32_t next = b->full ? b->next : more ? next_cursor : 0;
	kan_put16(h, b->n);
	kan_put16(h + 2, (b->full || more) ? KAN_CTL_MORE : 0);
	kan_put32(h + 4, next);
	return b->len;
}

/* ---- responses: the client's side -------------------------------------- */

/* Decode the body b[0..blen) of an ok response with r->op into r. */
static enum kan_ctl_err resp_body_decode(const uint8_t *b, size_t blen, struct kan_ctl_resp *r)
{
	switch (r->op) {
	case KAN_CTL_COUNTERS:
		if (blen < KAN_CTL_COUNTERS_HEAD ||
		    blen - KAN_CTL_COUNTERS_HEAD != (size_t)kan_get16(b) * 8)
			return KAN_CTL_ELENGTH;
		if (kan_get16(b + 2))
			return KAN_CTL_ERESERVED;
		r->counters.count = kan_get16(b);
		r->counters.vals = b + KAN_CTL_COUNTERS_HEAD;
		return KAN_CTL_OK;
	case KAN_CTL_PROCS:
		if (blen < KAN_CTL_PROCS_HEAD ||
		    blen - KAN_CTL_PROCS_HEAD != (size_t)kan_get16(b) * KAN_CTL_PROC_ENTRY)
			return KAN_CTL_ELENGTH;
		r->procs.flags = kan_get16(b + 2);
		r->procs.next = kan_get32(b + 4);
		if ((r->procs.flags & ~KAN_CTL_MORE) || (!r->procs.flags && r->procs.next))
			return KAN_CTL_ERESERVED;
		r->procs.n = kan_get16(b);
		r->procs.entries = b + KAN_CTL_PROCS_HEAD;
		return KAN_CTL_OK;
	case KAN_CTL_SPAWN:
		if (blen != KAN_CTL_SPAWN_RESP)
			return KAN_CTL_ELENGTH;
		r->spawn.pid = kan_get32(b);
		return KAN_CTL_OK;
	case KAN_CTL_CAPTURE:
		if (blen != KAN_CTL_CAPTURE_RESP)
			return KAN_CTL_ELENGTH;
		r->capture.copied = kan_get32(b);
		r->capture.dropped = kan_get32(b + 4);
		return KAN_CTL_OK;
	case KAN_CTL_KILL:
	case KAN_CTL_PIPE: return blen ? KAN_CTL_ELENGTH : KAN_CTL_OK;
	default: return KAN_CTL_EOP;
	}
}

enum kan_ctl_err kan_ctl_resp_decode(const uint8_t *p, size_t len, struct kan_ctl_resp *out)
{
	memset(out, 0, sizeof(*out));
	if (len < KAN_CTL_HDR)
		return KAN_CTL_ESHORT;
	out->op = p[1];
	out->status = kan_get16(p + 2);
	out->id = kan_get32(p + 4);
	if (p[0] != KAN_CTL_VERSION)
		return KAN_CTL_EVERSION;
	size_t blen = len - KAN_CTL_HDR;
	if (out->status) /* an error answers any op, with no body */
		return blen ? KAN_CTL_ELENGTH : KAN_CTL_OK;
	struct kan_ctl_resp r = *out;
	enum kan_ctl_err e = resp_body_decode(p + KAN_CTL_HDR, blen, &r);
	if (e == KAN_CTL_OK)
		*out = r;
	return e;
}

int kan_ctl_resp_value(const struct kan_ctl_resp *r, unsigned i, uint64_t *v)
{
	if (r->op != KAN_CTL_COUNTERS || r->status || i >= r->counters.count)
		return -HK_ENOENT;
	*v = kan_get64(r->counters.vals + 8 * (size_t)i);
	return 0;
}

/* The first n values of the COUNTERS response r into v, zero past its count. */
static void values_get(const struct kan_ctl_resp *r, uint64_t *v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (kan_ctl_resp_value(r, i, &v[i]))
			v[i] = 0;
}

static void counters_unflatten(const uint64_t *v, struct hk_kan_counters *c)
{
	c->pkts_in = v[0];
	c->bytes_in = v[1];
	c->pkts_out = v[2];
	c->bytes_out = v[3];
	for (unsigned i = 0; i < HK_DROP_COUNT; i++)
		c->drops[i] = v[4 + i];
	c->faults = v[4 + HK_DROP_COUNT];
}

int kan_ctl_resp_to_counters(const struct kan_ctl_resp *r, struct hk_kan_counters *c)
{
	uint64_t v[KAN_CTL_NCOUNTERS];
	if (r->op != KAN_CTL_COUNTERS || r->status)
		return -HK_EINVAL;
	values_get(r, v, KAN_CTL_NCOUNTERS);
	counters_unflatten(v, c);
	return 0;
}

int kan_ctl_resp_to_node(const struct kan_ctl_resp *r, struct hk_kan_node *nd)
{
	uint64_t v[KAN_CTL_NNODE];
	if (r->op != KAN_CTL_COUNTERS || r->status)
		return -HK_EINVAL;
	values_get(r, v, KAN_CTL_NNODE);
	nd->pool_pages = v[0];
	nd->pool_free = v[1];
	nd->held = v[2];
	nd->in_flight = v[3];
	nd->free_pages = v[4];
	nd->endpoints = v[5] > UINT32_MAX ? UINT32_MAX : (uint32_t)v[5];
	nd->pad = 0;
	counters_unflatten(v + 6, &nd->total);
	return 0;
}

int kan_ctl_resp_proc(const struct kan_ctl_resp *r, unsigned i, struct kan_ctl_proc *out)
{
	if (r->op != KAN_CTL_PROCS || r->status || i >= r->procs.n)
		return -HK_ENOENT;
	const uint8_t *e = r->procs.entries + (size_t)i * KAN_CTL_PROC_ENTRY;
	int n = name_field_len(e + 24);
	if (n < 0)
		return -HK_EINVAL;
	out->pid = kan_get32(e);
	out->ep = kan_get32(e + 4);
	memcpy(out->addr.b, e + 8, 16);
	memcpy(out->name, e + 24, (size_t)n);
	out->name[n] = '\0';
	return 0;
}
