/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef KANCTL_H
#define KANCTL_H

/*
 * kanctl, the host's management client (docs/kanctl.md): one UDP socket to
 * the node's management service, the protocol's codec from net/mgmt.c.
 * main.c parses the command line; rpc.c asks and reassembles; the
 * commands print tables or JSON.
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

/* The process table (for names, addresses, topo): KX_OK with *n records. */
int kc_procs(struct kanctl *k, struct mgmt_proc **out, unsigned *n);

void kc_addr_str(const struct hk_addr *a, char *buf, size_t n);
int kc_parse_prefix(const char *s, struct hk_addr *a, unsigned *len);
int kc_parse_addr(const char *s, struct hk_addr *a);

int cmd_info(struct kanctl *k, int argc, char **argv);
int cmd_ps(struct kanctl *k, int argc, char **argv);
int cmd_counters(struct kanctl *k, int argc, char **argv);
int cmd_route(struct kanctl *k, int argc, char **argv);
int cmd_kill(struct kanctl *k, int argc, char **argv);
int cmd_ping(struct kanctl *k, int argc, char **argv);
int cmd_topo(struct kanctl *k, int argc, char **argv);

#endif
