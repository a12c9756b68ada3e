/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef VIRTIO_VNET_H
#define VIRTIO_VNET_H

/*
 * virtio-net (virtio 1.2, 5.1) over virtio-mmio, for the MAC driver
 * process: probe, initialization and feature negotiation, RX/TX queue
 * pairs and the control queue's multiqueue command. Zero copy: the
 * buffers are the caller's KAN pages, named by a 32-bit cookie (the
 * page's packet-window slot) and posted at their physical address.
 *
 * Negotiated: VIRTIO_F_VERSION_1 (required), MAC, MTU, STATUS, and MQ with
 * CTRL_VQ when both are offered. Nothing else: no checksum offload, no
 * GSO, no mergeable RX buffers, so every frame is one buffer preceded by
 * a 12-byte header the driver leaves zero.
 *
 * Trust: the device is checked like any input (see <virtio/vq.h>); a
 * failed step sets FAILED in the device status and leaves the reason in
 * struct vnet.err (vio_err_str names the step).
 *
 * Locking: none; one thread drives a struct vnet (or one per pair, if
 * each touches only its own pair's functions).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <virtio/mmio.h>
#include <virtio/vq.h>

#define VIRTIO_ID_NET 1u

/* Feature bit numbers (5.1.3). */
#define VIRTIO_NET_F_CSUM       0u
#define VIRTIO_NET_F_GUEST_CSUM 1u
#define VIRTIO_NET_F_MTU        3u
#define VIRTIO_NET_F_MAC        5u
#define VIRTIO_NET_F_GUEST_TSO4 7u
#define VIRTIO_NET_F_HOST_TSO4  11u
#define VIRTIO_NET_F_MRG_RXBUF  15u
#define VIRTIO_NET_F_STATUS     16u
#define VIRTIO_NET_F_CTRL_VQ    17u
#define VIRTIO_NET_F_MQ         22u

/* Config space layout (5.1.4) and the status field's link bit. */
#define VNET_CFG_MAC         0u
#define VNET_CFG_STATUS      6u
#define VNET_CFG_MAX_PAIRS   8u
#define VNET_CFG_MTU         10u
#define VIRTIO_NET_S_LINK_UP 1u

/* Control queue (5.1.6.5): class, command, data, then the device's ack. */
#define VIRTIO_NET_CTRL_MQ              4u
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0u
#define VIRTIO_NET_OK                   0u
#define VNET_CTRL_QSIZE                 16u        /* at most; less if the device offers less */
#define VNET_CTRL_POLLS                 (1u << 22) /* bounded wait for the reply */

#define VNET_HDR_LEN    12u /* struct virtio_net_hdr with VERSION_1 */
#define VNET_ETH_HDR    14u
#define VNET_MTU_DEF    1500u
#define VNET_MTU_MIN    68u /* the device MUST report at least this (5.1.4.1) */
#define VNET_MAX_PAIRS  4u  /* queue pairs this library drives at most */
#define VNET_PAIRS_SPEC 0x8000u

/* The header in front of every frame, little-endian. */
struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};
_Static_assert(sizeof(struct virtio_net_hdr) == VNET_HDR_LEN, "virtio-net header is 12 bytes");

/*
 * What the caller asks of vnet_init. ring_page(ctx, page) must give one
 * 4 KiB page (va writable, va and pa 4 KiB-aligned) for ring memory, or
 * return a negative error. Rings are packed into pages in order: a queue
 * of 256 entries takes 2 pages, one of up to 128 less than one. Each page
 * stays the device's until vnet_reset; the caller frees them (all of
 * them, also after a failed init, once it has reset the device).
 */
struct vnet_config {
	unsigned qsize; /* RX and TX ring entries: a power of two in [1, 256], <= QueueNumMax */
	unsigned pairs; /* wanted, >= 1; fewer if the device or VNET_MAX_PAIRS has fewer */
	uint8_t mac[6]; /* the MAC when the device offers none */
	int (*ring_page)(void *ctx, struct vio_mem *page);
	void *ctx;
};

struct vnet {
	struct vio_bus bus;
	uint64_t features; /* negotiated feature bits */
	uint8_t mac[6];
	uint16_t mtu;       /* the device's (VIRTIO_NET_F_MTU) or VNET_MTU_DEF */
	uint16_t max_pairs; /* the device's max_virtqueue_pairs (1 without MQ) */
	uint16_t pairs;     /* queue pairs in use: rx[0..pairs), tx[0..pairs) */
	uint32_t rx_min;    /* smallest RX buffer vnet_rx_post accepts: header + Ethernet + MTU */
	uint32_t status;    /* the status bits the driver has set */
	enum vio_err err;   /* why vnet_init failed; VIO_ERR_OK after success */
	uint32_t rx_short;  /* RX buffers the device returned shorter than the header */
	struct vio_mem cmd; /* control command buffer (MQ only) */
	struct vq ctrl;     /* queue 2 * max_pairs (MQ only) */
	struct vq rx[VNET_MAX_PAIRS]; /* queue 2k */
	struct vq tx[VNET_MAX_PAIRS]; /* queue 2k + 1 */
};

static inline bool vnet_has(const struct vnet *v, unsigned bit) { return v->features >> bit & 1; }

/* Is there a modern virtio-mmio net device behind bus? Reads only.
 * 0, or vio_err_code(*why) with *why (if why is non-null) saying what. */
int vnet_probe(const struct vio_bus *bus, enum vio_err *why);

/*
 * Probe, reset and initialize the device (3.1.1) as cfg asks: negotiate,
 * read the config, set up the RX/TX pairs (and with MQ the control
 * queue, then VQ_PAIRS_SET), DRIVER_OK. No RX buffers are posted. 0, or
 * vio_err_code(v->err): after the probe, a failure leaves FAILED set in
 * the device status; reset it before reusing the ring pages.
 */
int vnet_init(struct vnet *v, const struct vio_bus *bus, const struct vnet_config *cfg);

/* Reset the device: it stops touching rings and buffers. 0, or
 * -HK_ETIMEDOUT if it never reads back 0. */
int vnet_reset(struct vnet *v);

/*
 * RX. vnet_rx_post: the device will write a header and a frame into len
 * (>= v->rx_min) bytes at pa (a KAN page + the caller's offset). Visible
 * after vnet_rx_kick. 0, -HK_ENOBUFS (ring full), -HK_EINVAL (short
 * buffer, bad pair).
 * vnet_rx: harvest one frame: 1 with *cookie and *frame_len (bytes of
 * Ethernet frame after the VNET_HDR_LEN header), 0 for none; on device
 * misbehaviour the codes of vq_get_used: -HK_EBADPKT with *cookie the
 * caller's again (length longer than posted, or shorter than the header:
 * counted in rx_short), -HK_ERANGE with no buffer.
 */
int vnet_rx_post(struct vnet *v, unsigned pair, uint64_t pa, uint32_t len, uint32_t cookie);
int vnet_rx(struct vnet *v, unsigned pair, uint32_t *cookie, uint32_t *frame_len);

/*
 * TX. The caller wrote an Ethernet frame of frame_len bytes with at least
 * VNET_HDR_LEN bytes before it, zeroed those with vnet_tx_hdr, and posts
 * the lot by the header's physical address. frame_len in [14, 14 + mtu].
 * 0, -HK_ENOBUFS (ring full), -HK_EINVAL. vnet_tx_reap: 1 with the cookie
 * of a sent buffer (the caller's again), 0 none, -HK_ERANGE device error.
 */
static inline void vnet_tx_hdr(void *frame_minus_12) { memset(frame_minus_12, 0, VNET_HDR_LEN); }
int vnet_tx(struct vnet *v, unsigned pair, uint64_t hdr_pa, uint32_t frame_len, uint32_t cookie);
int vnet_tx_reap(struct vnet *v, unsigned pair, uint32_t *cookie);

/* Publish what was posted on the pair's RX (TX) queue, once per batch,
 * and write QueueNotify only if the device wants it. 1 notified, 0 not
 * (nothing new or notifications suppressed), -HK_EINVAL bad pair. */
int vnet_rx_kick(struct vnet *v, unsigned pair);
int vnet_tx_kick(struct vnet *v, unsigned pair);

/* Read and acknowledge the interrupt: VIO_INT_USED and/or VIO_INT_CONFIG. */
static inline uint32_t vnet_irq_ack(const struct vio_bus *bus) { return vio_irq_ack(bus); }

/* Link state from the config status (VIRTIO_NET_F_STATUS); without that
 * feature the link is up (5.1.4.2). */
bool vnet_link_up(const struct vnet *v);

#endif
