/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef VIRTIO_MMIO_H
#define VIRTIO_MMIO_H

/*
 * The virtio-mmio transport, modern interface only (virtio 1.2, 4.2,
 * register layout version 2), and the reasons a virtio device is refused.
 * Registers are reached only through struct vio_bus, so the logic runs on
 * the host against a simulated device; vio_mmio_bus() is the real thing
 * over a mapped MMIO window.
 *
 * Access widths (4.2.2.2): control registers (below VIO_MMIO_CONFIG) are
 * always 32-bit; config fields use their natural width (1, 2 or 4).
 */
#include <stdint.h>
#include <virtio/barrier.h>
#include <virtio/vq.h>

/*
 * Register access. read returns the value in CPU order (the bus converts
 * from the device's little-endian); width is 1, 2 or 4 and off is aligned
 * to it. write likewise. ctx is the implementation's.
 */
struct vio_bus {
	uint32_t (*read)(void *ctx, uint32_t off, unsigned width);
	void (*write)(void *ctx, uint32_t off, unsigned width, uint32_t v);
	void *ctx;
};

/* A bus over the MMIO window mapped at base: one volatile access of
 * exactly the width asked for per call. */
void vio_mmio_bus(struct vio_bus *bus, volatile void *base);

/* Register offsets. */
#define VIO_MMIO_MAGIC_VALUE     0x000u
#define VIO_MMIO_VERSION         0x004u
#define VIO_MMIO_DEVICE_ID       0x008u
#define VIO_MMIO_VENDOR_ID       0x00cu
#define VIO_MMIO_DEVICE_FEATURES 0x010u
#define VIO_MMIO_DEVICE_FEAT_SEL 0x014u
#define VIO_MMIO_DRIVER_FEATURES 0x020u
#define VIO_MMIO_DRIVER_FEAT_SEL 0x024u
#define VIO_MMIO_QUEUE_SEL       0x030u
#define VIO_MMIO_QUEUE_NUM_MAX   0x034u
#define VIO_MMIO_QUEUE_NUM       0x038u
#define VIO_MMIO_QUEUE_READY     0x044u
#define VIO_MMIO_QUEUE_NOTIFY    0x050u
#define VIO_MMIO_INT_STATUS      0x060u
#define VIO_MMIO_INT_ACK         0x064u
#define VIO_MMIO_STATUS          0x070u
#define VIO_MMIO_QUEUE_DESC_LO   0x080u
#define VIO_MMIO_QUEUE_DESC_HI   0x084u
#define VIO_MMIO_QUEUE_AVAIL_LO  0x090u
#define VIO_MMIO_QUEUE_AVAIL_HI  0x094u
#define VIO_MMIO_QUEUE_USED_LO   0x0a0u
#define VIO_MMIO_QUEUE_USED_HI   0x0a4u
#define VIO_MMIO_CONFIG_GEN      0x0fcu
#define VIO_MMIO_CONFIG          0x100u /* device-specific configuration */

#define VIO_MMIO_MAGIC  0x74726976u /* "virt" */
#define VIO_MMIO_LEGACY 1u
#define VIO_MMIO_MODERN 2u

/* Device status bits (2.1). */
#define VIO_STATUS_ACKNOWLEDGE 1u
#define VIO_STATUS_DRIVER      2u
#define VIO_STATUS_DRIVER_OK   4u
#define VIO_STATUS_FEATURES_OK 8u
#define VIO_STATUS_NEEDS_RESET 64u
#define VIO_STATUS_FAILED      128u

/* InterruptStatus bits. */
#define VIO_INT_USED   1u /* a queue returned buffers */
#define VIO_INT_CONFIG 2u /* the configuration changed */

#define VIO_F_VERSION_1 32u /* modern (non-legacy) device: a feature bit number */

/* Polls of Status after a reset write before giving up. */
#define VIO_RESET_POLLS 100000u
/* Tries at a generation-consistent config read. */
#define VIO_CONFIG_TRIES 16u

/*
 * Why a device was refused: transport and device-type reasons in one list,
 * each with the -HK_E* code the call returns and a message naming the
 * step, for the driver to print (vio_err_str).
 */
#define VIO_ERRORS(X)                                                                              \
	X(OK, HK_OK, "ok")                                                                         \
	X(MAGIC, HK_ENOENT, "probe: no virtio-mmio device here (bad magic value)")                 \
	X(LEGACY, HK_EINVAL,                                                                       \
	  "probe: legacy virtio-mmio (version 1); modern virtio is required: "                     \
	  "QEMU -global virtio-mmio.force-legacy=false")                                           \
	X(VERSION, HK_EINVAL, "probe: unknown virtio-mmio version")                                \
	X(EMPTY, HK_ENOENT, "probe: empty virtio-mmio slot (device id 0)")                         \
	X(DEVICE_ID, HK_ENOENT, "probe: not the expected device type")                             \
	X(ARG, HK_EINVAL, "init: bad driver configuration (queue size, pairs or page callback)")   \
	X(RESET, HK_ETIMEDOUT, "reset: device status did not read back 0")                         \
	X(NO_VERSION_1, HK_EINVAL, "features: device does not offer VIRTIO_F_VERSION_1")           \
	X(FEATURES_OK, HK_EINVAL,                                                                  \
	  "features: device refused the feature set (FEATURES_OK not kept)")                       \
	X(CONFIG_UNSTABLE, HK_EAGAIN, "config: generation kept changing while reading it")         \
	X(CONFIG, HK_EINVAL, "config: MTU or max_virtqueue_pairs out of range")                    \
	X(RING_PAGE, HK_ENOMEM, "queues: no ring page from the caller, or a misaligned one")       \
	X(QUEUE_MISSING, HK_ENOENT, "queues: queue not available (QueueNumMax 0)")                 \
	X(QUEUE_SMALL, HK_E2BIG, "queues: QueueNumMax smaller than the requested size")            \
	X(QUEUE_READY, HK_EBUSY, "queues: queue already ready before setup")                       \
	X(CTRL_TIMEOUT, HK_ETIMEDOUT, "mq: no reply to VQ_PAIRS_SET on the control queue")         \
	X(CTRL_REFUSED, HK_EINVAL, "mq: VQ_PAIRS_SET answered with an error or a bad used entry")  \
	X(NEEDS_RESET, HK_EAGAIN, "driver-ok: device set DEVICE_NEEDS_RESET")

enum vio_err {
#define VIO_ERR_ENUM(id, code, msg) VIO_ERR_##id,
	VIO_ERRORS(VIO_ERR_ENUM)
#undef VIO_ERR_ENUM
	VIO_ERR_COUNT
};

/* The message for why, or "?" out of range. */
const char *vio_err_str(unsigned why);
/* The negated -HK_E* code for why (0 for VIO_ERR_OK). */
int vio_err_code(unsigned why);

static inline uint32_t vio_rd(const struct vio_bus *b, uint32_t off)
{
	return b->read(b->ctx, off, 4);
}
static inline void vio_wr(const struct vio_bus *b, uint32_t off, uint32_t v)
{
	b->write(b->ctx, off, 4, v);
}

/* Magic, version 2 and device_id: VIO_ERR_OK or why not. Reads only. */
enum vio_err vio_check(const struct vio_bus *b, uint32_t device_id);

/* Write 0 to Status and wait (bounded) until it reads 0: the device has
 * stopped using every queue and buffer. VIO_ERR_OK or VIO_ERR_RESET. */
enum vio_err vio_reset(const struct vio_bus *b);

/* The 64 device feature bits; set the driver's. */
uint64_t vio_features_get(const struct vio_bus *b);
void vio_features_set(const struct vio_bus *b, uint64_t features);

/* Select queue idx; return its QueueNumMax (0: no such queue). */
uint32_t vio_queue_max(const struct vio_bus *b, unsigned idx);

/* Select queue idx and check it can be set up with size entries: not
 * ready already, QueueNumMax non-zero and >= size. VIO_ERR_OK or why not. */
enum vio_err vio_queue_check(const struct vio_bus *b, unsigned idx, unsigned size);

/* Give queue idx (checked by vio_queue_check) q's size and ring
 * addresses, then set it ready. */
void vio_queue_enable(const struct vio_bus *b, unsigned idx, const struct vq *q);

/* Tell the device queue idx has new buffers (after vq_publish said so). */
static inline void vio_notify(const struct vio_bus *b, unsigned idx)
{
	vio_fence_publish(); /* the published ring before the device acts */
	vio_wr(b, VIO_MMIO_QUEUE_NOTIFY, idx);
}

/* Read InterruptStatus and acknowledge exactly those bits; returns them
 * (VIO_INT_*), 0 when the device had nothing to say. */
uint32_t vio_irq_ack(const struct vio_bus *b);

/* Config field access at offset off of the device-specific area, at the
 * field's natural width. */
uint8_t vio_cfg8(const struct vio_bus *b, uint32_t off);
uint16_t vio_cfg16(const struct vio_bus *b, uint32_t off);

/*
 * Run fn(b, arg) until ConfigGeneration is the same before and after
 * it (4.2.2.2: fields wider than 32 bits or spread over several reads may
 * otherwise tear), at most VIO_CONFIG_TRIES times. VIO_ERR_OK or
 * VIO_ERR_CONFIG_UNSTABLE.
 */
enum vio_err vio_config_read(const struct vio_bus *b,
                             void (*fn)(const struct vio_bus *b, void *arg), void *arg);

#endif
