// SPDX-License-Identifier: BSD-2-Clause
/*
 * The queue API example (docs/userlib.md): an echo service and its client
 * in two processes, K coroutines on each side.
 *   qexample server K N         opens queues 1..K, one echo coroutine each;
 *                               each echoes N packets, then takes a stop
 *   qexample client SERVER K N  coroutine i talks from its queue i+1 to the
 *                               server's queue i+1: N round trips, then a stop
 * The client first says hello to the server's primary queue and waits for
 * the answer, so it never sends to a queue the server has not opened yet.
 * Exit status 0 only if every packet came back intact.
 */
#include <hekate/coro.h>
#include <hekate/queue.h>
#include <hekate/user.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_US 10000000u /* any wait longer than 10 s is a failure */
#define STOP    UINT32_MAX

static unsigned K, N, done;
static const char *server_name;

static void must(int rc, const char *what)
{
	if (rc < 0)
		hk_fail("%s: %s", what, hk_strerror(rc));
}

/* A fresh packet with room for `payload` bytes after the IPv6 header. */
static struct hk_pkt alloc(unsigned payload)
{
	int64_t v = hk_kan_alloc1();
	if (v < 0)
		hk_fail("alloc: %s", hk_strerror((int)v));
	struct hk_pkt p = hk_pkt_unpack((uint64_t)v);
	p.len = (uint16_t)(HK_IPV6_HDR + payload);
	return p;
}

/* Wait for qt (parks when called in a coroutine); the operation must have worked. */
static struct hk_qresult await(hk_qtoken_t qt)
{
	struct hk_qresult r;
	must(hk_queue_wait(qt, WAIT_US, &r), "wait");
	must(r.ret, r.op == HK_QOP_POP ? "pop" : "push");
	return r;
}

/* Payload: who (4 bytes), seq (4 bytes), then bytes that depend on both. */
static unsigned size_of(unsigned seq) { return 8 + seq * 37 % 1500; }
static uint8_t byte_of(unsigned who, unsigned seq, unsigned i)
{
	return (uint8_t)(who * 31 + seq * 7 + i);
}

static void fill(struct hk_pkt p, unsigned who, unsigned seq)
{
	uint8_t *b = hk_pkt_payload(p);
	memcpy(b, &who, 4);
	memcpy(b + 4, &seq, 4);
	for (unsigned i = 8; i < p.len - HK_IPV6_HDR; i++)
		b[i] = byte_of(who, seq, i);
}

static void check(struct hk_pkt p, unsigned who, unsigned seq, const struct hk_addr *from)
{
	struct hk_addr src = hk_pkt_src(p);
	if (p.len != HK_IPV6_HDR + size_of(seq) || memcmp(&src, from, sizeof(src)))
		hk_fail("coroutine %u, packet %u: wrong length %u or source", who, seq, p.len);
	uint8_t *b = hk_pkt_payload(p), w[8];
	memcpy(w, &who, 4);
	memcpy(w + 4, &seq, 4);
	for (unsigned i = 0; i < size_of(seq); i++)
		if (b[i] != (i < 8 ? w[i] : byte_of(who, seq, i)))
			hk_fail("coroutine %u, packet %u: byte %u differs", who, seq, i);
}

/* Server coroutine: echo every packet on queue qd back to its source until the stop. */
static void echo(void *arg)
{
	int qd = (int)(intptr_t)arg;
	for (unsigned n = 0;; n++) {
		hk_qtoken_t qt;
		must(hk_queue_pop(&qt, qd), "pop");
		struct hk_pkt p = await(qt).pkt;
		uint32_t seq;
		memcpy(&seq, (uint8_t *)hk_pkt_payload(p) + 4, 4);
		if (seq == STOP) {
			hk_kan_free1(hk_pkt_pack(p));
			if (n != N)
				hk_fail("queue %d: %u packets before the stop, want %u", qd, n, N);
			done += n;
			return;
		}
		struct hk_addr from = hk_pkt_src(p);
		must(hk_queue_pushto(&qt, qd, p, &from), "push"); /* the same page goes back */
		await(qt);
	}
}

static int server(void)
{
	for (unsigned i = 1; i <= K; i++) {
		int qd = hk_queue_open(i, 64);
		must(qd, "open");
		must(hk_coro_spawn(echo, (void *)(intptr_t)qd, 0), "spawn");
	}
	/* every queue is open: answer the client's hello (outside coroutines, a
	 * wait runs the polling loop itself) */
	int q0 = hk_queue_open(0, 0);
	must(q0, "open primary");
	hk_qtoken_t qt;
	must(hk_queue_pop(&qt, q0), "pop hello");
	struct hk_pkt hello = await(qt).pkt;
	struct hk_addr from = hk_pkt_src(hello);
	must(hk_queue_pushto(&qt, q0, hello, &from), "answer hello");
	await(qt);
	must(hk_coro_run(), "run");
	printf("qexample: server: %u queues echoed %u packets\n", K, done);
	return done == K * N ? 0 : 1;
}

/* Client coroutine `who`: N round trips with the server's queue who+1, then the stop. */
static void talk(void *arg)
{
	unsigned who = (unsigned)(uintptr_t)arg;
	struct hk_addr peer;
	int qd = hk_queue_open(who + 1, 64);
	must(qd, "open");
	must(hk_kan_addr_of(server_name, who + 1, &peer), "server address");
	must(hk_queue_connect(qd, &peer), "connect");
	for (unsigned seq = 0; seq < N; seq++) {
		struct hk_pkt p = alloc(size_of(seq));
		fill(p, who, seq);
		hk_qtoken_t qts[2];
		struct hk_qresult r[2];
		must(hk_queue_push(&qts[0], qd, p), "push");
		must(hk_queue_pop(&qts[1], qd), "pop");
		must(hk_queue_wait_all(qts, 2, WAIT_US, r), "wait_all");
		must(r[0].ret, "push");
		must(r[1].ret, "pop");
		check(r[1].pkt, who, seq, &peer);
		hk_kan_free1(hk_pkt_pack(r[1].pkt));
	}
	struct hk_pkt stop = alloc(8);
	fill(stop, who, STOP);
	hk_qtoken_t qt;
	must(hk_queue_push(&qt, qd, stop), "push stop");
	await(qt);
	must(hk_queue_close(qd), "close");
	done += N;
}

static int client(void)
{
	struct hk_addr server;
	must(hk_kan_addr_of(server_name, 0, &server), "server address");
	int q0 = hk_queue_open(0, 0);
	must(q0, "open primary");
	must(hk_queue_connect(q0, &server), "connect");
	hk_qtoken_t qt;
	must(hk_queue_push(&qt, q0, alloc(8)), "hello");
	await(qt);
	must(hk_queue_pop(&qt, q0), "pop answer");
	hk_kan_free1(hk_pkt_pack(await(qt).pkt));
	for (unsigned who = 0; who < K; who++)
		must(hk_coro_spawn(talk, (void *)(uintptr_t)who, 0), "spawn");
	must(hk_coro_run(), "run");
	printf("qexample: client: %u coroutines x %u round trips, content verified\n", K, N);
	return done == K * N ? 0 : 1;
}

int main(int argc, char **argv)
{
	int is_server = argc == 4 && !strcmp(argv[1], "server");
	if (!is_server && !(argc == 5 && !strcmp(argv[1], "client")))
		hk_fail("usage: qexample server K N | qexample client SERVER K N");
	server_name = is_server ? NULL : argv[2];
	K = (unsigned)strtoul(argv[argc - 2], NULL, 10);
	N = (unsigned)strtoul(argv[argc - 1], NULL, 10);
	if (!K || K > 15 || !N)
		hk_fail("K must be 1..15 and N at least 1");
	return is_server ? server() : client();
}
