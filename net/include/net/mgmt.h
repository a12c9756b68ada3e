/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef NET_MGMT_H
#define NET_MGMT_H

/*
 * The management protocol's codec (docs/mgmt-protocol.md): one piece of
 * code for both ends, the node's management service and the components it
 * asks (servers/mgmt, the router, the supervisor, any process publishing
 * counters) and the host's kanctl (tools/kanctl). Pure functions over
 * caller-provided bytes: no allocation, no system calls. Host-tested under
 * ASan/UBSan (tests/unit/test_net_mgmt.c) and fuzzed (tests/fuzz).
 *
 * A message is the UDP payload: a 16-byte header, `body_len` bytes of body
 * and, on an authenticated write, a 40-byte trailer (sequence number and
 * HMAC-SHA256). Integers are big-endian. A response whose body does not fit
 * one message is sent as parts (part 0..nparts-1), every part but the last
 * carrying exactly MGMT_PART_MAX body bytes; mgmt_reasm puts them back.
 */
#include <hekate/kan.h>
#include <stddef.h>
#include <stdint.h>

#define MGMT_VERSION    1
#define MGMT_PORT       9900u /* the service, at <KAN prefix>::2 */
#define MGMT_INNER_PORT 9903u /* components answer the service (and anyone, for reads) here */
#define MGMT_HDR        16u
#define MGMT_PKT_MAX    1232u /* UDP payload: with 48 bytes of headers, the IPv6 minimum MTU */
#define MGMT_PART_MAX   (MGMT_PKT_MAX - MGMT_HDR)
#define MGMT_PARTS_MAX  64u
#define MGMT_BODY_MAX   (MGMT_PARTS_MAX * MGMT_PART_MAX)
#define MGMT_AUTH_LEN   40u /* u64 seq + HMAC-SHA256 */
#define MGMT_MAC_LEN    32u
#define MGMT_NAME       24u /* a process or pipeline name field, NUL-padded */
#define MGMT_CTR_NAME   63u /* longest counter name */
#define MGMT_DETAIL_MAX 200u /* an error response's text */
#define MGMT_ADDRS_MAX  64u /* addresses per process record */
#define MGMT_STAGES_MAX 8u

#define MGMT_F_AUTH 1u /* header flags: an auth trailer follows the body */

/* The stable address's interface identifier: the service is <prefix>::2. */
#define MGMT_IID 2u

enum mgmt_op {
	MGMT_OP_INFO = 1,  /* node identity, replay-guard state */
	MGMT_OP_PS,        /* the process table */
	MGMT_OP_COUNTERS,  /* named counters of the node and of processes */
	MGMT_OP_ROUTES,    /* the router's table */
	MGMT_OP_ROUTE_ADD, /* write */
	MGMT_OP_ROUTE_DEL, /* write */
	MGMT_OP_KILL,      /* write */
	MGMT_OP_RESTART,   /* write */
	MGMT_OP_PIPE_SET,  /* write: a pipeline's stage order */
	MGMT_OP_PING,      /* the service pings a KAN address */
	MGMT_OP_CAPTURE,   /* write: mirror KAN traffic to the requester */
	MGMT_OP_COUNT
};

enum mgmt_status {
	MGMT_OK = 0,
	MGMT_E_VERSION,   /* version not spoken here */
	MGMT_E_OP,        /* operation unknown (or not served by this component) */
	MGMT_E_MALFORMED, /* header or body does not parse */
	MGMT_E_TOOBIG,    /* request larger than MGMT_PKT_MAX */
	MGMT_E_NOAUTH,    /* a write without an auth trailer, or writes not configured */
	MGMT_E_BADAUTH,   /* the HMAC does not match */
	MGMT_E_REPLAY,    /* sequence number not above the last accepted one */
	MGMT_E_FORBIDDEN, /* writes are not accepted from this source address */
	MGMT_E_NOENT,     /* no such process, route or pipeline */
	MGMT_E_INVAL,     /* a well-formed request whose values are refused */
	MGMT_E_BUSY,      /* the target is in a state that refuses it now */
	MGMT_E_TIMEOUT,   /* a component or a pinged address did not answer in time */
	MGMT_E_NOSPACE,   /* a table is full */
	MGMT_E_INTERNAL,  /* the service failed (a bug or no memory) */
	MGMT_E_UNREACH,   /* the pinged address is unreachable */
	MGMT_E_PERM,      /* the target may not be changed (built-in route, the service itself) */
	MGMT_E_COUNT
};

/* A packet too broken to answer (no header to echo): drop and count it. */
#define MGMT_DROP (-1)

const char *mgmt_status_str(unsigned status); /* "ok", "unsupported version", ...; never NULL */
const char *mgmt_op_name(unsigned op);        /* "info", "ps", ...; "?" when unknown */
int mgmt_op_is_write(unsigned op);

struct mgmt_hdr {
	uint8_t version, op;
	uint16_t status;
	uint32_t id;
	uint16_t part, nparts, body_len, flags;
};

/* --- byte writer and reader ----------------------------------------------------------- */

/* Writes past cap set err and are dropped: check err once at the end. */
struct mgmt_w {
	uint8_t *p;
	size_t cap, len;
	int err;
};
struct mgmt_r {
	const uint8_t *p;
	size_t len, at;
	int err; /* a read past len: the value read is 0 */
};

static inline void mgmt_w_init(struct mgmt_w *w, void *buf, size_t cap)
{
	*w = (struct mgmt_w){(uint8_t *)buf, cap, 0, 0};
}
static inline void mgmt_r_init(struct mgmt_r *r, const void *buf, size_t len)
{
	*r = (struct mgmt_r){(const uint8_t *)buf, len, 0, 0};
}
void mgmt_put(struct mgmt_w *w, const void *src, size_t n);
void mgmt_put8(struct mgmt_w *w, uint8_t v);
void mgmt_put16(struct mgmt_w *w, uint16_t v);
void mgmt_put32(struct mgmt_w *w, uint32_t v);
void mgmt_put64(struct mgmt_w *w, uint64_t v);
void mgmt_put_name(struct mgmt_w *w, const char *s); /* MGMT_NAME bytes, NUL-padded, cut */
void mgmt_get(struct mgmt_r *r, void *dst, size_t n);
uint8_t mgmt_get8(struct mgmt_r *r);
uint16_t mgmt_get16(struct mgmt_r *r);
uint32_t mgmt_get32(struct mgmt_r *r);
uint64_t mgmt_get64(struct mgmt_r *r);
/* A name field into out[MGMT_NAME + 1]: refused (err) unless 0..24 characters
 * of [A-Za-z0-9_.-] followed only by NUL padding. */
void mgmt_get_name(struct mgmt_r *r, char *out);
static inline int mgmt_r_done(const struct mgmt_r *r) { return !r->err && r->at == r->len; }

/* --- messages ------------------------------------------------------------------------ */

/* Header h (body_len taken from n) and body into buf: the length, or 0 when
 * cap is too small or n > MGMT_PART_MAX. h->flags must not claim AUTH. */
size_t mgmt_msg_encode(uint8_t *buf, size_t cap, const struct mgmt_hdr *h, const void *body,
                       size_t n);

/*
 * The header of a message of len bytes: MGMT_OK with *h and *body (h->body_len
 * bytes), or MGMT_DROP when shorter than a header, or a status for a header
 * that parses but is refused, in this order: MGMT_E_TOOBIG (len >
 * MGMT_PKT_MAX), MGMT_E_VERSION, MGMT_E_MALFORMED (flags unknown,
 * body_len and the trailer not adding up to len, part >= nparts, nparts 0 or >
 * MGMT_PARTS_MAX). *h is filled whenever the result is not MGMT_DROP, so an
 * error response can echo id and op.
 */
int mgmt_msg_decode(const uint8_t *buf, size_t len, struct mgmt_hdr *h, const uint8_t **body);

/* --- requests ----------------------------------------------------------------------- */

enum mgmt_route_kind {
	MGMT_RT_KAN = 1, /* deliver on the KAN by destination */
	MGMT_RT_WORKER,  /* enter the KAN at process `target` */
	MGMT_RT_LINK,    /* on-link on the wire (built in only) */
	MGMT_RT_NEXTHOP, /* on the wire via gateway `nexthop` */
	MGMT_RT_DROP,    /* dropped */
	MGMT_RT_KIND_MAX = MGMT_RT_DROP
};
#define MGMT_RTF_BUILTIN  1u /* from the router's setup or a pipeline */
#define MGMT_RTF_OVERRIDE 2u /* added over a built-in route, which del restores */

/* A route (ROUTES record, ROUTE_ADD body): 60 bytes. */
struct mgmt_route {
	struct hk_addr prefix;
	uint8_t len, kind, flags;
	char target[MGMT_NAME + 1]; /* MGMT_RT_WORKER: the process */
	struct hk_addr nexthop;     /* MGMT_RT_NEXTHOP */
};
#define MGMT_ROUTE_REC 60u

struct mgmt_ping_req {
	struct hk_addr addr;
	uint32_t timeout_ms; /* 1..5000 */
};

struct mgmt_pipe_req {
	char pipe[MGMT_NAME + 1];
	unsigned n; /* 2..MGMT_STAGES_MAX */
	char stage[MGMT_STAGES_MAX][MGMT_NAME + 1];
};

struct mgmt_capture_req {
	char process[MGMT_NAME + 1]; /* "" for all traffic */
	uint32_t count;              /* 1..MGMT_CAPTURE_MAX packets */
	uint32_t timeout_ms;         /* 1..MGMT_CAPTURE_MS_MAX */
	uint16_t snaplen;            /* bytes of each packet mirrored, MGMT_CAP_SNAP_MIN..MGMT_CAP_SNAP_MAX */
};
#define MGMT_CAPTURE_MAX    100000u
#define MGMT_CAPTURE_MS_MAX 60000u /* the longest capture */
#define MGMT_CAP_SNAP_MIN   64u

struct mgmt_req {
	struct mgmt_hdr h;
	union {
		char name[MGMT_NAME + 1]; /* COUNTERS ("" all), KILL, RESTART */
		struct mgmt_route route;  /* ROUTE_ADD; ROUTE_DEL uses prefix and len */
		struct mgmt_ping_req ping;
		struct mgmt_pipe_req pipe;
		struct mgmt_capture_req cap;
	} u;
	int authed;        /* the AUTH flag and trailer are present (not yet verified) */
	uint64_t seq;      /* the trailer's sequence number */
	uint8_t mac[MGMT_MAC_LEN];
	size_t signed_len; /* bytes of the message the MAC covers (all but the MAC) */
};

/*
 * Decode a request completely: MGMT_OK with *q, MGMT_DROP, or the status to
 * answer with (then q->h is valid). Beyond mgmt_msg_decode: status must be 0,
 * a request is one part (part 0 of 1), MGMT_E_OP for an unknown op, then
 * MGMT_E_MALFORMED for a body of the wrong length, reserved bytes not 0, a
 * bad name, a route kind out of range; MGMT_E_INVAL for values out of their
 * documented range (prefix length > 128, ping timeout, capture count).
 */
int mgmt_req_decode(const uint8_t *buf, size_t len, struct mgmt_req *q);

/* A request's body into w (the inverse of mgmt_req_decode's body part). */
void mgmt_req_body(struct mgmt_w *w, unsigned op, const struct mgmt_req *q);

/*
 * A whole request message into buf: header (version, op, status, id from
 * q->h; part, nparts, body_len and flags are set here), body, and when
 * key is not NULL the auth trailer with q->seq, signed for epoch. The length,
 * or 0 when cap is too small.
 */
size_t mgmt_req_encode(uint8_t *buf, size_t cap, struct mgmt_req *q, const void *key,
                       size_t keylen, uint64_t epoch);

/* The write key's text form, one for the node's key= and kanctl: hex[0..n),
 * 2..2*MGMT_KEY_MAX hex digits (either case), into key. Its length in bytes,
 * or -1 (odd length, too long, a non-hex character). */
#define MGMT_KEY_MAX 64u
int mgmt_key_parse(const char *hex, size_t n, uint8_t key[MGMT_KEY_MAX]);

/* 1 if q's MAC is right for key and epoch (constant time), else 0. */
int mgmt_auth_ok(const uint8_t *msg, const struct mgmt_req *q, const void *key, size_t keylen,
                 uint64_t epoch);

/* --- responses ----------------------------------------------------------------------- */

/* How many parts a body of n bytes takes (1 for 0 bytes), 0 if n > MGMT_BODY_MAX. */
unsigned mgmt_nparts(size_t n);

/*
 * Part `part` of the response with header fields from h (version, op,
 * status, id) and body[0..n): a message into buf. Its length, or 0 when part
 * is out of range or cap too small.
 */
size_t mgmt_part_encode(uint8_t *buf, size_t cap, const struct mgmt_hdr *h, const uint8_t *body,
                        size_t n, unsigned part);

/* Reassembly of one response (id, op) in caller memory of cap bytes. */
struct mgmt_reasm {
	uint32_t id;
	uint8_t op;
	uint16_t status, nparts;
	uint64_t have; /* bit per part received */
	uint8_t *buf;
	size_t cap, len; /* len: the body's length once complete */
	unsigned seen;   /* parts accepted */
};
void mgmt_reasm_init(struct mgmt_reasm *r, uint32_t id, uint8_t op, void *buf, size_t cap);

enum {
	MGMT_REASM_MORE = 0,     /* taken, parts still missing */
	MGMT_REASM_DONE = 1,     /* complete: buf[0..len) is the body, status the status */
	MGMT_REASM_OTHER = 2,    /* not ours (another id or op, a duplicate part): ignored */
	MGMT_REASM_BAD = -1,     /* malformed, or inconsistent with the parts before */
	MGMT_REASM_TOOBIG = -2,  /* the body does not fit cap */
};
int mgmt_reasm_add(struct mgmt_reasm *r, const uint8_t *msg, size_t len);

/* --- response bodies ----------------------------------------------------------------- */

struct mgmt_info {
	uint8_t writes;     /* 1 when a key is configured */
	uint16_t nprocs;    /* manifest entries */
	uint64_t epoch;     /* this boot's value, signed into every write */
	uint64_t last_seq;  /* the highest sequence number accepted */
	uint64_t uptime_us;
	struct hk_addr prefix; /* the KAN /64 */
};
#define MGMT_INFO_LEN 48u
void mgmt_info_put(struct mgmt_w *w, const struct mgmt_info *i);
int mgmt_info_get(struct mgmt_r *r, struct mgmt_info *i); /* 0, or -1 (r->err) */

enum mgmt_proc_state { MGMT_PS_STOPPED, MGMT_PS_RUNNING, MGMT_PS_EXITING, MGMT_PS_HELD };
enum mgmt_cause { MGMT_CAUSE_NONE, MGMT_CAUSE_EXIT, MGMT_CAUSE_FAULT, MGMT_CAUSE_KILLED };
#define MGMT_PF_SUPERVISOR 1u
#define MGMT_PF_UPLINK     2u
#define MGMT_PF_MGMT       4u
#define MGMT_PF_FORWARD    8u

/* A process-table record: MGMT_PROC_FIXED bytes, then naddr addresses. */
struct mgmt_proc {
	char name[MGMT_NAME + 1];
	int32_t pid; /* -1 when not running */
	uint16_t index;
	uint8_t state, flags;
	uint64_t cores; /* allowed cores, bit per core */
	uint32_t restarts;
	uint8_t last_cause, last_fault;
	int32_t last_status;
	uint64_t last_pc, last_addr;
	uint64_t pages, cycles;
	char pipe[MGMT_NAME + 1];
	int16_t pipe_next; /* manifest index, -1 none */
	uint16_t naddr;
	struct hk_addr addr[MGMT_ADDRS_MAX];
};
#define MGMT_PROC_FIXED 116u
void mgmt_proc_put(struct mgmt_w *w, const struct mgmt_proc *p);
int mgmt_proc_get(struct mgmt_r *r, struct mgmt_proc *p);

void mgmt_route_put(struct mgmt_w *w, const struct mgmt_route *rt);
int mgmt_route_get(struct mgmt_r *r, struct mgmt_route *rt);

/*
 * Counters: groups, each a name (the node's "node", or a process's) and named
 * values. Names are 1..MGMT_CTR_NAME printable ASCII characters other than
 * space, '"' and '\\' (so they print as one word and need no JSON escaping).
 * Group: u8 name length, name, u16 n, u16 flags; counter: u8 name length,
 * name, u64 value.
 */
#define MGMT_CG_SILENT 1u /* the process did not answer: only the kernel's counters */
void mgmt_group_put(struct mgmt_w *w, const char *name, uint16_t n, uint16_t flags);
void mgmt_ctr_put(struct mgmt_w *w, const char *name, uint64_t v);
/* Read a group head / a counter: name into out[MGMT_CTR_NAME + 1]. 0 or -1. */
int mgmt_group_get(struct mgmt_r *r, char *name, uint16_t *n, uint16_t *flags);
int mgmt_ctr_get(struct mgmt_r *r, char *name, uint64_t *v);
int mgmt_ctr_name_ok(const char *s);

struct mgmt_ping_resp {
	uint32_t rtt_us;
	struct hk_addr from; /* who answered */
};
#define MGMT_PING_RESP_LEN 20u
void mgmt_ping_resp_put(struct mgmt_w *w, const struct mgmt_ping_resp *p);
int mgmt_ping_resp_get(struct mgmt_r *r, struct mgmt_ping_resp *p); /* 0, or -1 (r->err) */

/*
 * The CAPTURE answer is a stream, not one body: after the request is
 * accepted, every message is a complete one-part answer (status ok, the
 * request's id) whose body is one stream item. Items are numbered from 0
 * in seq, so a reader sees a lost message. A captured packet is carried in
 * fragments of at most MGMT_CAP_DATA_MAX bytes, in order; the END item is
 * the last. Common head: u8 kind, u8 0, u16 0, u32 seq.
 *   FRAG: u32 pkt (from 0), u32 orig_len, u64 time_us (the node's clock),
 *         u16 off, u16 caplen (the packet's captured bytes), then data to
 *         the end of the body (1..MGMT_CAP_DATA_MAX bytes, off + len <= caplen,
 *         caplen <= orig_len).
 *   END:  u32 packets (in the stream), u32 dropped (copies the node could not
 *         make or queue), u32 lost (messages it could not send), u8 reason
 *         (MGMT_CAP_COUNT, MGMT_CAP_TIME), 3 bytes 0.
 */
enum { MGMT_CAP_FRAG = 1, MGMT_CAP_END = 2 };
enum { MGMT_CAP_COUNT = 0, MGMT_CAP_TIME = 1 };
#define MGMT_CAP_FRAG_HEAD 28u
#define MGMT_CAP_END_LEN   24u
#define MGMT_CAP_DATA_MAX  (MGMT_PART_MAX - MGMT_CAP_FRAG_HEAD)
#define MGMT_CAP_SNAP_MAX  4096u
struct mgmt_cap {
	uint8_t kind;
	uint32_t seq;
	/* FRAG */
	uint32_t pkt, orig_len;
	uint64_t time_us;
	uint16_t off, caplen, len;
	const uint8_t *data; /* len bytes (into the message for mgmt_cap_get) */
	/* END */
	uint32_t packets, dropped, lost;
	uint8_t reason;
};
void mgmt_cap_put(struct mgmt_w *w, const struct mgmt_cap *c);
/* Decode one item from body[0..n): 0, or -1 when malformed or out of range. */
int mgmt_cap_get(const uint8_t *body, size_t n, struct mgmt_cap *c);

#endif
