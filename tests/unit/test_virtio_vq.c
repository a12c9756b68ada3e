// SPDX-License-Identifier: BSD-2-Clause
/*
 * Split virtqueues (drivers/virtio/vq.c) on the host against a device
 * simulated here, which reads and writes the rings byte by byte as the
 * spec lays them out (not through the library's structs). Ring parts are
 * exact-size, page-aligned blocks, so ASan reports any access past a
 * part. Covered: every refusal of vq_init, the descriptor and avail
 * entries written, one avail->idx store per batch, notification
 * suppression, a random model check of out-of-order completions wrapping
 * the 16-bit indices, and every kind of device misbehaviour (each used id
 * against each slot state and length, used->idx ahead, a random hostile
 * device), checking that no buffer ever comes back twice or unposted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include <hekate/errno.h>
#include <virtio/vq.h>

#include "rng.h"
#include "virtio_ref.h"

static struct vio_mem mem(void *p) { return (struct vio_mem){p, pa_of(p)}; }

/* A queue and the simulated device's side of it (PA == VA). */
struct tq {
	unsigned size;
	uint8_t *desc, *avail, *used;
	struct vq q;
	uint16_t dev_avail; /* next avail entry the device reads */
	uint16_t dev_used;  /* the device's used index */
};

static void tq_open(struct tq *t, unsigned size)
{
	memset(t, 0, sizeof(*t));
	t->size = size;
	t->desc = block_alloc(vq_desc_bytes(size));
	t->avail = block_alloc(vq_avail_bytes(size));
	t->used = block_alloc(vq_used_bytes(size));
	assert_int_equal(vq_init(&t->q, size, mem(t->desc), mem(t->avail), mem(t->used)), 0);
}

static void tq_close(struct tq *t)
{
	free(t->desc);
	free(t->avail);
	free(t->used);
}

static uint64_t desc_addr(const struct tq *t, unsigned id) { return le64(t->desc + 16 * id); }
static uint32_t desc_len(const struct tq *t, unsigned id) { return le32(t->desc + 16 * id + 8); }
static uint16_t desc_flags(const struct tq *t, unsigned id) { return le16(t->desc + 16 * id + 12); }
static uint16_t desc_next(const struct tq *t, unsigned id) { return le16(t->desc + 16 * id + 14); }
static uint16_t avail_idx(const struct tq *t) { return le16(t->avail + 2); }

/* The device takes the next published buffer: its head id, or -1. */
static int dev_take(struct tq *t)
{
	if (t->dev_avail == avail_idx(t))
		return -1;
	int id = le16(t->avail + 4 + 2 * (t->dev_avail & (t->size - 1)));
	t->dev_avail++;
	return id;
}

/* The device writes a used entry (any id and len) and publishes it. */
static void dev_used(struct tq *t, uint32_t id, uint32_t len)
{
	uint8_t *e = t->used + 4 + 8 * (t->dev_used & (t->size - 1));
	put32(e, id);
	put32(e + 4, len);
	t->dev_used++;
	put16(t->used + 2, t->dev_used);
}

static void dev_set_idx(struct tq *t, uint16_t idx) { put16(t->used + 2, idx); }

static void test_init_refusals(void **state)
{
	(void)state;
	uint8_t *page = block_alloc(4 * 4096);
	uint64_t pa = 0x80000000ull;
	struct vio_mem d = {page, pa}, a = {page + 4096, pa + 4096}, u = {page + 8192, pa + 8192};
	static struct vq q, sentinel;
	memset(&q, 0x5a, sizeof(q));
	memcpy(&sentinel, &q, sizeof(q));
	static const unsigned bad_sizes[] = {0, 3, 6, 100, 255, 257, 512, 1024, 65536};
	for (unsigned i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++)
		assert_int_equal(vq_init(&q, bad_sizes[i], d, a, u), -HK_EINVAL);
	struct {
		struct vio_mem d, a, u;
	} bad[] = {
	    {{NULL, pa}, a, u}, /* null va */
	    {d, {NULL, pa + 4096}, u},
	    {d, a, {NULL, pa + 8192}},
	    {{page + 8, pa + 8}, a, u},                     /* desc not 16-aligned (va and pa) */
	    {{page, pa + 8}, a, u},                         /* pa only */
	    {{page + 8, pa}, a, u},                         /* va only */
	    {d, {page + 4097, pa + 4097}, u},               /* avail odd */
	    {d, a, {page + 8194, pa + 8194}},               /* used not 4-aligned */
	    {{page + 16, pa + 16}, a, u},                   /* 256 descriptors cross the page */
	    {d, {page + 4096 + 3584, pa + 4096 + 3584}, u}, /* avail (518 bytes) crosses */
	    {d, a, {page + 8192 + 2048, pa + 8192 + 2048}}, /* used (2054 bytes) crosses */
	    {d, {page + 2048, pa + 4096}, u},               /* avail va inside desc */
	    {d, {page + 4096, pa + 2048}, u},               /* avail pa inside desc */
	    {d, a, {page + 4096 + 512, pa + 8192}}, /* used va overlaps avail's last bytes */
	    {d, a, {page + 8192, pa + 4096 + 516}}, /* used pa overlaps avail */
	    {d, a, {page, pa}},                     /* used == desc */
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vq_init(&q, 256, bad[i].d, bad[i].a, bad[i].u), -HK_EINVAL);
		assert_memory_equal(&q, &sentinel, sizeof(q));
	}
	/* The same parts are fine just past each other. */
	assert_int_equal(vq_init(&q, 256, d, (struct vio_mem){page + 4096, pa + 4096},
	                         (struct vio_mem){page + 4096 + 520, pa + 4096 + 520}),
	                 0);
	free(page);
}

/* Every valid size: parts zeroed (exactly their bytes), all ids free. */
static void test_init_sizes(void **state)
{
	(void)state;
	for (unsigned size = 1; size <= VQ_MAX_SIZE; size *= 2) {
		struct tq t;
		tq_open(&t, size);
		for (unsigned i = 0; i < vq_desc_bytes(size); i++)
			assert_int_equal(t.desc[i], 0);
		for (unsigned i = 0; i < vq_avail_bytes(size); i++)
			assert_int_equal(t.avail[i], 0);
		for (unsigned i = 0; i < vq_used_bytes(size); i++)
			assert_int_equal(t.used[i], 0);
		assert_int_equal(vq_free_count(&t.q), size);
		assert_int_equal(vq_inflight(&t.q), 0);
		uint32_t c, l;
		assert_int_equal(vq_get_used(&t.q, &c, &l), 0);
		assert_false(vq_publish(&t.q));
		tq_close(&t);
	}
}

/* Descriptors and avail entries as the device reads them; full ring;
 * zero length; nothing visible before vq_publish. */
static void test_add_and_full(void **state)
{
	(void)state;
	struct tq t;
	tq_open(&t, 8);
	for (unsigned i = 0; i < 8; i++) {
		bool w = i & 1;
		assert_int_equal(vq_add(&t.q, 0x1000ull * (i + 1) + 102, 100 + i, w, 500 + i), 0);
		assert_int_equal(vq_free_count(&t.q), 7 - i);
		assert_int_equal(vq_inflight(&t.q), i + 1);
		unsigned id = le16(t.avail + 4 + 2 * i);
		assert_true(id < 8);
		assert_int_equal(desc_addr(&t, id), 0x1000ull * (i + 1) + 102);
		assert_int_equal(desc_len(&t, id), 100 + i);
		assert_int_equal(desc_flags(&t, id), w ? VIRTQ_DESC_F_WRITE : 0);
		assert_int_equal(avail_idx(&t), 0);
	}
	assert_int_equal(vq_add(&t.q, 0x9000, 64, true, 1), -HK_ENOBUFS);
	assert_int_equal(vq_add2(&t.q, 0x9000, 4, 0x9004, 1, 1), -HK_ENOBUFS);
	assert_int_equal(vq_free_count(&t.q), 0);
	assert_true(vq_publish(&t.q));
	assert_int_equal(avail_idx(&t), 8);
	/* Each head id appears once. */
	unsigned seen = 0;
	for (unsigned i = 0; i < 8; i++)
		seen |= 1u << le16(t.avail + 4 + 2 * i);
	assert_int_equal(seen, 0xff);
	tq_close(&t);

	tq_open(&t, 4);
	assert_int_equal(vq_add(&t.q, 0x1000, 0, true, 1), -HK_EINVAL);
	assert_int_equal(vq_add2(&t.q, 0x1000, 0, 0x2000, 1, 1), -HK_EINVAL);
	assert_int_equal(vq_add2(&t.q, 0x1000, 4, 0x2000, 0, 1), -HK_EINVAL);
	assert_int_equal(vq_free_count(&t.q), 4);
	assert_int_equal(vq_add(&t.q, 0x1000, 1, false, 1), 0);
	assert_int_equal(vq_add(&t.q, 0x1000, 1, false, 2), 0);
	assert_int_equal(vq_add(&t.q, 0x1000, 1, false, 3), 0);
	assert_int_equal(vq_add2(&t.q, 0x1000, 4, 0x2000, 1, 4), -HK_ENOBUFS); /* one free */
	assert_int_equal(vq_free_count(&t.q), 1);
	tq_close(&t);
}

/* One index store per batch, and the device's NO_NOTIFY honoured. */
static void test_publish(void **state)
{
	(void)state;
	struct tq t;
	tq_open(&t, 16);
	assert_false(vq_publish(&t.q)); /* nothing added */
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(vq_add(&t.q, 0x1000, 64, true, i), 0);
	assert_int_equal(avail_idx(&t), 0);
	assert_true(vq_publish(&t.q));
	assert_int_equal(avail_idx(&t), 5);
	assert_false(vq_publish(&t.q)); /* nothing new: no notification */
	assert_int_equal(avail_idx(&t), 5);
	put16(t.used, VIRTQ_USED_F_NO_NOTIFY);
	assert_int_equal(vq_add(&t.q, 0x1000, 64, true, 5), 0);
	assert_false(vq_publish(&t.q)); /* published, but the device said not to notify */
	assert_int_equal(avail_idx(&t), 6);
	put16(t.used, 0);
	assert_int_equal(vq_add(&t.q, 0x1000, 64, true, 6), 0);
	assert_true(vq_publish(&t.q));
	assert_int_equal(avail_idx(&t), 7);
	/* Interrupt suppression is the driver's flag in the avail ring. */
	vq_interrupts(&t.q, false);
	assert_int_equal(le16(t.avail), VIRTQ_AVAIL_F_NO_INTERRUPT);
	vq_interrupts(&t.q, true);
	assert_int_equal(le16(t.avail), 0);
	tq_close(&t);
}

/* The chained form: head readable and linked, tail writable; one used
 * entry frees both; the writable length bounds the used length. */
static void test_chain(void **state)
{
	(void)state;
	struct tq t;
	tq_open(&t, 4);
	assert_int_equal(vq_add2(&t.q, 0x5000, 4, 0x5004, 1, 77), 0);
	assert_int_equal(vq_free_count(&t.q), 2);
	assert_true(vq_publish(&t.q));
	int head = dev_take(&t);
	assert_true(head >= 0);
	assert_int_equal(desc_flags(&t, head), VIRTQ_DESC_F_NEXT);
	assert_int_equal(desc_addr(&t, head), 0x5000);
	assert_int_equal(desc_len(&t, head), 4);
	unsigned tail = desc_next(&t, head);
	assert_true(tail < 4 && tail != (unsigned)head);
	assert_int_equal(desc_flags(&t, tail), VIRTQ_DESC_F_WRITE);
	assert_int_equal(desc_addr(&t, tail), 0x5004);
	assert_int_equal(desc_len(&t, tail), 1);
	uint32_t c = 0, l = 9;
	dev_used(&t, tail, 1); /* naming the tail is not naming the buffer */
	assert_int_equal(vq_get_used(&t.q, &c, &l), -HK_ERANGE);
	assert_int_equal(t.q.errors[VQ_ERR_NOT_INFLIGHT], 1);
	dev_used(&t, (unsigned)head, 2); /* longer than the writable part */
	assert_int_equal(vq_get_used(&t.q, &c, &l), -HK_EBADPKT);
	assert_int_equal(c, 77);
	assert_int_equal(l, 9);
	assert_int_equal(vq_free_count(&t.q), 4);
	assert_int_equal(t.q.errors[VQ_ERR_LEN], 1);
	/* Again, answered properly. */
	assert_int_equal(vq_add2(&t.q, 0x5000, 4, 0x5004, 1, 78), 0);
	assert_true(vq_publish(&t.q));
	head = dev_take(&t);
	dev_used(&t, (unsigned)head, 1);
	assert_int_equal(vq_get_used(&t.q, &c, &l), 1);
	assert_int_equal(c, 78);
	assert_int_equal(l, 1);
	assert_int_equal(vq_free_count(&t.q), 4);
	tq_close(&t);
}

/*
 * The test's record of every cookie: posted (outstanding) or returned,
 * and what the device reported for it. Cookies are handed out in order,
 * and each buffer's address carries its cookie so the device knows it.
 */
#define NCOOKIES (1u << 20)
struct model {
	uint8_t *state; /* 0 never posted, 1 outstanding, 2 returned */
	uint32_t *len;  /* posted length */
	uint8_t *writes;
	uint32_t next, out;
};

static void model_open(struct model *m)
{
	m->state = calloc(NCOOKIES, 1);
	m->len = calloc(NCOOKIES, sizeof(uint32_t));
	m->writes = calloc(NCOOKIES, 1);
	assert_true(m->state && m->len && m->writes);
	m->next = 1;
	m->out = 0;
}

static void model_close(struct model *m)
{
	free(m->state);
	free(m->len);
	free(m->writes);
}

static uint64_t cookie_pa(uint32_t c) { return (uint64_t)c << 12 | 0x66; }

/* Add a random buffer if there is room; check vq_add's answer. */
static void model_add(struct model *m, struct tq *t)
{
	uint32_t c = m->next;
	uint32_t len = 1 + rndn(4096);
	bool w = rnd() & 1;
	int r = vq_add(&t->q, cookie_pa(c), len, w, c);
	if (m->out == t->size) {
		assert_int_equal(r, -HK_ENOBUFS);
		return;
	}
	assert_int_equal(r, 0);
	assert_true(c < NCOOKIES);
	m->next++;
	m->out++;
	m->state[c] = 1;
	m->len[c] = len;
	m->writes[c] = w;
}

/*
 * Check one harvest result against the model and against the used entry
 * it consumed (the one before the driver's position): the cookie is the
 * one posted with that entry's descriptor, the length the entry's (0 for
 * a device-readable buffer), refused when longer than posted. Returns
 * vq_get_used's code; *id_out is the descriptor id of a returned buffer.
 */
static int model_harvest(struct model *m, struct tq *t, uint32_t *id_out)
{
	uint32_t c = 0xdeadbeef, l = 0xdeadbeef;
	int r = vq_get_used(&t->q, &c, &l);
	if (r != 1 && r != -HK_EBADPKT) {
		assert_int_equal(c, 0xdeadbeef);
		assert_int_equal(l, 0xdeadbeef);
		assert_int_equal(vq_inflight(&t->q), m->out);
		return r;
	}
	assert_true(c < NCOOKIES);
	assert_int_equal(m->state[c], 1); /* posted, not yet returned */
	m->state[c] = 2;
	m->out--;
	const uint8_t *e = t->used + 4 + 8 * ((uint16_t)(t->q.last_used - 1) & (t->size - 1));
	uint32_t id = le32(e), ulen = le32(e + 4);
	assert_true(id < t->size);
	assert_int_equal(desc_addr(t, id), cookie_pa(c));
	bool too_long = m->writes[c] && ulen > m->len[c];
	assert_int_equal(r, too_long ? -HK_EBADPKT : 1);
	assert_int_equal(l, too_long ? 0xdeadbeef : m->writes[c] ? ulen : 0);
	*id_out = id;
	assert_int_equal(vq_inflight(&t->q), m->out);
	assert_int_equal(vq_free_count(&t->q) + vq_inflight(&t->q), t->size);
	return r;
}

/* The device's buffers: taken from the avail ring, not yet used. */
struct held {
	uint16_t id[VQ_MAX_SIZE];
	unsigned n;
};

static void held_drop(struct held *h, uint16_t id)
{
	for (unsigned k = 0; k < h->n; k++)
		if (h->id[k] == id)
			h->id[k] = h->id[--h->n];
}

static void dev_take_all(struct tq *t, struct held *h)
{
	int id;
	while ((id = dev_take(t)) >= 0) {
		assert_true(h->n < t->size);
		h->id[h->n++] = (uint16_t)id;
	}
}

/* Complete held buffer i (the device reads the cookie from its address)
 * with a length no larger than posted. */
static void dev_complete(struct model *m, struct tq *t, struct held *h, unsigned i)
{
	unsigned id = h->id[i];
	h->id[i] = h->id[--h->n];
	uint32_t c = (uint32_t)(desc_addr(t, id) >> 12);
	assert_int_equal(desc_addr(t, id), cookie_pa(c));
	assert_int_equal(desc_len(t, id), m->len[c]);
	assert_int_equal(desc_flags(t, id), m->writes[c] ? VIRTQ_DESC_F_WRITE : 0);
	dev_used(t, id, m->writes[c] ? rndn(m->len[c] + 1) : (uint32_t)rnd());
}

/* A queue, the test's model of it and the device's held buffers. */
struct sim {
	struct tq t;
	struct model m;
	struct held h;
};

static void sim_open(struct sim *s, unsigned size)
{
	tq_open(&s->t, size);
	model_open(&s->m);
	s->h.n = 0;
}

/* Up to a ring's worth of random adds, published if publish; the device
 * takes whatever is published. */
static void sim_adds(struct sim *s, bool publish)
{
	unsigned adds = rndn(s->t.size + 1);
	for (unsigned i = 0; i < adds; i++)
		model_add(&s->m, &s->t);
	if (publish)
		vq_publish(&s->t.q);
	dev_take_all(&s->t, &s->h);
}

/* Harvest what is pending, let the device return the rest honestly,
 * harvest that: every posted buffer is back, every descriptor free. */
static void sim_close(struct sim *s)
{
	uint32_t id;
	while (model_harvest(&s->m, &s->t, &id) != 0)
		;
	vq_publish(&s->t.q);
	dev_take_all(&s->t, &s->h);
	while (s->h.n)
		dev_complete(&s->m, &s->t, &s->h, rndn(s->h.n));
	while (model_harvest(&s->m, &s->t, &id) != 0)
		;
	assert_int_equal(s->m.out, 0);
	assert_int_equal(vq_free_count(&s->t.q), s->t.size);
	model_close(&s->m);
	tq_close(&s->t);
}

/* Random adds, batch publishes, out-of-order completions and harvests
 * by an honest device: every buffer back once with its length, through
 * several wraps of the 16-bit indices. */
static void model_run(unsigned size, unsigned buffers)
{
	struct sim s;
	uint32_t id;
	sim_open(&s, size);
	while (s.m.next <= buffers) {
		sim_adds(&s, rndn(4));
		unsigned done = s.h.n ? rndn(s.h.n + 1) : 0;
		for (unsigned i = 0; i < done; i++)
			dev_complete(&s.m, &s.t, &s.h, rndn(s.h.n));
		unsigned harvests = rndn(size + 2);
		for (unsigned i = 0; i < harvests; i++)
			assert_true(model_harvest(&s.m, &s.t, &id) >= 0);
	}
	for (unsigned k = 0; k < VQ_ERR_KINDS; k++)
		assert_int_equal(s.t.q.errors[k], 0);
	sim_close(&s);
}

static void test_model(void **state)
{
	(void)state;
	rng_state = 0x1234567;
	model_run(1, 140000);
	model_run(2, 140000);
	model_run(16, 200000);
	model_run(256, 300000);
}

/*
 * Every used id (in range and out) against every slot state, with lengths
 * around the posted one, each from the same starting state:
 *   id 0: device-writable, 100 bytes, published   id 1: readable, published
 *   id 2+3: a chain (4 out, 1 in), published       id 4: added, unpublished
 *   ids 5-7: free
 */
static void start_state(struct tq *t)
{
	tq_open(t, 8);
	assert_int_equal(vq_add(&t->q, 0x10000, 100, true, 1000), 0);
	assert_int_equal(vq_add(&t->q, 0x20000, 50, false, 1001), 0);
	assert_int_equal(vq_add2(&t->q, 0x30000, 4, 0x30004, 1, 1002), 0);
	vq_publish(&t->q);
	assert_int_equal(vq_add(&t->q, 0x40000, 100, true, 1004), 0);
	for (unsigned i = 0; i < 3; i++)
		assert_true(dev_take(t) >= 0);
	assert_int_equal(vq_free_count(&t->q), 3);
}

static void test_each_used_entry(void **state)
{
	(void)state;
	static const uint32_t ids[] = {0, 1, 2,   3,   4,     5,     6,          7,
	                               8, 9, 255, 256, 65535, 65536, 0x7fffffff, 0xffffffff};
	static const uint32_t lens[] = {0, 1, 2, 99, 100, 101, 4096, 0xffffffff};
	for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		for (unsigned j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
			uint32_t id = ids[i], len = lens[j];
			struct tq t;
			start_state(&t);
			dev_used(&t, id, len);
			uint32_t c = 7, l = 7;
			int r = vq_get_used(&t.q, &c, &l);
			unsigned freed = 0;
			if (id >= 8) {
				assert_int_equal(r, -HK_ERANGE);
				assert_int_equal(t.q.errors[VQ_ERR_ID_RANGE], 1);
			} else if (id >= 3) { /* tail, unpublished, free */
				assert_int_equal(r, -HK_ERANGE);
				assert_int_equal(t.q.errors[VQ_ERR_NOT_INFLIGHT], 1);
			} else {
				uint32_t max = id == 0 ? 100 : id == 1 ? 0xffffffff : 1;
				assert_int_equal(r, len <= max ? 1 : -HK_EBADPKT);
				assert_int_equal(c, 1000 + id);
				assert_int_equal(t.q.errors[VQ_ERR_LEN], len > max);
				if (r == 1)
					assert_int_equal(l, id == 1 ? 0 : len);
				freed = id == 2 ? 2 : 1;
			}
			if (r == -HK_ERANGE) {
				assert_int_equal(c, 7);
				assert_int_equal(l, 7);
			}
			assert_int_equal(vq_free_count(&t.q), 3 + freed);
			/* Nothing more to harvest; the other buffers come back once each. */
			assert_int_equal(vq_get_used(&t.q, &c, &l), 0);
			vq_publish(&t.q);
			assert_true(dev_take(&t) >= 0); /* id 4 */
			uint32_t back = 0;
			for (uint32_t k = 0; k < 5; k++)
				if (k != 3 && (k != id || id >= 3))
					dev_used(&t, k, 1);
			while (vq_get_used(&t.q, &c, &l) == 1) {
				assert_true(c >= 1000 && c <= 1004);
				assert_false(back & 1u << (c - 1000));
				back |= 1u << (c - 1000);
			}
			/* 1000, 1001, 1002 and 1004, less the one returned above. */
			assert_int_equal(back, 0x17u & ~(id < 3 ? 1u << id : 0));
			assert_int_equal(vq_free_count(&t.q), 8);
			tq_close(&t);
		}
	}
}

/* Duplicates, and buffers never posted, never come back. */
static void test_duplicates(void **state)
{
	(void)state;
	struct tq t;
	start_state(&t);
	uint32_t c, l;
	dev_used(&t, 0, 10);
	dev_used(&t, 0, 10);
	dev_used(&t, 0, 10);
	assert_int_equal(vq_get_used(&t.q, &c, &l), 1);
	assert_int_equal(c, 1000);
	assert_int_equal(vq_get_used(&t.q, &c, &l), -HK_ERANGE);
	assert_int_equal(vq_get_used(&t.q, &c, &l), -HK_ERANGE);
	assert_int_equal(t.q.errors[VQ_ERR_NOT_INFLIGHT], 2);
	assert_int_equal(vq_get_used(&t.q, &c, &l), 0);
	assert_int_equal(vq_inflight(&t.q), 4); /* 1, the chain's 2, and 4 */
	tq_close(&t);
}

/* used->idx further ahead than the buffers the device holds: refused
 * without consuming anything, counted per look, and the queue recovers
 * when the index is right again. */
static void test_idx_ahead(void **state)
{
	(void)state;
	struct tq t;
	start_state(&t); /* the device holds 3 buffers */
	uint32_t c = 7, l = 7;
	static const uint16_t bad[] = {4, 5, 8, 100, 0x8000, 0xffff};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		dev_set_idx(&t, bad[i]);
		assert_int_equal(vq_get_used(&t.q, &c, &l), -HK_ERANGE);
		assert_int_equal(t.q.errors[VQ_ERR_IDX], i + 1);
		assert_int_equal(vq_free_count(&t.q), 3);
		assert_int_equal(c, 7);
	}
	dev_set_idx(&t, 0);
	assert_int_equal(vq_get_used(&t.q, &c, &l), 0);
	dev_used(&t, 1, 0);
	dev_used(&t, 0, 100);
	dev_used(&t, 2, 1);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(vq_get_used(&t.q, &c, &l), 1);
	assert_int_equal(vq_free_count(&t.q), 7);
	/* Now it holds nothing: any advance is ahead. */
	dev_set_idx(&t, 4);
	assert_int_equal(vq_get_used(&t.q, &c, &l), -HK_ERANGE);
	dev_set_idx(&t, 3);
	assert_int_equal(vq_get_used(&t.q, &c, &l), 0);
	tq_close(&t);
}

/* The hostile device writes one used entry: an honest completion, an
 * honest id with any length, or any id (in range or not) with any length.
 * It stays within what the driver will look at (used->idx jumps are
 * separate). */
static void hostile_write(struct sim *s)
{
	struct tq *t = &s->t;
	if ((uint16_t)(t->dev_used - t->q.last_used) >= t->q.dev_owned)
		return;
	unsigned kind = rndn(4);
	if (kind == 0 && s->h.n) {
		dev_complete(&s->m, t, &s->h, rndn(s->h.n));
	} else if (kind == 1 && s->h.n) {
		unsigned k = rndn(s->h.n);
		uint16_t honest = s->h.id[k];
		s->h.id[k] = s->h.id[--s->h.n];
		dev_used(t, honest, (uint32_t)rnd() >> rndn(32));
	} else {
		uint32_t bad = rndn(2 * t->size + 2);
		held_drop(&s->h, (uint16_t)bad);
		dev_used(t, bad, (uint32_t)rnd() >> rndn(32));
	}
}

static uint32_t error_sum(const struct vq *q)
{
	uint32_t n = 0;
	for (unsigned k = 0; k < VQ_ERR_KINDS; k++)
		n += q->errors[k];
	return n;
}

/* Harvest once against the model; each error return counted exactly
 * once. A returned buffer whose id the device still holds (an entry lied
 * about it) could now only come back as a stale duplicate: forget it.
 * Returns vq_get_used's code. */
static int hostile_harvest(struct sim *s)
{
	uint32_t before = error_sum(&s->t.q), id;
	int r = model_harvest(&s->m, &s->t, &id);
	assert_int_equal(error_sum(&s->t.q) - before, r < 0);
	if (r == 1 || r == -HK_EBADPKT)
		held_drop(&s->h, (uint16_t)id);
	return r;
}

/*
 * A hostile device: between honest completions it writes used entries
 * with random ids and lengths, overlong lengths, and jumps of used->idx
 * beyond what it holds (a jump within that is a lie no driver can see
 * through: stale entries look real). Whatever it does, no cookie comes
 * back twice or unposted, the counts stay consistent, each error return
 * is counted once, and the queue drains once the device behaves.
 */
static void test_hostile_random(void **state)
{
	(void)state;
	rng_state = 0xfeedface;
	static const unsigned sizes[] = {1, 4, 32, 256};
	for (unsigned i = 0; i < 4; i++) {
		struct sim s;
		sim_open(&s, sizes[i]);
		for (unsigned step = 0; step < 60000; step++) {
			sim_adds(&s, true);
			for (unsigned w = rndn(4); w; w--)
				hostile_write(&s);
			bool jump = !rndn(50);
			if (jump)
				dev_set_idx(&s.t, (uint16_t)(s.t.q.last_used + s.t.q.dev_owned + 1 +
				                             rndn(60000)));
			for (unsigned h = rndn(sizes[i] + 3); h && hostile_harvest(&s); h--)
				;
			if (jump)
				dev_set_idx(&s.t, s.t.dev_used);
		}
		/* Every kind happened (with one entry, its id is always in flight). */
		const uint32_t *err = s.t.q.errors;
		assert_true(error_sum(&s.t.q) > 1000);
		assert_true(err[VQ_ERR_ID_RANGE] && err[VQ_ERR_LEN] && err[VQ_ERR_IDX]);
		assert_true(sizes[i] == 1 || err[VQ_ERR_NOT_INFLIGHT]);
		sim_close(&s);
	}
}

static void test_err_names(void **state)
{
	(void)state;
	for (unsigned k = 0; k < VQ_ERR_KINDS; k++) {
		assert_non_null(vq_err_name(k));
		assert_string_not_equal(vq_err_name(k), "?");
	}
	assert_string_equal(vq_err_name(VQ_ERR_KINDS), "?");
	assert_string_equal(vq_err_name(~0u), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_refusals),   cmocka_unit_test(test_init_sizes),
	    cmocka_unit_test(test_add_and_full),    cmocka_unit_test(test_publish),
	    cmocka_unit_test(test_chain),           cmocka_unit_test(test_model),
	    cmocka_unit_test(test_each_used_entry), cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_idx_ahead),       cmocka_unit_test(test_hostile_random),
	    cmocka_unit_test(test_err_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
