/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_USER_MGMT_H
#define HEKATE_USER_MGMT_H

/*
 * Named counters any process publishes, and the answering of management
 * requests (docs/mgmt-protocol.md, docs/userlib.md "Counters").
 *
 * A process publishes a counter once, by name and address; the management
 * service reads the current values when it asks (op COUNTERS, a UDP
 * datagram to the process's address, port MGMT_INNER_PORT). The process
 * answers from its own loop: it hands every packet it receives to
 * hk_mgmt_serve first, which answers and consumes what is a management
 * request and leaves everything else alone. Nothing is pushed and nothing
 * is shared: the values travel in the answer's pages.
 *
 * One thread per process calls these (the one running its receive loop);
 * the registry and the answer buffer are not locked.
 */
#include <hekate/kan.h>
#include <net/mgmt.h>
#include <stdint.h>

#define HK_CTR_MAX      128u   /* counters one process may publish */
#define HK_MGMT_RESP_MAX 16384u /* largest answer hk_mgmt_serve builds */

/*
 * Publish *value under name (1..63 printable characters, no space, '"' or '\\'; the
 * string and the counter must live as long as the process). 0, or
 * -HK_EINVAL (bad name), -HK_EEXIST (name taken), -HK_ETOOMANY (HK_CTR_MAX).
 */
int hk_ctr_publish(const char *name, const uint64_t *value);

/*
 * Ops beyond COUNTERS a component serves (the router: routes; the
 * supervisor: the process table, kill, restart): append the answer's body
 * to w and return MGMT_OK, or return a status and, optionally, write a
 * short reason into detail[MGMT_DETAIL_MAX]. src is the requester's KAN
 * source address, which the KAN guarantees for addresses inside the prefix.
 */
typedef int (*hk_mgmt_fn)(void *ctx, const struct mgmt_req *q, const struct hk_addr *src,
                          struct mgmt_w *w, char *detail);

/*
 * If *p is a UDP datagram to port MGMT_INNER_PORT, answer it: COUNTERS from
 * the registry, anything else through fn (NULL: MGMT_E_OP), malformed
 * requests with their error (a packet too short to answer is freed). The
 * answer goes back to the source in p's page and, when it takes several
 * parts, in pages allocated here. Returns 1 (p was consumed: sent or
 * freed), or 0 (not a management request; p untouched).
 */
int hk_mgmt_serve(struct hk_pkt *p, hk_mgmt_fn fn, void *ctx);

/* Where a reply goes: from (from, fport) to (to, tport). */
struct hk_mgmt_ends {
	struct hk_addr from, to;
	uint16_t fport, tport;
};

/*
 * Send the response with header h (version, op, status, id) and body[0..n)
 * as parts: part 0 in page p (which the caller gives up), the others in
 * pages allocated here. 0, or -HK_E2BIG (n > MGMT_BODY_MAX), -HK_ENOMEM (no
 * pages: nothing sent, p freed), -HK_EAGAIN (the KAN refused a part).
 */
int hk_mgmt_send(struct hk_pkt *p, const struct hk_mgmt_ends *e, const struct mgmt_hdr *h,
                 const uint8_t *body, size_t n);

/* The address of the management service's own process (its primary, the
 * source of every request it makes of components), or -HK_ENOENT when the
 * manifest has no mgmt entry. */
int hk_mgmt_addr(struct hk_addr *out);

#endif
