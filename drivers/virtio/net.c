// SPDX-License-Identifier: BSD-2-Clause
/*
 * virtio-net over virtio-mmio (contracts in <virtio/vnet.h>): the
 * initialization sequence of virtio 1.2 3.1.1, each step a function that
 * returns VIO_ERR_OK or why it failed, and the per-packet calls, which
 * are thin checks over the virtqueue code.
 */
#include <hekate/errno.h>
#include <string.h>
#include <virtio/vnet.h>

#define BIT(n) (1ull << (n))

int vnet_probe(const struct vio_bus *bus, enum vio_err *why)
{
	enum vio_err e = vio_check(bus, VIRTIO_ID_NET);
	if (why)
		*why = e;
	return vio_err_code(e);
}

static void status_add(struct vnet *v, uint32_t bits)
{
	v->status |= bits;
	vio_wr(&v->bus, VIO_MMIO_STATUS, v->status);
}

/* Record why, tell the device we gave up (FAILED), return the code. */
static int vnet_fail(struct vnet *v, enum vio_err why)
{
	v->err = why;
	status_add(v, VIO_STATUS_FAILED);
	return vio_err_code(why);
}

/* Features: exactly VERSION_1, MAC, MTU, STATUS and (both or neither)
 * MQ + CTRL_VQ, of what the device offers; then FEATURES_OK must stick. */
static enum vio_err negotiate(struct vnet *v)
{
	uint64_t dev = vio_features_get(&v->bus);
	if (!(dev & BIT(VIO_F_VERSION_1)))
		return VIO_ERR_NO_VERSION_1;
	uint64_t want = BIT(VIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_MTU) |
	                BIT(VIRTIO_NET_F_STATUS);
	uint64_t mq = BIT(VIRTIO_NET_F_MQ) | BIT(VIRTIO_NET_F_CTRL_VQ);
	if ((dev & mq) == mq)
		want |= mq;
	v->features = dev & want;
	vio_features_set(&v->bus, v->features);
	status_add(v, VIO_STATUS_FEATURES_OK);
	if (!(vio_rd(&v->bus, VIO_MMIO_STATUS) & VIO_STATUS_FEATURES_OK))
		return VIO_ERR_FEATURES_OK;
	return VIO_ERR_OK;
}

/* The config fields that exist with the negotiated features, read
 * together under one generation (vio_config_read). */
struct cfg_fields {
	const struct vnet *v;
	uint8_t mac[6];
	uint16_t max_pairs, mtu;
};

static void cfg_read(const struct vio_bus *b, void *arg)
{
	struct cfg_fields *f = arg;
	if (vnet_has(f->v, VIRTIO_NET_F_MAC))
		for (unsigned i = 0; i < 6; i++)
			f->mac[i] = vio_cfg8(b, VNET_CFG_MAC + i);
	if (vnet_has(f->v, VIRTIO_NET_F_MQ))
		f->max_pairs = vio_cfg16(b, VNET_CFG_MAX_PAIRS);
	if (vnet_has(f->v, VIRTIO_NET_F_MTU))
		f->mtu = vio_cfg16(b, VNET_CFG_MTU);
}

static unsigned min_u(unsigned a, unsigned b) { return a < b ? a : b; }

static enum vio_err read_config(struct vnet *v, const struct vnet_config *cfg)
{
	struct cfg_fields f = {.v = v, .max_pairs = 1, .mtu = VNET_MTU_DEF};
	memcpy(f.mac, cfg->mac, sizeof(f.mac));
	enum vio_err e = vio_config_read(&v->bus, cfg_read, &f);
	if (e)
		return e;
	if (f.mtu < VNET_MTU_MIN || f.max_pairs < 1 || f.max_pairs > VNET_PAIRS_SPEC)
		return VIO_ERR_CONFIG;
	memcpy(v->mac, f.mac, sizeof(v->mac));
	v->mtu = f.mtu;
	v->max_pairs = f.max_pairs;
	v->pairs = (uint16_t)min_u(min_u(cfg->pairs, f.max_pairs), VNET_MAX_PAIRS);
	v->rx_min = VNET_HDR_LEN + VNET_ETH_HDR + f.mtu;
	return VIO_ERR_OK;
}

/* Ring memory carved from the caller's pages in order: each part goes
 * after the previous one in the current page when it fits, else at the
 * start of a fresh page. */
struct carver {
	const struct vnet_config *cfg;
	struct vio_mem page;
	uint32_t used; /* bytes of page taken; VQ_PAGE before the first page */
};

static bool carve(struct carver *c, uint32_t bytes, uint32_t align, struct vio_mem *out)
{
	uint32_t off = (c->used + align - 1) & ~(align - 1);
	if (off + bytes > VQ_PAGE) {
		struct vio_mem p = {0};
		if (c->cfg->ring_page(c->cfg->ctx, &p) < 0 || !p.va ||
		    ((uintptr_t)p.va | p.pa) & (VQ_PAGE - 1))
			return false;
		c->page = p;
		off = 0;
	}
	out->va = (uint8_t *)c->page.va + off;
	out->pa = c->page.pa + off;
	c->used = off + bytes;
	return true;
}

/* Check queue idx, give it rings of size entries, enable it. */
static enum vio_err queue_setup(struct vnet *v, struct carver *c, struct vq *q, unsigned idx,
                                unsigned size)
{
	enum vio_err e = vio_queue_check(&v->bus, idx, size);
	if (e)
		return e;
	struct vio_mem d, a, u;
	if (!carve(c, vq_desc_bytes(size), VQ_DESC_ALIGN, &d) ||
	    !carve(c, vq_avail_bytes(size), VQ_AVAIL_ALIGN, &a) ||
	    !carve(c, vq_used_bytes(size), VQ_USED_ALIGN, &u) || vq_init(q, size, d, a, u))
		return VIO_ERR_RING_PAGE;
	vio_queue_enable(&v->bus, idx, q);
	return VIO_ERR_OK;
}

/* The control queue (index 2 * max_pairs) and its command buffer: as
 * many entries as the device offers up to VNET_CTRL_QSIZE, at least 2
 * (a command is a two-descriptor chain). */
static enum vio_err ctrl_setup(struct vnet *v, struct carver *c)
{
	unsigned idx = 2u * v->max_pairs;
	uint32_t max = vio_queue_max(&v->bus, idx);
	unsigned size = VNET_CTRL_QSIZE;
	while (size > 2 && size > max)
		size >>= 1;
	enum vio_err e = queue_setup(v, c, &v->ctrl, idx, size);
	if (e)
		return e;
	return carve(c, 8, 8, &v->cmd) ? VIO_ERR_OK : VIO_ERR_RING_PAGE;
}

static enum vio_err setup_queues(struct vnet *v, const struct vnet_config *cfg)
{
	struct carver c = {.cfg = cfg, .used = VQ_PAGE};
	for (unsigned k = 0; k < v->pairs; k++) {
		enum vio_err e = queue_setup(v, &c, &v->rx[k], 2 * k, cfg->qsize);
		if (!e)
			e = queue_setup(v, &c, &v->tx[k], 2 * k + 1, cfg->qsize);
		if (e)
			return e;
	}
	return vnet_has(v, VIRTIO_NET_F_MQ) ? ctrl_setup(v, &c) : VIO_ERR_OK;
}

/*
 * VQ_PAIRS_SET (5.1.6.5.5) and a bounded wait for the ack. Sent after
 * DRIVER_OK: the driver must not notify before it (3.1.1). The command
 * is class, command, le16 pairs; the ack byte the device writes follows.
 */
static enum vio_err set_pairs(struct vnet *v)
{
	volatile uint8_t *cmd = v->cmd.va;
	cmd[0] = VIRTIO_NET_CTRL_MQ;
	cmd[1] = VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET;
	cmd[2] = (uint8_t)v->pairs;
	cmd[3] = (uint8_t)(v->pairs >> 8);
	cmd[4] = 0xff; /* anything but VIRTIO_NET_OK until the device writes it */
	if (vq_add2(&v->ctrl, v->cmd.pa, 4, v->cmd.pa + 4, 1, 0))
		return VIO_ERR_CTRL_REFUSED;
	if (vq_publish(&v->ctrl))
		vio_notify(&v->bus, 2u * v->max_pairs);
	for (unsigned i = 0; i < VNET_CTRL_POLLS; i++) {
		uint32_t cookie, len;
		int r = vq_get_used(&v->ctrl, &cookie, &len);
		if (r == 0)
			continue;
		return r == 1 && len == 1 && cmd[4] == VIRTIO_NET_OK ? VIO_ERR_OK
		                                                     : VIO_ERR_CTRL_REFUSED;
	}
	return VIO_ERR_CTRL_TIMEOUT;
}

static bool config_ok(const struct vnet_config *cfg)
{
	return cfg && cfg->ring_page && cfg->qsize && cfg->qsize <= VQ_MAX_SIZE &&
	       !(cfg->qsize & (cfg->qsize - 1)) && cfg->pairs;
}

int vnet_init(struct vnet *v, const struct vio_bus *bus, const struct vnet_config *cfg)
{
	memset(v, 0, sizeof(*v));
	v->bus = *bus;
	int r = vnet_probe(bus, &v->err);
	if (r)
		return r; /* not our device: leave it alone */
	if (!config_ok(cfg)) {
		v->err = VIO_ERR_ARG;
		return vio_err_code(v->err);
	}
	enum vio_err e = vio_reset(bus);
	if (!e) {
		status_add(v, VIO_STATUS_ACKNOWLEDGE);
		status_add(v, VIO_STATUS_DRIVER);
		e = negotiate(v);
	}
	if (!e)
		e = read_config(v, cfg);
	if (!e)
		e = setup_queues(v, cfg);
	if (!e) {
		status_add(v, VIO_STATUS_DRIVER_OK);
		if (vnet_has(v, VIRTIO_NET_F_MQ))
			e = set_pairs(v);
	}
	if (!e && (vio_rd(bus, VIO_MMIO_STATUS) & VIO_STATUS_NEEDS_RESET))
		e = VIO_ERR_NEEDS_RESET;
	return e ? vnet_fail(v, e) : 0;
}

int vnet_reset(struct vnet *v)
{
	v->pairs = 0; /* nothing may be posted until the next vnet_init */
	v->status = 0;
	return vio_err_code(vio_reset(&v->bus));
}

int vnet_rx_post(struct vnet *v, unsigned pair, uint64_t pa, uint32_t len, uint32_t cookie)
{
	if (pair >= v->pairs || len < v->rx_min)
		return -HK_EINVAL;
	return vq_add(&v->rx[pair], pa, len, true, cookie);
}

int vnet_rx(struct vnet *v, unsigned pair, uint32_t *cookie, uint32_t *frame_len)
{
	if (pair >= v->pairs)
		return -HK_EINVAL;
	uint32_t len;
	int r = vq_get_used(&v->rx[pair], cookie, &len);
	if (r != 1)
		return r;
	if (len < VNET_HDR_LEN) {
		v->rx_short++;
		return -HK_EBADPKT;
	}
	*frame_len = len - VNET_HDR_LEN;
	return 1;
}

int vnet_tx(struct vnet *v, unsigned pair, uint64_t hdr_pa, uint32_t frame_len, uint32_t cookie)
{
	if (pair >= v->pairs || frame_len < VNET_ETH_HDR || frame_len > VNET_ETH_HDR + v->mtu)
		return -HK_EINVAL;
	return vq_add(&v->tx[pair], hdr_pa, VNET_HDR_LEN + frame_len, false, cookie);
}

int vnet_tx_reap(struct vnet *v, unsigned pair, uint32_t *cookie)
{
	if (pair >= v->pairs)
		return -HK_EINVAL;
	uint32_t len;
	return vq_get_used(&v->tx[pair], cookie, &len);
}

static int kick(struct vnet *v, struct vq *q, unsigned idx)
{
	if (!vq_publish(q))
		return 0;
	vio_notify(&v->bus, idx);
	return 1;
}

int vnet_rx_kick(struct vnet *v, unsigned pair)
{
	return pair < v->pairs ? kick(v, &v->rx[pair], 2 * pair) : -HK_EINVAL;
}

int vnet_tx_kick(struct vnet *v, unsigned pair)
{
	return pair < v->pairs ? kick(v, &v->tx[pair], 2 * pair + 1) : -HK_EINVAL;
}

bool vnet_link_up(const struct vnet *v)
{
	if (!vnet_has(v, VIRTIO_NET_F_STATUS))
		return true;
	return vio_cfg16(&v->bus, VNET_CFG_STATUS) & VIRTIO_NET_S_LINK_UP;
}
