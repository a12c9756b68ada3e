/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef KAN_CTL_H
#define KAN_CTL_H

/*
 * The kernel control protocol's codec (docs/kan-control.md has the wire
 * format, the ops, the statuses and what the kernel does with malformed
 * requests). Requests are UDP payloads to the kernel's KAN address, port
 * KAN_CTL_PORT; responses come back from that port. All integers are
 * big-endian. Pure functions over bytes for the kernel (decode requests,
 * build responses) and for clients (encode requests, decode responses);
 * host-tested in tests/unit/test_kan_ctl.c.
 *
 * Every function is given the size of its buffer and refuses (returns 0 or
 * an error, writing nothing it was not asked to) rather than overrun it.
 */
#include <hekate/kan.h>
#include <stddef.h>
#include <stdint.h>

#define KAN_CTL_PORT    1u
#define KAN_CTL_VERSION 1u
#define KAN_CTL_HDR     8u    /* u8 version, u8 op, u16 status, u32 id */
#define KAN_CTL_MAX     1232u /* largest response payload: 1280 - 40 - 8 */
#define KAN_CTL_NAME    16u   /* manifest entry name field, NUL-padded */

/* Request/response body sizes. */
#define KAN_CTL_COUNTERS_REQ  8u  /* u8 kind, u8 pad[3], u32 id */
#define KAN_CTL_COUNTERS_HEAD 4u  /* u16 count, u16 pad, then count x u64 */
#define KAN_CTL_PROCS_REQ     4u  /* u32 cursor */
#define KAN_CTL_PROCS_HEAD    8u  /* u16 n, u16 flags, u32 next_cursor */
#define KAN_CTL_PROC_ENTRY    40u /* u32 pid, u32 ep, u8 addr[16], char name[16] */
#define KAN_CTL_SPAWN_REQ     KAN_CTL_NAME
#define KAN_CTL_SPAWN_RESP    4u /* u32 pid */
#define KAN_CTL_KILL_REQ      4u /* u32 pid */
#define KAN_CTL_CAPTURE_REQ   12u /* u32 ep, u32 pid, u16 snaplen, u16 pad */
#define KAN_CTL_CAPTURE_RESP  8u  /* u32 copied, u32 dropped */
#define KAN_CTL_PIPE_NAME     24u /* a pipeline name field, NUL-padded (manifest names) */
#define KAN_CTL_PIPE_REQ      (KAN_CTL_PIPE_NAME + 4u + KAN_CTL_PIPE_STAGES)
#define KAN_CTL_PIPE_STAGES   8u  /* u8 n, u8 pad[3], then 8 entry indices (0xff past n) */

/* PROCS response flags */
#define KAN_CTL_MORE 1u /* more entries follow: ask again with next_cursor */

/* Entries of one PROCS response the kernel sends (KAN_CTL_MAX bytes). */
#define KAN_CTL_PROCS_PER_RESP                                                                     \
	((KAN_CTL_MAX - KAN_CTL_HDR - KAN_CTL_PROCS_HEAD) / KAN_CTL_PROC_ENTRY)

/* COUNTERS values: struct hk_kan_counters (endpoint, process) and
 * struct hk_kan_node (node) flattened in field order (kan_ctl_*_flatten). */
#define KAN_CTL_NCOUNTERS (4u + HK_DROP_COUNT + 1u)
#define KAN_CTL_NNODE     (6u + KAN_CTL_NCOUNTERS)

enum kan_ctl_op {
	KAN_CTL_COUNTERS = 1, /* counters of an endpoint, a process or the node */
	KAN_CTL_PROCS = 2,    /* bound addresses and their processes, paged */
	KAN_CTL_SPAWN = 3,    /* start a manifest entry (supervisor only) */
	KAN_CTL_KILL = 4,     /* end a process (supervisor only) */
	KAN_CTL_CAPTURE = 5,  /* mirror KAN traffic to an endpoint (the mgmt entry only) */
	KAN_CTL_PIPE = 6,     /* set a pipeline's stages (the mgmt entry only) */
	KAN_CTL_OP_MAX = KAN_CTL_PIPE
};

/* What is wrong with a request or response; KAN_CTL_OK is 0. */
enum kan_ctl_err {
	KAN_CTL_OK = 0,
	KAN_CTL_ESHORT,    /* fewer than 8 bytes: no header to answer */
	KAN_CTL_EVERSION,  /* version is not KAN_CTL_VERSION */
	KAN_CTL_EOP,       /* unknown op */
	KAN_CTL_ELENGTH,   /* body length wrong for the op (and count) */
	KAN_CTL_ERESERVED, /* reserved bits not 0: request status, pads, flags, name padding */
	KAN_CTL_EKIND,     /* COUNTERS kind is not HK_STAT_ENDPOINT/PROCESS/NODE */
	KAN_CTL_ENAME,     /* SPAWN name empty or a byte outside [A-Za-z0-9_.-] */
	KAN_CTL_ERANGE,    /* a value out of its range: capture snaplen, pipeline stage count */
	KAN_CTL_ERR_COUNT
};

/* A decoded request (or one a client fills to encode). */
struct kan_ctl_req {
	uint8_t op;  /* enum kan_ctl_op */
	uint32_t id; /* the requester's, echoed in the response */
	union {
		struct {
			uint8_t kind; /* HK_STAT_* */
			uint32_t id;  /* endpoint handle or pid; ignored for the node */
		} counters;
		struct {
			uint32_t cursor; /* 0 to start, then the previous next_cursor */
		} procs;
		struct {
			char name[KAN_CTL_NAME + 1]; /* 1..16 chars, NUL-terminated */
		} spawn;
		struct {
			uint32_t pid;
		} kill;
		struct {
			uint32_t ep;      /* the requester's endpoint the copies go to, or KAN_CAP_STOP */
			uint32_t pid;     /* only this process's traffic; 0 for all */
			uint16_t snaplen; /* KAN_CAP_SNAP_MIN..KAN_CAP_SNAP_MAX bytes of each packet */
		} capture;
		struct {
			char name[KAN_CTL_PIPE_NAME + 1]; /* the pipeline, NUL-terminated */
			uint8_t n;                         /* 2..KAN_CTL_PIPE_STAGES */
			uint8_t stage[KAN_CTL_PIPE_STAGES]; /* manifest entries, in traffic order */
		} pipe;
	};
};

/*
 * Capture (KAN_CTL_CAPTURE): while one runs, the kernel copies every packet
 * put on the KAN (by a process or by the kernel) that the capturing process
 * neither sent nor receives, and that pid (if not 0) sent or receives, into
 * a UDP packet from the kernel's address, port KAN_CAP_PORT, to the capture
 * endpoint: a KAN_CAP_HDR record header, then the packet's first bytes.
 * A copy that finds no free page or a full ring is dropped and counted.
 */
#define KAN_CAP_STOP     0xffffffffu
#define KAN_CAP_PORT     3u
#define KAN_CAP_HDR      24u /* u32 seq, u32 orig_len, u64 time_us, u32 from pid, u32 to pid */
#define KAN_CAP_SNAP_MIN 64u
#define KAN_CAP_SNAP_MAX (HK_PKT_SIZE - HK_PKT_HEADROOM - 48u - KAN_CAP_HDR)

struct kan_cap_rec {
	uint32_t seq;      /* copies made since the capture started, from 0: a gap is a drop */
	uint32_t orig_len; /* the packet's length; the copy holds min(orig_len, snaplen) */
	uint64_t time_us;
	uint32_t from, to; /* sender's and receiver's pid; 0 for the kernel or nobody */
};
void kan_cap_rec_put(uint8_t *p, const struct kan_cap_rec *r);
/* The record at p[0..len): 0, or -1 if len < KAN_CAP_HDR. */
int kan_cap_rec_get(const uint8_t *p, size_t len, struct kan_cap_rec *r);

/*
 * Decode the UDP payload p[0..len) as a request. On KAN_CTL_OK *out holds
 * it. On any other error but KAN_CTL_ESHORT, out->op and out->id hold the
 * request's op byte and id, so the kernel can answer (kan_ctl_err_status,
 * kan_ctl_resp_error); the body fields are zero. Checks in this order:
 * length >= 8, version, op, body length, reserved bits, kind/name.
 */
enum kan_ctl_err kan_ctl_req_decode(const uint8_t *p, size_t len, struct kan_ctl_req *out);

/* Returned by kan_ctl_err_status for a request too short to answer. */
#define KAN_CTL_DROP (-1)

/*
 * The status the kernel answers a decode error with: 0 for KAN_CTL_OK,
 * KAN_CTL_DROP for KAN_CTL_ESHORT (drop and count HK_DROP_BAD_CONTROL,
 * no response), HK_ENOSYS for a version or op it does not implement,
 * HK_EINVAL for the rest.
 */
int kan_ctl_err_status(enum kan_ctl_err e);
const char *kan_ctl_err_name(enum kan_ctl_err e);

/*
 * Client side: encode *r (header with status 0, then the op's body) into
 * buf. Returns the length, or 0 when cap is too small or *r is not a valid
 * request (unknown op or kind, invalid name): exactly what decode accepts.
 */
size_t kan_ctl_req_encode(const struct kan_ctl_req *r, uint8_t *buf, size_t cap);

/* ---- responses: the kernel's side ---------------------------------------- */

/* Write a response header. 8, or 0 if cap < 8. */
size_t kan_ctl_resp_header(uint8_t *buf, size_t cap, uint8_t op, uint32_t id, uint16_t status);

/* An error response (header only) to req with status. 8 or 0. */
size_t kan_ctl_resp_error(uint8_t *buf, size_t cap, const struct kan_ctl_req *req, uint16_t status);

/*
 * COUNTERS response to req: status 0, count n, vals[0..n). Returns the
 * length, or 0 if it does not fit cap (or KAN_CTL_MAX).
 */
size_t kan_ctl_resp_counters(uint8_t *buf, size_t cap, const struct kan_ctl_req *req,
                             const uint64_t *vals, unsigned n);

/* The values of c / nd in protocol order into vals (room for
 * KAN_CTL_NCOUNTERS / KAN_CTL_NNODE); returns how many. */
unsigned kan_ctl_counters_flatten(const struct hk_kan_counters *c, uint64_t *vals);
unsigned kan_ctl_node_flatten(const struct hk_kan_node *nd, uint64_t *vals);

/* SPAWN response (status 0, the new pid): 12 or 0. KILL response: 8 or 0. */
size_t kan_ctl_resp_spawn(uint8_t *buf, size_t cap, const struct kan_ctl_req *req, uint32_t pid);
size_t kan_ctl_resp_kill(uint8_t *buf, size_t cap, const struct kan_ctl_req *req);
/* CAPTURE response: 16 or 0. PIPE response (no body): 8 or 0. */
size_t kan_ctl_resp_capture(uint8_t *buf, size_t cap, const struct kan_ctl_req *req,
                            uint32_t copied, uint32_t dropped);
size_t kan_ctl_resp_pipe(uint8_t *buf, size_t cap, const struct kan_ctl_req *req);

/*
 * A PROCS response built an entry at a time. A cursor is the kernel's
 * position in its endpoint table: each entry has one, and listing resumes
 * at the cursor of the first entry not sent.
 *   kan_ctl_procs_begin(&b, buf, cap, req);
 *   for each entry e from req->procs.cursor on:
 *     if (!kan_ctl_procs_add(&b, e.cursor, ...)) break;
 *   len = kan_ctl_procs_end(&b, 0, 0);
 * The response never exceeds min(cap, KAN_CTL_MAX) and never holds a
 * partial entry. Once an add is refused, later adds are refused too and
 * the response says KAN_CTL_MORE with that entry's cursor, whatever end is
 * passed, so nothing is dropped silently. A caller that stops early for
 * its own reasons passes more = 1 and the cursor to resume at.
 */
struct kan_ctl_procs {
	uint8_t *buf;
	size_t cap;    /* min(cap, KAN_CTL_MAX); 0 if begin failed */
	size_t len;    /* bytes written so far */
	uint16_t n;    /* entries written */
	uint8_t full;  /* an add was refused */
	uint32_t next; /* cursor of the refused entry */
};

/* 0, or -HK_ENOBUFS if not even one entry would fit (then add refuses
 * everything and end returns 0): every response makes progress. */
int kan_ctl_procs_begin(struct kan_ctl_procs *b, uint8_t *buf, size_t cap,
                        const struct kan_ctl_req *req);
/* Append the entry at cursor; name is NUL-terminated or at least
 * KAN_CTL_NAME bytes (longer names are cut to 16). 1 if it fit, 0 (nothing
 * written) if not. */
int kan_ctl_procs_add(struct kan_ctl_procs *b, uint32_t cursor, uint32_t pid, uint32_t ep,
                      const struct hk_addr *addr, const char *name);
/* Finish: write n, flags and next_cursor (0 unless MORE). Returns the
 * length, 0 if begin failed. */
size_t kan_ctl_procs_end(struct kan_ctl_procs *b, int more, uint32_t next_cursor);

/* ---- responses: the client's side ---------------------------------------- */

struct kan_ctl_resp {
	uint8_t op;
	uint16_t status; /* 0 ok, else a positive HK_E* */
	uint32_t id;
	union { /* only for status 0; zero otherwise */
		struct {
			uint16_t count;
			const uint8_t *vals; /* count x u64, big-endian */
		} counters;
		struct {
			uint16_t n, flags;
			uint32_t next;
			const uint8_t *entries; /* n x KAN_CTL_PROC_ENTRY */
		} procs;
		struct {
			uint32_t pid;
		} spawn;
		struct {
			uint32_t copied, dropped; /* of the capture this request ended, else 0 */
		} capture;
	};
};

/*
 * Decode the UDP payload p[0..len) as a response. An error response
 * (status != 0) has an empty body and may carry any op. An ok response's
 * body must be exactly its op's, with reserved bits 0. On an error other
 * than KAN_CTL_ESHORT, op, status and id are filled, the body fields zero.
 */
enum kan_ctl_err kan_ctl_resp_decode(const uint8_t *p, size_t len, struct kan_ctl_resp *out);

/* Value i of an ok COUNTERS response: 0, or -HK_ENOENT past count / not one. */
int kan_ctl_resp_value(const struct kan_ctl_resp *r, unsigned i, uint64_t *v);
/* The whole struct from an ok COUNTERS response: values the response lacks
 * are 0, extra ones (a newer kernel) ignored. 0 or -HK_EINVAL (not one). */
int kan_ctl_resp_to_counters(const struct kan_ctl_resp *r, struct hk_kan_counters *c);
int kan_ctl_resp_to_node(const struct kan_ctl_resp *r, struct hk_kan_node *nd);

/* One PROCS entry. */
struct kan_ctl_proc {
	uint32_t pid, ep;
	struct hk_addr addr;
	char name[KAN_CTL_NAME + 1]; /* NUL-terminated */
};

/* Entry i of an ok PROCS response: 0, -HK_ENOENT (past n or not PROCS)
 * or -HK_EINVAL (name padding not NUL). */
int kan_ctl_resp_proc(const struct kan_ctl_resp *r, unsigned i, struct kan_ctl_proc *out);

#endif
