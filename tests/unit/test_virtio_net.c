// SPDX-License-Identifier: BSD-2-Clause
/*
 * virtio-net over virtio-mmio (drivers/virtio/net.c, mmio.c) on the host
 * against a fake device written here: a register file that checks every
 * access (32-bit control registers, natural-width config fields, the
 * order the spec allows: features only between DRIVER and FEATURES_OK,
 * queues only before DRIVER_OK, no notification before DRIVER_OK, status
 * bits never taken back) and that processes the split rings in host
 * memory (PA == VA). Ring and packet pages are exact 4 KiB blocks.
 *
 * Covered: probe refusals; the init sequence (status writes, negotiated
 * bits with every other bit offered, config, queue programming, MQ and
 * its control command); every failing step, each setting FAILED with
 * the right reason; RX and TX round trips wrapping the rings' 16-bit
 * indices, every byte checked; notify and interrupt suppression; device
 * misbehaviour on RX and TX, each counted, no page ever returned twice
 * or unposted; interrupt acknowledgement, link state, argument checks,
 * reset; and the real MMIO bus's access widths and byte order.
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
#include <virtio/vnet.h>

#include "rng.h"
#include "virtio_ref.h"

#define BIT(n) (1ull << (n))

/* ---- The fake device ---- */

#define FQ 20 /* queues the fake has */

struct fq {
	uint32_t max, num, ready;
	uint64_t desc, avail, used;
	uint16_t last_avail, used_idx;
};

struct fake {
	uint32_t magic, version, device_id;
	uint64_t offered, accepted;
	uint32_t dfsel, drvsel, qsel, status, int_status, gen;
	uint8_t config[12];
	unsigned gen_unstable; /* config reads that still change the generation */
	unsigned cfg_reads;    /* bit per config byte offset read */
	bool refuse_features, reset_stuck, sticky_ready0, needs_reset;
	struct fq q[FQ];
	uint32_t log[32]; /* status writes */
	unsigned nlog, writes, acks;
	unsigned notifies[FQ];
	unsigned ctrl_q; /* FQ: none */
	uint8_t ctrl_ack;
	bool ctrl_silent;
	uint32_t ctrl_used_id; /* ~0u: the honest head id */
	unsigned ctrl_cmds;
	uint8_t ctrl_class, ctrl_cmd;
	uint16_t ctrl_pairs;
	bool tx_on_notify;
	void (*on_tx)(struct fake *f, const uint8_t *frame, uint32_t len);
	void *test;
};

static void fake_reset(struct fake *f)
{
	f->status = f->reset_stuck ? VIO_STATUS_NEEDS_RESET : 0;
	f->accepted = 0;
	f->int_status = 0;
	for (unsigned i = 0; i < FQ; i++) {
		struct fq *q = &f->q[i];
		q->ready = i == 0 && f->sticky_ready0;
		q->num = 0;
		q->desc = q->avail = q->used = 0;
		q->last_avail = q->used_idx = 0;
	}
}

/* A modern net device offering features, MAC 52:54:00:12:34:56, link
 * up, one pair (or max_pairs with MQ), MTU 1500, 256-entry queues. */
static void fake_init(struct fake *f, uint64_t offered, uint16_t max_pairs)
{
	memset(f, 0, sizeof(*f));
	f->magic = VIO_MMIO_MAGIC;
	f->version = 2;
	f->device_id = VIRTIO_ID_NET;
	f->offered = offered;
	static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
	memcpy(f->config, mac, 6);
	put16(f->config + 6, VIRTIO_NET_S_LINK_UP);
	put16(f->config + 8, max_pairs);
	put16(f->config + 10, 1500);
	for (unsigned i = 0; i < FQ; i++)
		f->q[i].max = 256;
	f->ctrl_q = (offered & BIT(VIRTIO_NET_F_MQ)) ? 2u * max_pairs : FQ;
	f->ctrl_used_id = ~0u;
	fake_reset(f);
}

static uint32_t fake_cfg_read(struct fake *f, uint32_t off, unsigned width)
{
	/* mac[6] bytes, then le16 status, max_virtqueue_pairs, mtu */
	unsigned want = off < 6 ? 1 : 2;
	if (width != want || off % width || off + width > sizeof(f->config))
		fail_msg("config read at %u, width %u", off, width);
	f->cfg_reads |= (width == 2 ? 3u : 1u) << off;
	if (f->gen_unstable) {
		f->gen_unstable--;
		f->gen++;
	}
	return width == 1 ? f->config[off] : le16(f->config + off);
}

static uint32_t fake_read(void *ctx, uint32_t off, unsigned width)
{
	struct fake *f = ctx;
	if (off >= VIO_MMIO_CONFIG)
		return fake_cfg_read(f, off - VIO_MMIO_CONFIG, width);
	if (width != 4 || off % 4)
		fail_msg("register 0x%x read with width %u", off, width);
	struct fq *q = &f->q[f->qsel < FQ ? f->qsel : 0];
	switch (off) {
	case VIO_MMIO_MAGIC_VALUE: return f->magic;
	case VIO_MMIO_VERSION: return f->version;
	case VIO_MMIO_DEVICE_ID: return f->device_id;
	case VIO_MMIO_VENDOR_ID: return 0x554d4551;
	case VIO_MMIO_DEVICE_FEATURES:
		return f->dfsel == 0   ? (uint32_t)f->offered
		       : f->dfsel == 1 ? (uint32_t)(f->offered >> 32)
		                       : 0;
	case VIO_MMIO_QUEUE_NUM_MAX: return f->qsel < FQ ? q->max : 0;
	case VIO_MMIO_QUEUE_READY: return f->qsel < FQ ? q->ready : 0;
	case VIO_MMIO_INT_STATUS: return f->int_status;
	case VIO_MMIO_STATUS: return f->status;
	case VIO_MMIO_CONFIG_GEN: return f->gen;
	}
	fail_msg("read of register 0x%x", off);
	return 0;
}

/* Device side of the rings. */
static bool fq_pop(struct fake *f, unsigned qi, uint16_t *id)
{
	struct fq *q = &f->q[qi];
	uint8_t *avail = dma(q->avail);
	if (q->last_avail == le16(avail + 2))
		return false;
	*id = le16(avail + 4 + 2 * (q->last_avail & (q->num - 1)));
	q->last_avail++;
	assert_true(*id < q->num);
	return true;
}

static uint8_t *fq_desc(struct fake *f, unsigned qi, unsigned id)
{
	return dma(f->q[qi].desc) + 16 * id;
}

/* Write a used entry (any id and len) and raise the interrupt unless the
 * driver asked for none. */
static void fq_push(struct fake *f, unsigned qi, uint32_t id, uint32_t len)
{
	struct fq *q = &f->q[qi];
	uint8_t *used = dma(q->used);
	uint8_t *e = used + 4 + 8 * (q->used_idx & (q->num - 1));
	put32(e, id);
	put32(e + 4, len);
	q->used_idx++;
	put16(used + 2, q->used_idx);
	if (!(le16(dma(q->avail)) & VIRTQ_AVAIL_F_NO_INTERRUPT))
		f->int_status |= VIO_INT_USED;
}

static void fq_used_flags(struct fake *f, unsigned qi, uint16_t flags)
{
	put16(dma(f->q[qi].used), flags);
}

/* Transmit everything available on queue qi: one readable descriptor of a
 * zero header and a frame, handed to on_tx; used len 0 (as QEMU). */
static void fake_tx(struct fake *f, unsigned qi)
{
	uint16_t id;
	while (fq_pop(f, qi, &id)) {
		uint8_t *d = fq_desc(f, qi, id);
		uint32_t len = le32(d + 8);
		assert_int_equal(le16(d + 12), 0); /* readable, alone */
		assert_true(len >= VNET_HDR_LEN + VNET_ETH_HDR);
		static const uint8_t zero[VNET_HDR_LEN];
		assert_memory_equal(dma(le64(d)), zero, VNET_HDR_LEN);
		if (f->on_tx)
			f->on_tx(f, dma(le64(d)) + VNET_HDR_LEN, len - VNET_HDR_LEN);
		fq_push(f, qi, id, 0);
	}
}

/* Receive frame[0..len) into the next RX buffer of queue qi: header
 * (num_buffers 1) then the frame. false when no buffer is posted. */
static bool fake_rx(struct fake *f, unsigned qi, const uint8_t *frame, uint32_t len)
{
	uint16_t id;
	if (!fq_pop(f, qi, &id))
		return false;
	uint8_t *d = fq_desc(f, qi, id);
	assert_int_equal(le16(d + 12), VIRTQ_DESC_F_WRITE);
	assert_true(le32(d + 8) >= VNET_HDR_LEN + len);
	uint8_t *buf = dma(le64(d));
	memset(buf, 0, VNET_HDR_LEN);
	put16(buf + 10, 1);
	memcpy(buf + VNET_HDR_LEN, frame, len);
	fq_push(f, qi, id, VNET_HDR_LEN + len);
	return true;
}

/* The control queue: a readable command (class, command, le16) chained to
 * a writable ack byte. */
static void fake_ctrl(struct fake *f)
{
	unsigned qi = f->ctrl_q;
	uint16_t id;
	assert_true(fq_pop(f, qi, &id));
	uint8_t *d = fq_desc(f, qi, id);
	assert_int_equal(le16(d + 12), VIRTQ_DESC_F_NEXT);
	assert_int_equal(le32(d + 8), 4);
	const uint8_t *cmd = dma(le64(d));
	f->ctrl_cmds++;
	f->ctrl_class = cmd[0];
	f->ctrl_cmd = cmd[1];
	f->ctrl_pairs = le16(cmd + 2);
	uint8_t *t = fq_desc(f, qi, le16(d + 14));
	assert_int_equal(le16(t + 12), VIRTQ_DESC_F_WRITE);
	assert_int_equal(le32(t + 8), 1);
	if (f->ctrl_silent)
		return;
	*dma(le64(t)) = f->ctrl_ack;
	fq_push(f, qi, f->ctrl_used_id == ~0u ? id : f->ctrl_used_id, 1);
}

static void fake_status(struct fake *f, uint32_t v)
{
	assert_true(f->nlog < 32);
	f->log[f->nlog++] = v;
	if (v == 0) {
		fake_reset(f);
		return;
	}
	/* The driver's bits are only added (FEATURES_OK may have been refused). */
	uint32_t driver_bits = f->status & ~VIO_STATUS_NEEDS_RESET;
	assert_int_equal(v & driver_bits, driver_bits);
	if ((v & VIO_STATUS_FEATURES_OK) && !(f->status & VIO_STATUS_FEATURES_OK)) {
		assert_int_equal(f->accepted & ~f->offered, 0);
		if (f->refuse_features)
			v &= ~VIO_STATUS_FEATURES_OK;
	}
	if ((v & VIO_STATUS_DRIVER_OK) && f->needs_reset)
		v |= VIO_STATUS_NEEDS_RESET;
	f->status = v;
}

static void fake_queue_write(struct fake *f, uint32_t off, uint32_t v)
{
	assert_true(f->qsel < FQ);
	struct fq *q = &f->q[f->qsel];
	assert_false(f->status & VIO_STATUS_DRIVER_OK);
	assert_true(f->status & VIO_STATUS_FEATURES_OK);
	assert_int_equal(q->ready, 0);
	switch (off) {
	case VIO_MMIO_QUEUE_NUM:
		assert_true(v && v <= q->max && !(v & (v - 1)));
		q->num = v;
		return;
	case VIO_MMIO_QUEUE_DESC_LO: q->desc = (q->desc >> 32 << 32) | v; return;
	case VIO_MMIO_QUEUE_DESC_HI: q->desc = (uint32_t)q->desc | (uint64_t)v << 32; return;
	case VIO_MMIO_QUEUE_AVAIL_LO: q->avail = (q->avail >> 32 << 32) | v; return;
	case VIO_MMIO_QUEUE_AVAIL_HI: q->avail = (uint32_t)q->avail | (uint64_t)v << 32; return;
	case VIO_MMIO_QUEUE_USED_LO: q->used = (q->used >> 32 << 32) | v; return;
	case VIO_MMIO_QUEUE_USED_HI: q->used = (uint32_t)q->used | (uint64_t)v << 32; return;
	case VIO_MMIO_QUEUE_READY:
		assert_int_equal(v, 1);
		assert_true(q->num && q->desc && q->avail && q->used);
		q->ready = 1;
		return;
	}
}

static void fake_notify(struct fake *f, uint32_t v)
{
	assert_true(f->status & VIO_STATUS_DRIVER_OK);
	assert_true(v < FQ && f->q[v].ready);
	f->notifies[v]++;
	if (v == f->ctrl_q)
		fake_ctrl(f);
	else if ((v & 1) && f->tx_on_notify)
		fake_tx(f, v);
}

static void fake_write(void *ctx, uint32_t off, unsigned width, uint32_t v)
{
	struct fake *f = ctx;
	f->writes++;
	if (width != 4 || off % 4 || off >= VIO_MMIO_CONFIG)
		fail_msg("register 0x%x written with width %u", off, width);
	switch (off) {
	case VIO_MMIO_DEVICE_FEAT_SEL: f->dfsel = v; return;
	case VIO_MMIO_DRIVER_FEAT_SEL: f->drvsel = v; return;
	case VIO_MMIO_DRIVER_FEATURES:
		assert_true(f->status & VIO_STATUS_DRIVER);
		assert_false(f->status & VIO_STATUS_FEATURES_OK);
		assert_true(f->drvsel < 2);
		if (f->drvsel == 0)
			f->accepted = (f->accepted >> 32 << 32) | v;
		else
			f->accepted = (uint32_t)f->accepted | (uint64_t)v << 32;
		return;
	case VIO_MMIO_QUEUE_SEL: f->qsel = v; return;
	case VIO_MMIO_QUEUE_NUM:
	case VIO_MMIO_QUEUE_DESC_LO:
	case VIO_MMIO_QUEUE_DESC_HI:
	case VIO_MMIO_QUEUE_AVAIL_LO:
	case VIO_MMIO_QUEUE_AVAIL_HI:
	case VIO_MMIO_QUEUE_USED_LO:
	case VIO_MMIO_QUEUE_USED_HI:
	case VIO_MMIO_QUEUE_READY: fake_queue_write(f, off, v); return;
	case VIO_MMIO_QUEUE_NOTIFY: fake_notify(f, v); return;
	case VIO_MMIO_INT_ACK:
		f->acks++;
		f->int_status &= ~v;
		return;
	case VIO_MMIO_STATUS: fake_status(f, v); return;
	}
	fail_msg("write of register 0x%x", off);
}

/* ---- Pages from the "kernel" ---- */

#define MAXPAGES 64
struct pages {
	uint8_t *p[MAXPAGES];
	unsigned n;
	unsigned fail_at; /* the call that fails (0: none) */
	bool misalign;
};

static int ring_page(void *ctx, struct vio_mem *out)
{
	struct pages *ps = ctx;
	if (ps->n + 1 == ps->fail_at)
		return -HK_ENOMEM;
	assert_true(ps->n < MAXPAGES);
	uint8_t *p = block_alloc(4096);
	ps->p[ps->n++] = p;
	out->va = p + (ps->misalign ? 64 : 0);
	out->pa = pa_of(p) + (ps->misalign ? 64 : 0);
	return 0;
}

/* ---- Fixture ---- */

struct env {
	struct fake f;
	struct pages pg;
	struct vio_bus bus;
	struct vnet_config cfg;
	struct vnet v;
};

static int env_setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	assert_non_null(e);
	e->bus = (struct vio_bus){fake_read, fake_write, &e->f};
	e->cfg = (struct vnet_config){.qsize = 256,
	                              .pairs = 1,
	                              .mac = {0x02, 0, 0, 0, 0, 0x99},
	                              .ring_page = ring_page,
	                              .ctx = &e->pg};
	fake_init(&e->f, BIT(VIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS),
	          1);
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *e = *state;
	for (unsigned i = 0; i < e->pg.n; i++)
		free(e->pg.p[i]);
	free(e);
	return 0;
}

static void assert_log(const struct fake *f, const uint32_t *want, unsigned n)
{
	assert_int_equal(f->nlog, n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(f->log[i], want[i]);
}
#define ASSERT_LOG(f, ...)                                                                         \
	do {                                                                                       \
		static const uint32_t want_[] = {__VA_ARGS__};                                     \
		assert_log((f), want_, sizeof(want_) / sizeof(want_[0]));                          \
	} while (0)

/* ---- Probe ---- */

static void test_probe(void **state)
{
	struct env *e = *state;
	static const struct {
		uint32_t magic, version, id;
		enum vio_err why;
		int code;
	} cases[] = {
	    {VIO_MMIO_MAGIC, 2, 1, VIO_ERR_OK, 0},
	    {0, 2, 1, VIO_ERR_MAGIC, -HK_ENOENT},
	    {0x76697274, 2, 1, VIO_ERR_MAGIC, -HK_ENOENT}, /* byte-swapped */
	    {0xffffffff, 2, 1, VIO_ERR_MAGIC, -HK_ENOENT},
	    {VIO_MMIO_MAGIC, 1, 1, VIO_ERR_LEGACY, -HK_EINVAL},
	    {VIO_MMIO_MAGIC, 0, 1, VIO_ERR_VERSION, -HK_EINVAL},
	    {VIO_MMIO_MAGIC, 3, 1, VIO_ERR_VERSION, -HK_EINVAL},
	    {VIO_MMIO_MAGIC, 2, 0, VIO_ERR_EMPTY, -HK_ENOENT},
	    {VIO_MMIO_MAGIC, 2, 2, VIO_ERR_DEVICE_ID, -HK_ENOENT}, /* block */
	    {VIO_MMIO_MAGIC, 2, 4, VIO_ERR_DEVICE_ID, -HK_ENOENT}, /* entropy */
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e->f.magic = cases[i].magic;
		e->f.version = cases[i].version;
		e->f.device_id = cases[i].id;
		e->f.writes = 0;
		enum vio_err why = VIO_ERR_COUNT;
		assert_int_equal(vnet_probe(&e->bus, &why), cases[i].code);
		assert_int_equal(why, cases[i].why);
		assert_int_equal(vnet_probe(&e->bus, NULL), cases[i].code);
		assert_int_equal(vio_err_code(why), cases[i].code);
		if (cases[i].why == VIO_ERR_OK)
			continue;
		/* init refuses the same way and never touches the device */
		assert_int_equal(vnet_init(&e->v, &e->bus, &e->cfg), cases[i].code);
		assert_int_equal(e->v.err, cases[i].why);
		assert_int_equal(e->f.writes, 0);
		assert_int_equal(e->pg.n, 0);
	}
	assert_non_null(strstr(vio_err_str(VIO_ERR_LEGACY), "force-legacy=false"));
	for (unsigned i = 0; i < VIO_ERR_COUNT; i++)
		assert_string_not_equal(vio_err_str(i), "?");
	assert_string_equal(vio_err_str(VIO_ERR_COUNT), "?");
	assert_int_equal(vio_err_code(VIO_ERR_COUNT), -HK_EINVAL);
}

/* ---- Initialization ---- */

static uint64_t wanted_bits(void)
{
	return BIT(VIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_MTU) |
	       BIT(VIRTIO_NET_F_STATUS);
}
static const uint64_t mq_bits = BIT(VIRTIO_NET_F_MQ) | BIT(VIRTIO_NET_F_CTRL_VQ);

/* Queue qi programmed with q's rings and size, and ready. */
static void assert_queue(const struct fake *f, unsigned qi, const struct vq *q, unsigned size)
{
	assert_int_equal(f->q[qi].ready, 1);
	assert_int_equal(f->q[qi].num, size);
	assert_int_equal(q->size, size);
	assert_int_equal(f->q[qi].desc, q->desc_pa);
	assert_int_equal(f->q[qi].avail, q->avail_pa);
	assert_int_equal(f->q[qi].used, q->used_pa);
	assert_int_equal(q->desc_pa % 16, 0);
	assert_int_equal(q->used_pa % 4, 0);
}

/* Every bit but MQ/CTRL_VQ offered (checksum, GSO, MRG_RXBUF, EVENT_IDX,
 * INDIRECT_DESC, RING_PACKED, ACCESS_PLATFORM, ...): exactly ours taken. */
static void test_init_sequence(void **state)
{
	struct env *e = *state;
	fake_init(&e->f, ~0ull & ~mq_bits, 1);
	put16(e->f.config + 10, 1400);
	assert_int_equal(vnet_init(&e->v, &e->bus, &e->cfg), 0);
	ASSERT_LOG(&e->f, 0, 1, 3, 11, 15);
	assert_int_equal(e->f.accepted, wanted_bits());
	assert_int_equal(e->v.features, wanted_bits());
	assert_false(e->f.accepted & (BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM) |
	                              BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO4) |
	                              BIT(VIRTIO_NET_F_MRG_RXBUF)));
	assert_int_equal(e->v.err, VIO_ERR_OK);
	assert_int_equal(e->v.status, 15);
	static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
	assert_memory_equal(e->v.mac, mac, 6);
	assert_int_equal(e->v.mtu, 1400);
	assert_int_equal(e->v.max_pairs, 1);
	assert_int_equal(e->v.pairs, 1);
	assert_int_equal(e->v.rx_min, 12 + 14 + 1400);
	assert_queue(&e->f, 0, &e->v.rx[0], 256);
	assert_queue(&e->f, 1, &e->v.tx[0], 256);
	for (unsigned i = 2; i < FQ; i++)
		assert_int_equal(e->f.q[i].ready, 0);
	/* 256 entries: descriptors fill a page, avail + used share one. */
	assert_int_equal(e->pg.n, 4);
	for (unsigned i = 0; i < FQ; i++)
		assert_int_equal(e->f.notifies[i], 0);
	assert_int_equal(e->f.cfg_reads & 0x3f, 0x3f);           /* MAC */
	assert_int_equal(e->f.cfg_reads & (3u << 8), 0);         /* no max_virtqueue_pairs */
	assert_int_equal(e->f.cfg_reads & (3u << 10), 3u << 10); /* MTU */
	assert_true(vnet_link_up(&e->v));
}

/* Neither MAC nor MTU offered: the caller's MAC, MTU 1500, and their
 * config fields never read. MQ or CTRL_VQ alone are not taken. */
static void test_init_defaults(void **state)
{
	struct env *e = *state;
	static const uint64_t extra[] = {0, BIT(VIRTIO_NET_F_MQ), BIT(VIRTIO_NET_F_CTRL_VQ)};
	for (unsigned i = 0; i < 3; i++) {
		fake_init(&e->f, BIT(VIO_F_VERSION_1) | extra[i], 1);
		e->f.ctrl_q = FQ;
		e->cfg.qsize = 8;
		assert_int_equal(vnet_init(&e->v, &e->bus, &e->cfg), 0);
		assert_int_equal(e->f.accepted, BIT(VIO_F_VERSION_1));
		assert_memory_equal(e->v.mac, e->cfg.mac, 6);
		assert_int_equal(e->v.mtu, VNET_MTU_DEF);
		assert_int_equal(e->v.rx_min, 12 + 14 + 1500);
		assert_int_equal(e->f.cfg_reads, 0);
		assert_int_equal(e->v.pairs, 1);
		assert_queue(&e->f, 0, &e->v.rx[0], 8);
		assert_queue(&e->f, 1, &e->v.tx[0], 8);
		assert_int_equal(e->f.q[2].ready, 0);
	}
	/* Small queues share pages: 3 inits of 2 queues of 8 in 3 pages. */
	assert_int_equal(e->pg.n, 3);
}

/* A generation that changes while the config is read: read again. */
static void test_config_generation(void **state)
{
	struct env *e = *state;
	e->f.offered |= BIT(VIRTIO_NET_F_MTU);
	e->f.gen_unstable = 9; /* the first attempts see it change */
	assert_int_equal(vnet_init(&e->v, &e->bus, &e->cfg), 0);
	assert_int_equal(e->v.mtu, 1500);
	assert_int_equal(e->v.mac[5], 0x56);
}

/* Each failing step: its reason, its code, and the status writes up to
 * FAILED. */
struct failure {
	const char *what;
	void (*make)(struct env *e);
	enum vio_err why;
	int code;
	uint32_t last; /* the last status write: the driver's bits | FAILED */
};

static void mk_no_v1(struct env *e) { e->f.offered &= ~BIT(VIO_F_VERSION_1); }
static void mk_refuse(struct env *e) { e->f.refuse_features = true; }
static void mk_reset_stuck(struct env *e) { e->f.reset_stuck = true; }
static void mk_q1_missing(struct env *e) { e->f.q[1].max = 0; }
static void mk_q0_small(struct env *e) { e->f.q[0].max = 128; }
static void mk_q0_ready(struct env *e)
{
	e->f.sticky_ready0 = true;
	fake_reset(&e->f);
}
static void mk_unstable(struct env *e) { e->f.gen_unstable = ~0u; }
static void mk_mtu67(struct env *e)
{
	e->f.offered |= BIT(VIRTIO_NET_F_MTU);
	put16(e->f.config + 10, 67);
}
static void mk_mq(struct env *e, uint16_t max_pairs)
{
	fake_init(&e->f, wanted_bits() | mq_bits, max_pairs);
	e->cfg.pairs = 2;
}
static void mk_pairs0(struct env *e)
{
	mk_mq(e, 1);
	put16(e->f.config + 8, 0);
}
static void mk_pairs_big(struct env *e)
{
	mk_mq(e, 1);
	put16(e->f.config + 8, 0x8001);
}
static void mk_page_none(struct env *e) { e->pg.fail_at = 1; }
static void mk_page_third(struct env *e) { e->pg.fail_at = 3; }
static void mk_page_misaligned(struct env *e) { e->pg.misalign = true; }
static void mk_ctrl_err(struct env *e)
{
	mk_mq(e, 4);
	e->f.ctrl_ack = 1; /* VIRTIO_NET_ERR */
}
static void mk_ctrl_silent(struct env *e)
{
	mk_mq(e, 4);
	e->f.ctrl_silent = true;
}
static void mk_ctrl_bad_id(struct env *e)
{
	mk_mq(e, 4);
	e->f.ctrl_used_id = 9;
}
static void mk_ctrl_missing(struct env *e)
{
	mk_mq(e, 4);
	e->f.q[8].max = 0;
}
static void mk_ctrl_tiny(struct env *e)
{
	mk_mq(e, 4);
	e->f.q[8].max = 1;
}
static void mk_needs_reset(struct env *e) { e->f.needs_reset = true; }

static void test_init_failures(void **state)
{
	struct env *e = *state;
	static const struct failure cases[] = {
	    {"no VERSION_1", mk_no_v1, VIO_ERR_NO_VERSION_1, -HK_EINVAL, 131},
	    {"FEATURES_OK refused", mk_refuse, VIO_ERR_FEATURES_OK, -HK_EINVAL, 139},
	    {"reset stuck", mk_reset_stuck, VIO_ERR_RESET, -HK_ETIMEDOUT, 128},
	    {"queue 1 missing", mk_q1_missing, VIO_ERR_QUEUE_MISSING, -HK_ENOENT, 139},
	    {"queue 0 small", mk_q0_small, VIO_ERR_QUEUE_SMALL, -HK_E2BIG, 139},
	    {"queue 0 ready", mk_q0_ready, VIO_ERR_QUEUE_READY, -HK_EBUSY, 139},
	    {"config unstable", mk_unstable, VIO_ERR_CONFIG_UNSTABLE, -HK_EAGAIN, 139},
	    {"MTU 67", mk_mtu67, VIO_ERR_CONFIG, -HK_EINVAL, 139},
	    {"0 pairs", mk_pairs0, VIO_ERR_CONFIG, -HK_EINVAL, 139},
	    {"0x8001 pairs", mk_pairs_big, VIO_ERR_CONFIG, -HK_EINVAL, 139},
	    {"no page", mk_page_none, VIO_ERR_RING_PAGE, -HK_ENOMEM, 139},
	    {"no third page", mk_page_third, VIO_ERR_RING_PAGE, -HK_ENOMEM, 139},
	    {"misaligned page", mk_page_misaligned, VIO_ERR_RING_PAGE, -HK_ENOMEM, 139},
	    {"ctrl error", mk_ctrl_err, VIO_ERR_CTRL_REFUSED, -HK_EINVAL, 143},
	    {"ctrl silent", mk_ctrl_silent, VIO_ERR_CTRL_TIMEOUT, -HK_ETIMEDOUT, 143},
	    {"ctrl bad id", mk_ctrl_bad_id, VIO_ERR_CTRL_REFUSED, -HK_EINVAL, 143},
	    {"ctrl missing", mk_ctrl_missing, VIO_ERR_QUEUE_MISSING, -HK_ENOENT, 139},
	    {"ctrl tiny", mk_ctrl_tiny, VIO_ERR_QUEUE_SMALL, -HK_E2BIG, 139},
	    {"needs reset", mk_needs_reset, VIO_ERR_NEEDS_RESET, -HK_EAGAIN, 143},
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct failure *c = &cases[i];
		env_teardown(state);
		env_setup(state);
		e = *state;
		c->make(e);
		int r = vnet_init(&e->v, &e->bus, &e->cfg);
		if (r != c->code || e->v.err != c->why)
			fail_msg("%s: %d (%s), want %d", c->what, r, vio_err_str(e->v.err),
			         c->code);
		assert_int_equal(vio_err_code(c->why), c->code);
		/* reset, then each step's bit in order up to the failure, then FAILED */
		uint32_t log[6] = {0}, n = 1;
		static const uint32_t steps[] = {1, 3, 11, 15};
		for (unsigned k = 0; k < 4; k++)
			if ((c->last & steps[k]) == steps[k])
				log[n++] = steps[k];
		log[n++] = c->last;
		assert_log(&e->f, log, n);
	}
}

/* A configuration the library cannot use: refused before touching the device. */
static void test_init_bad_config(void **state)
{
	struct env *e = *state;
	static const unsigned qsizes[] = {0, 3, 12, 255, 257, 512};
	for (unsigned i = 0; i < sizeof(qsizes) / sizeof(qsizes[0]); i++) {
		e->cfg.qsize = qsizes[i];
		assert_int_equal(vnet_init(&e->v, &e->bus, &e->cfg), -HK_EINVAL);
		assert_int_equal(e->v.err, VIO_ERR_ARG);
	}
	e->cfg.qsize = 16;
	e->cfg.pairs = 0;
	assert_int_equal(vnet_init(&e->v, &e->bus, &e->cfg), -HK_EINVAL);
	e->cfg.pairs = 1;
	e->cfg.ring_page = NULL;
	assert_int_equal(vnet_init(&e->v, &e->bus, &e->cfg), -HK_EINVAL);
	assert_int_equal(vnet_init(&e->v, &e->bus, NULL), -HK_EINVAL);
	assert_int_equal(e->f.writes, 0);
	e->cfg.ring_page = ring_page;
	assert_int_equal(vnet_init(&e->v, &e->bus, &e->cfg), 0);
}

/* Multiqueue: as many pairs as wanted, the device and the library allow;
 * the control queue at 2 * max_virtqueue_pairs; VQ_PAIRS_SET after
 * DRIVER_OK (the fake refuses a notification before it). */
static void test_mq(void **state)
{
	struct env *e = *state;
	static const struct {
		uint16_t max, want, pairs;
		uint32_t ctrl_max, ctrl_size;
	} cases[] = {
	    {8, 3, 3, 64, 16}, {8, 10, VNET_MAX_PAIRS, 4, 4}, {2, 4, 2, 2, 2},
	    {1, 1, 1, 3, 2},   {0x8000, 2, 2, 256, 16},
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		env_teardown(state);
		env_setup(state);
		e = *state;
		fake_init(&e->f, wanted_bits() | mq_bits, cases[i].max);
		unsigned ctrl = 2u * cases[i].max;
		if (ctrl < FQ)
			e->f.q[ctrl].max = cases[i].ctrl_max;
		else
			e->f.ctrl_q = FQ; /* beyond the fake's queues */
		e->cfg.pairs = cases[i].want;
		e->cfg.qsize = 32;
		int r = vnet_init(&e->v, &e->bus, &e->cfg);
		if (ctrl >= FQ) { /* the fake has no such queue: QueueNumMax 0 */
			assert_int_equal(r, -HK_ENOENT);
			continue;
		}
		assert_int_equal(r, 0);
		ASSERT_LOG(&e->f, 0, 1, 3, 11, 15);
		assert_int_equal(e->f.accepted, wanted_bits() | mq_bits);
		assert_int_equal(e->v.max_pairs, cases[i].max);
		assert_int_equal(e->v.pairs, cases[i].pairs);
		for (unsigned k = 0; k < cases[i].pairs; k++) {
			assert_queue(&e->f, 2 * k, &e->v.rx[k], 32);
			assert_queue(&e->f, 2 * k + 1, &e->v.tx[k], 32);
		}
		for (unsigned k = 2u * cases[i].pairs; k < FQ; k++)
			assert_int_equal(e->f.q[k].ready, k == ctrl);
		assert_queue(&e->f, ctrl, &e->v.ctrl, cases[i].ctrl_size);
		assert_int_equal(e->f.ctrl_cmds, 1);
		assert_int_equal(e->f.ctrl_class, VIRTIO_NET_CTRL_MQ);
		assert_int_equal(e->f.ctrl_cmd, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET);
		assert_int_equal(e->f.ctrl_pairs, cases[i].pairs);
		assert_int_equal(e->f.notifies[ctrl], 1);
		assert_int_equal(vq_free_count(&e->v.ctrl), cases[i].ctrl_size);
	}
}

/* ---- Data path ---- */

#define NPAGES 300
struct pkt {
	uint8_t *page[NPAGES];
	uint8_t state[NPAGES]; /* 0 with the driver's caller, 1 posted */
};

static void pkt_open(struct pkt *p)
{
	for (unsigned i = 0; i < NPAGES; i++) {
		p->page[i] = block_alloc(4096);
		p->state[i] = 0;
	}
}

static void pkt_close(struct pkt *p)
{
	for (unsigned i = 0; i < NPAGES; i++)
		free(p->page[i]);
}

static void frame_fill(uint8_t *fr, uint32_t len, uint32_t seq)
{
	for (uint32_t i = 0; i < len; i++)
		fr[i] = (uint8_t)(seq * 31 + i * 7 + (i >> 8));
}

static bool frame_ok(const uint8_t *fr, uint32_t len, uint32_t seq)
{
	for (uint32_t i = 0; i < len; i++)
		if (fr[i] != (uint8_t)(seq * 31 + i * 7 + (i >> 8)))
			return false;
	return true;
}

#define RX_OFF (128 - 14 - 12) /* the IPv6 header lands at 128 */

static int init_small(struct env *e, unsigned qsize)
{
	fake_init(&e->f, wanted_bits(), 1);
	e->cfg.qsize = qsize;
	return vnet_init(&e->v, &e->bus, &e->cfg);
}

/* Post page i as an RX buffer at RX_OFF, cookie i. */
static void rx_post(struct env *e, struct pkt *p, unsigned i)
{
	assert_int_equal(p->state[i], 0);
	assert_int_equal(vnet_rx_post(&e->v, 0, pa_of(p->page[i]) + RX_OFF, 4096 - RX_OFF, i), 0);
	p->state[i] = 1;
}

/* Take a returned cookie: it must be one that is posted. */
static void take(struct pkt *p, uint32_t c)
{
	assert_true(c < NPAGES);
	assert_int_equal(p->state[c], 1);
	p->state[c] = 0;
}

/* 70000 frames of random sizes through a 16-entry RX ring, delivered in
 * random batches; every byte checked where it landed; each batch
 * re-posted and kicked once. */
static void test_rx_roundtrip(void **state)
{
	struct env *e = *state;
	struct pkt p;
	pkt_open(&p);
	rng_state = 42;
	assert_int_equal(init_small(e, 16), 0);
	for (unsigned i = 0; i < 16; i++)
		rx_post(e, &p, i);
	assert_int_equal(vnet_rx_post(&e->v, 0, pa_of(p.page[16]) + RX_OFF, 4096 - RX_OFF, 16),
	                 -HK_ENOBUFS);
	assert_int_equal(vnet_rx_kick(&e->v, 0), 1);
	assert_int_equal(e->f.notifies[0], 1);
	static uint8_t frame[1514];
	uint32_t sent = 0, got = 0, expect = 0;
	uint32_t lens[16 * 2];
	unsigned kicks = 1;
	while (got < 70000) {
		unsigned n = 1 + rndn(16);
		for (unsigned i = 0; i < n; i++) {
			uint32_t len = i == 0 ? (rnd() & 1 ? 14 : 1514) : 14 + rndn(1501);
			frame_fill(frame, len, sent);
			if (!fake_rx(&e->f, 0, frame, len))
				break;
			lens[sent % 32] = len;
			sent++;
		}
		assert_int_equal(vnet_irq_ack(&e->bus), VIO_INT_USED);
		assert_int_equal(vnet_irq_ack(&e->bus), 0);
		uint32_t c, flen;
		int r;
		while ((r = vnet_rx(&e->v, 0, &c, &flen)) == 1) {
			take(&p, c);
			assert_int_equal(c, expect); /* the fake fills in order */
			assert_int_equal(flen, lens[got % 32]);
			uint8_t *pg = p.page[c];
			assert_true(frame_ok(pg + RX_OFF + VNET_HDR_LEN, flen, got));
			assert_ptr_equal(pg + RX_OFF + VNET_HDR_LEN + 14, pg + 128);
			assert_int_equal(le16(pg + RX_OFF + 10), 1); /* num_buffers */
			expect = (expect + 1) % 16;
			got++;
			rx_post(e, &p, c);
		}
		assert_int_equal(r, 0);
		assert_int_equal(vnet_rx_kick(&e->v, 0), 1);
		kicks++;
		assert_int_equal(e->f.notifies[0], kicks);
		assert_int_equal(vnet_rx_kick(&e->v, 0), 0); /* nothing new */
	}
	assert_int_equal(got, sent);
	assert_int_equal(vq_free_count(&e->v.rx[0]), 0);
	for (unsigned k = 0; k < VQ_ERR_KINDS; k++)
		assert_int_equal(e->v.rx[0].errors[k], 0);
	assert_int_equal(e->v.rx_short, 0);
	pkt_close(&p);
}

/* TX checks against the order the test sent in. */
struct txq {
	uint32_t seq_sent, seq_seen;
	uint32_t len[512];
};

static void on_tx(struct fake *f, const uint8_t *frame, uint32_t len)
{
	struct txq *t = f->test;
	assert_true(t->seq_seen < t->seq_sent);
	assert_int_equal(len, t->len[t->seq_seen % 512]);
	assert_true(frame_ok(frame, len, t->seq_seen));
	t->seq_seen++;
}

/* Build frame seq in page i: header (dirty, then zeroed) at RX_OFF, frame after. */
static uint64_t tx_build(struct pkt *p, unsigned i, uint32_t len, uint32_t seq)
{
	uint8_t *pg = p->page[i];
	memset(pg + RX_OFF, 0xee, VNET_HDR_LEN);
	vnet_tx_hdr(pg + RX_OFF);
	frame_fill(pg + RX_OFF + VNET_HDR_LEN, len, seq);
	return pa_of(pg + RX_OFF);
}

/* 70000 frames through a 64-entry TX ring in random batches, one kick
 * (one notification) each; the device checks each frame; every page is
 * reaped once. */
static void test_tx_roundtrip(void **state)
{
	struct env *e = *state;
	struct pkt p;
	struct txq t = {0};
	pkt_open(&p);
	rng_state = 7;
	assert_int_equal(init_small(e, 64), 0);
	e->f.tx_on_notify = true;
	e->f.on_tx = on_tx;
	e->f.test = &t;
	unsigned next = 0, kicks = 0;
	while (t.seq_seen < 70000) {
		unsigned n = 1 + rndn(80);
		for (unsigned i = 0; i < n; i++) {
			uint32_t len = 14 + rndn(1501);
			while (p.state[next])
				next = (next + 1) % NPAGES;
			uint64_t pa = tx_build(&p, next, len, t.seq_sent);
			int r = vnet_tx(&e->v, 0, pa, len, next);
			if (r == -HK_ENOBUFS) {
				assert_int_equal(vq_free_count(&e->v.tx[0]), 0);
				break;
			}
			assert_int_equal(r, 0);
			p.state[next] = 1;
			t.len[t.seq_sent % 512] = len;
			t.seq_sent++;
		}
		assert_int_equal(vnet_tx_kick(&e->v, 0), 1);
		kicks++;
		assert_int_equal(e->f.notifies[1], kicks);
		assert_int_equal(t.seq_seen, t.seq_sent);
		uint32_t c;
		unsigned reaped = 0;
		while (vnet_tx_reap(&e->v, 0, &c) == 1) {
			take(&p, c);
			reaped++;
		}
		assert_int_equal(vq_inflight(&e->v.tx[0]), 0);
		assert_true(reaped > 0);
	}
	/* Frame length limits: an Ethernet header at least, header + MTU at most. */
	uint64_t pa = tx_build(&p, 0, 1514, 0);
	assert_int_equal(vnet_tx(&e->v, 0, pa, 13, 0), -HK_EINVAL);
	assert_int_equal(vnet_tx(&e->v, 0, pa, 1515, 0), -HK_EINVAL);
	assert_int_equal(vnet_tx(&e->v, 0, pa, 0, 0), -HK_EINVAL);
	assert_int_equal(vnet_tx(&e->v, 0, pa, 0xffffffff, 0), -HK_EINVAL);
	assert_int_equal(vq_inflight(&e->v.tx[0]), 0);
	pkt_close(&p);
}

/* The device's NO_NOTIFY: buffers still published, no QueueNotify write;
 * one write per batch otherwise. The driver's NO_INTERRUPT: no interrupt. */
static void test_suppression(void **state)
{
	struct env *e = *state;
	struct pkt p;
	struct txq t = {0};
	pkt_open(&p);
	assert_int_equal(init_small(e, 16), 0);
	e->f.on_tx = on_tx;
	e->f.test = &t;
	fq_used_flags(&e->f, 1, VIRTQ_USED_F_NO_NOTIFY);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(vnet_tx(&e->v, 0, tx_build(&p, i, 60, t.seq_sent), 60, i), 0);
		t.len[t.seq_sent++] = 60;
		p.state[i] = 1;
	}
	unsigned writes = e->f.writes;
	assert_int_equal(vnet_tx_kick(&e->v, 0), 0);
	assert_int_equal(e->f.writes, writes);
	assert_int_equal(e->f.notifies[1], 0);
	fake_tx(&e->f, 1); /* the device polls and finds them */
	assert_int_equal(t.seq_seen, 3);
	fq_used_flags(&e->f, 1, 0);
	for (unsigned i = 3; i < 13; i++) {
		assert_int_equal(vnet_tx(&e->v, 0, tx_build(&p, i, 100, t.seq_sent), 100, i), 0);
		t.len[t.seq_sent++] = 100;
		p.state[i] = 1;
	}
	assert_int_equal(vnet_tx_kick(&e->v, 0), 1);
	assert_int_equal(vnet_tx_kick(&e->v, 0), 0);
	assert_int_equal(e->f.notifies[1], 1);
	fake_tx(&e->f, 1);
	assert_int_equal(t.seq_seen, 13);
	uint32_t c;
	for (unsigned i = 0; i < 13; i++) {
		assert_int_equal(vnet_tx_reap(&e->v, 0, &c), 1);
		take(&p, c);
	}
	assert_int_equal(vnet_tx_reap(&e->v, 0, &c), 0);
	/* RX the same way, and with interrupts off the device raises none. */
	fq_used_flags(&e->f, 0, VIRTQ_USED_F_NO_NOTIFY);
	rx_post(e, &p, 20);
	assert_int_equal(vnet_rx_kick(&e->v, 0), 0);
	assert_int_equal(e->f.notifies[0], 0);
	vq_interrupts(&e->v.rx[0], false);
	e->f.int_status = 0;
	static const uint8_t fr[60];
	assert_true(fake_rx(&e->f, 0, fr, sizeof(fr)));
	assert_int_equal(vnet_irq_ack(&e->bus), 0);
	uint32_t flen;
	assert_int_equal(vnet_rx(&e->v, 0, &c, &flen), 1);
	take(&p, c);
	assert_int_equal(c, 20);
	assert_int_equal(flen, 60);
	pkt_close(&p);
}

/*
 * RX misbehaviour: too short for the header, longer than posted, ids out
 * of range, not in flight, duplicated, used->idx ahead. Each counted;
 * pages come back at most once, only posted ones; the queue still works.
 */
static void test_rx_misbehaviour(void **state)
{
	struct env *e = *state;
	struct pkt p;
	pkt_open(&p);
	assert_int_equal(init_small(e, 8), 0);
	for (unsigned i = 0; i < 8; i++)
		rx_post(e, &p, i);
	vnet_rx_kick(&e->v, 0);
	uint16_t id[8];
	for (unsigned i = 0; i < 8; i++)
		assert_true(fq_pop(&e->f, 0, &id[i]));
	uint32_t c = 99, flen = 99;
	/* Shorter than the header: the page is back, nothing delivered. */
	fq_push(&e->f, 0, id[0], 11);
	assert_int_equal(vnet_rx(&e->v, 0, &c, &flen), -HK_EBADPKT);
	take(&p, c);
	assert_int_equal(flen, 99);
	fq_push(&e->f, 0, id[1], 0);
	assert_int_equal(vnet_rx(&e->v, 0, &c, &flen), -HK_EBADPKT);
	take(&p, c);
	assert_int_equal(e->v.rx_short, 2);
	/* Exactly a header: a 0-byte frame (the router counts it a runt). */
	fq_push(&e->f, 0, id[2], 12);
	assert_int_equal(vnet_rx(&e->v, 0, &c, &flen), 1);
	take(&p, c);
	assert_int_equal(flen, 0);
	/* Longer than posted. */
	fq_push(&e->f, 0, id[3], 4096 - RX_OFF + 1);
	flen = 99;
	assert_int_equal(vnet_rx(&e->v, 0, &c, &flen), -HK_EBADPKT);
	take(&p, c);
	assert_int_equal(flen, 99);
	assert_int_equal(e->v.rx[0].errors[VQ_ERR_LEN], 1);
	/* Exactly as long as posted is fine. */
	fq_push(&e->f, 0, id[4], 4096 - RX_OFF);
	assert_int_equal(vnet_rx(&e->v, 0, &c, &flen), 1);
	take(&p, c);
	assert_int_equal(flen, 4096 - RX_OFF - 12);
	/* Out of range, a returned one again, never posted ones. */
	c = 99;
	fq_push(&e->f, 0, 8, 100);
	fq_push(&e->f, 0, 0xffffffff, 100);
	fq_push(&e->f, 0, id[4], 100);
	assert_int_equal(vnet_rx(&e->v, 0, &c, &flen), -HK_ERANGE);
	assert_int_equal(vnet_rx(&e->v, 0, &c, &flen), -HK_ERANGE);
	assert_int_equal(vnet_rx(&e->v, 0, &c, &flen), -HK_ERANGE);
	assert_int_equal(c, 99);
	assert_int_equal(e->v.rx[0].errors[VQ_ERR_ID_RANGE], 2);
	assert_int_equal(e->v.rx[0].errors[VQ_ERR_NOT_INFLIGHT], 1);
	/* used->idx ahead of the three the device holds. */
	put16(dma(e->f.q[0].used) + 2, (uint16_t)(e->f.q[0].used_idx + 4));
	assert_int_equal(vnet_rx(&e->v, 0, &c, &flen), -HK_ERANGE);
	assert_int_equal(vnet_rx(&e->v, 0, &c, &flen), -HK_ERANGE);
	assert_int_equal(e->v.rx[0].errors[VQ_ERR_IDX], 2);
	put16(dma(e->f.q[0].used) + 2, e->f.q[0].used_idx);
	assert_int_equal(vnet_rx(&e->v, 0, &c, &flen), 0);
	/* The rest come back properly, once. */
	static const uint8_t fr[100];
	for (unsigned i = 5; i < 8; i++)
		fq_push(&e->f, 0, id[i], 12 + sizeof(fr));
	for (unsigned i = 5; i < 8; i++) {
		assert_int_equal(vnet_rx(&e->v, 0, &c, &flen), 1);
		take(&p, c);
	}
	assert_int_equal(vnet_rx(&e->v, 0, &c, &flen), 0);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(p.state[i], 0);
	/* And the ring works again. */
	rx_post(e, &p, 0);
	assert_int_equal(vnet_rx_kick(&e->v, 0), 1);
	assert_true(fake_rx(&e->f, 0, fr, sizeof(fr)));
	assert_int_equal(vnet_rx(&e->v, 0, &c, &flen), 1);
	assert_int_equal(c, 0);
	assert_int_equal(flen, sizeof(fr));
	pkt_close(&p);
}

/* TX misbehaviour: any used length is ignored (nothing was written), bad
 * ids counted, no page back twice. */
static void test_tx_misbehaviour(void **state)
{
	struct env *e = *state;
	struct pkt p;
	pkt_open(&p);
	assert_int_equal(init_small(e, 4), 0);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(vnet_tx(&e->v, 0, tx_build(&p, i, 64, i), 64, i), 0);
		p.state[i] = 1;
	}
	vnet_tx_kick(&e->v, 0);
	uint16_t id[4];
	for (unsigned i = 0; i < 4; i++)
		assert_true(fq_pop(&e->f, 1, &id[i]));
	fq_push(&e->f, 1, id[0], 0xffffffff);
	fq_push(&e->f, 1, id[0], 0);
	fq_push(&e->f, 1, 4, 0);
	fq_push(&e->f, 1, id[1], 76);
	uint32_t c;
	assert_int_equal(vnet_tx_reap(&e->v, 0, &c), 1);
	take(&p, c);
	assert_int_equal(vnet_tx_reap(&e->v, 0, &c), -HK_ERANGE);
	assert_int_equal(vnet_tx_reap(&e->v, 0, &c), -HK_ERANGE);
	assert_int_equal(vnet_tx_reap(&e->v, 0, &c), 1);
	take(&p, c);
	assert_int_equal(vnet_tx_reap(&e->v, 0, &c), 0);
	assert_int_equal(e->v.tx[0].errors[VQ_ERR_NOT_INFLIGHT], 1);
	assert_int_equal(e->v.tx[0].errors[VQ_ERR_ID_RANGE], 1);
	assert_int_equal(vq_inflight(&e->v.tx[0]), 2);
	pkt_close(&p);
}

static void test_irq_and_link(void **state)
{
	struct env *e = *state;
	assert_int_equal(init_small(e, 4), 0);
	e->f.int_status = VIO_INT_USED | VIO_INT_CONFIG;
	unsigned acks = e->f.acks;
	assert_int_equal(vnet_irq_ack(&e->bus), VIO_INT_USED | VIO_INT_CONFIG);
	assert_int_equal(e->f.int_status, 0);
	assert_int_equal(e->f.acks, acks + 1);
	assert_int_equal(vnet_irq_ack(&e->bus), 0);
	assert_int_equal(e->f.acks, acks + 1); /* nothing to acknowledge */
	e->f.int_status = VIO_INT_CONFIG;
	assert_int_equal(vnet_irq_ack(&e->bus), VIO_INT_CONFIG);
	/* STATUS negotiated: the config says. */
	assert_true(vnet_link_up(&e->v));
	put16(e->f.config + 6, 0);
	assert_false(vnet_link_up(&e->v));
	put16(e->f.config + 6, 2); /* ANNOUNCE alone */
	assert_false(vnet_link_up(&e->v));
	put16(e->f.config + 6, 3);
	assert_true(vnet_link_up(&e->v));
	/* Without STATUS the link is up and the field is never read. */
	fake_init(&e->f, BIT(VIO_F_VERSION_1), 1);
	put16(e->f.config + 6, 0);
	assert_int_equal(vnet_init(&e->v, &e->bus, &e->cfg), 0);
	e->f.cfg_reads = 0;
	assert_true(vnet_link_up(&e->v));
	assert_int_equal(e->f.cfg_reads, 0);
}

/* Pair and length arguments, and reset. */
static void test_args_and_reset(void **state)
{
	struct env *e = *state;
	struct pkt p;
	pkt_open(&p);
	assert_int_equal(init_small(e, 4), 0);
	uint64_t pa = pa_of(p.page[0]);
	uint32_t c, l;
	assert_int_equal(vnet_rx_post(&e->v, 1, pa, 4000, 0), -HK_EINVAL);
	assert_int_equal(vnet_rx_post(&e->v, ~0u, pa, 4000, 0), -HK_EINVAL);
	assert_int_equal(vnet_rx(&e->v, 1, &c, &l), -HK_EINVAL);
	assert_int_equal(vnet_tx(&e->v, 1, pa, 64, 0), -HK_EINVAL);
	assert_int_equal(vnet_tx_reap(&e->v, 1, &c), -HK_EINVAL);
	assert_int_equal(vnet_rx_kick(&e->v, 1), -HK_EINVAL);
	assert_int_equal(vnet_tx_kick(&e->v, 1), -HK_EINVAL);
	assert_int_equal(vnet_rx_post(&e->v, 0, pa, e->v.rx_min - 1, 0), -HK_EINVAL);
	assert_int_equal(vnet_rx_post(&e->v, 0, pa, 0, 0), -HK_EINVAL);
	assert_int_equal(vnet_rx_post(&e->v, 0, pa, e->v.rx_min, 0), 0);
	assert_int_equal(vq_inflight(&e->v.rx[0]), 1);
	unsigned n = e->f.nlog;
	assert_int_equal(vnet_reset(&e->v), 0);
	assert_int_equal(e->f.nlog, n + 1);
	assert_int_equal(e->f.log[n], 0);
	assert_int_equal(e->f.q[0].ready, 0);
	assert_int_equal(vnet_rx_post(&e->v, 0, pa, 4000, 1), -HK_EINVAL);
	assert_int_equal(vnet_rx_kick(&e->v, 0), -HK_EINVAL);
	e->f.reset_stuck = true;
	assert_int_equal(vnet_reset(&e->v), -HK_ETIMEDOUT);
	pkt_close(&p);
}

/* The real bus: one access of exactly the asked width, little-endian,
 * nothing around it touched; and probing through it. */
static void test_mmio_bus(void **state)
{
	(void)state;
	uint8_t *win = block_alloc(4096);
	memset(win, 0xcc, 4096);
	struct vio_bus b;
	vio_mmio_bus(&b, win);
	b.write(b.ctx, 0x70, 4, 0x11223344);
	static const uint8_t w4[] = {0xcc, 0x44, 0x33, 0x22, 0x11, 0xcc};
	assert_memory_equal(win + 0x6f, w4, 6);
	assert_int_equal(b.read(b.ctx, 0x70, 4), 0x11223344);
	b.write(b.ctx, 0x106, 2, 0xbeef);
	static const uint8_t w2[] = {0xcc, 0xef, 0xbe, 0xcc};
	assert_memory_equal(win + 0x105, w2, 4);
	assert_int_equal(b.read(b.ctx, 0x106, 2), 0xbeef);
	b.write(b.ctx, 0x103, 1, 0x5a);
	static const uint8_t w1[] = {0xcc, 0x5a, 0xcc};
	assert_memory_equal(win + 0x102, w1, 3);
	assert_int_equal(b.read(b.ctx, 0x103, 1), 0x5a);
	assert_int_equal(vio_cfg8(&b, 3), 0x5a);
	assert_int_equal(vio_cfg16(&b, 6), 0xbeef);
	put32(win + VIO_MMIO_MAGIC_VALUE, VIO_MMIO_MAGIC);
	put32(win + VIO_MMIO_VERSION, 2);
	put32(win + VIO_MMIO_DEVICE_ID, VIRTIO_ID_NET);
	assert_int_equal(vnet_probe(&b, NULL), 0);
	assert_memory_equal(win, "virt", 4); /* the magic is the bytes "virt" */
	free(win);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_probe),
	    T(test_init_sequence),
	    T(test_init_defaults),
	    T(test_config_generation),
	    T(test_init_failures),
	    T(test_init_bad_config),
	    T(test_mq),
	    T(test_rx_roundtrip),
	    T(test_tx_roundtrip),
	    T(test_suppression),
	    T(test_rx_misbehaviour),
	    T(test_tx_misbehaviour),
	    T(test_irq_and_link),
	    T(test_args_and_reset),
	    T(test_mmio_bus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
