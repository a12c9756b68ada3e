/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef KANCTL_H
#define KANCTL_H

/*
 * kanctl, the host's management client (docs/kanctl.md): one UDP socket to
 * the node's management service, the protocol's codec from net/mgmt.c.
 * main.c parses the command line; rpc.c asks and reassembles; the
 * commands print tables or JSON; capture.c reads CAPTURE's stream into a
 * pcap file (pcap.c).
 */
#include <net/mgmt.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses. */
enum { KX_OK = 0, KX_REFUSED = 1, KX_USAGE = 2, KX_TIMEOUT = 3, KX_SYSTEM = 4 };

struct kanctl {
	char node[64];    /* address text of the service */
	char bind[64];    /* our source address, "" for the kernel's choice */
	uint16_t port;
	int json;
	unsigned timeout_ms; /* per try */
	unsigned tries;      /* reads are retried; writes never are */
	uint8_t key[MGMT_KEY_MAX];
	size_t keylen;
	int fd;
	/* the answer of the last request */
	uint16_t status;
	uint8_t *body;
	size_t len;
	char detail[MGMT_DETAIL_MAX + 1];
};

/*
 * Ask op (body fields from q; for writes signed with the key): KX_OK with
 * k->status and k->body[0..len) (status 0), or an exit status after printing
 * why (the node's refusal with its text, a timeout, a system error).
 */
int kc_ask(struct kanctl *k, struct mgmt_req *q);

/*
 * For a request whose answer the caller reads itself (CAPTURE's stream):
 * like kc_ask up to the send (socket, key check, INFO for the epoch and
 * q->seq, signature), then the message is sent once. KX_OK with the id in
 * q->h.id, or an exit status after printing why. Answers arrive on k->fd.
 */
int kc_send(struct kanctl *k, struct mgmt_req *q);

/* The pieces kc_ask and kc_send share, for callers that read answers themselves. */
int kc_open(struct kanctl *k);                    /* the socket to the node (once): KX_OK or why */
int kc_need_key(struct kanctl *k, unsigned op);   /* KX_OK, or KX_USAGE after saying so */
void kc_refused(struct kanctl *k, uint8_t op);    /* print k->status and the text in k->body */
void kc_port_unreachable(const struct kanctl *k); /* print that nothing serves at the node */
uint64_t kc_now_ms(void);                         /* a monotonic clock */

/* The process table (for names, addresses, topo): KX_OK with *n records. */
int kc_procs(struct kanctl *k, struct mgmt_proc **out, unsigned *n);

void kc_addr_str(const struct hk_addr *a, char *buf, size_t n);
int kc_parse_prefix(const char *s, struct hk_addr *a, unsigned *len);
int kc_parse_addr(const char *s, struct hk_addr *a);
/* Why s[0..n) cannot be a process or pipeline name (the codec's names: 1..MGMT_NAME
 * of [A-Za-z0-9_.-]), or NULL when it can. */
const char *kc_name_bad(const char *s, size_t n);

int cmd_info(struct kanctl *k, int argc, char **argv);
int cmd_ps(struct kanctl *k, int argc, char **argv);
int cmd_counters(struct kanctl *k, int argc, char **argv);
int cmd_route(struct kanctl *k, int argc, char **argv);
int cmd_kill(struct kanctl *k, int argc, char **argv);
int cmd_ping(struct kanctl *k, int argc, char **argv);
int cmd_topo(struct kanctl *k, int argc, char **argv);
int cmd_pipe(struct kanctl *k, int argc, char **argv);
int cmd_capture(struct kanctl *k, int argc, char **argv);

#endif
