// SPDX-License-Identifier: BSD-2-Clause
/*
 * The virtio-mmio transport (contracts in <virtio/mmio.h>). Everything
 * here goes through struct vio_bus; only the two vio_mmio_* accessors
 * touch device memory.
 */
#include <hekate/errno.h>
#include <stdint.h>
#include <virtio/le.h>
#include <virtio/mmio.h>

static const char *const vio_msgs[VIO_ERR_COUNT] = {
#define VIO_ERR_MSG(id, code, msg) [VIO_ERR_##id] = msg,
    VIO_ERRORS(VIO_ERR_MSG)
#undef VIO_ERR_MSG
};

static const unsigned char vio_codes[VIO_ERR_COUNT] = {
#define VIO_ERR_CODE(id, code, msg) [VIO_ERR_##id] = code,
    VIO_ERRORS(VIO_ERR_CODE)
#undef VIO_ERR_CODE
};

const char *vio_err_str(unsigned why) { return why < VIO_ERR_COUNT ? vio_msgs[why] : "?"; }

int vio_err_code(unsigned why) { return why < VIO_ERR_COUNT ? -(int)vio_codes[why] : -HK_EINVAL; }

/* One volatile access of exactly width bytes; virtio registers are
 * little-endian whatever the CPU. */
static uint32_t vio_mmio_read(void *ctx, uint32_t off, unsigned width)
{
	volatile uint8_t *p = (volatile uint8_t *)ctx + off;
	if (width == 1)
		return *p;
	if (width == 2)
		return vio_le16(*(volatile uint16_t *)p);
	return vio_le32(*(volatile uint32_t *)p);
}

static void vio_mmio_write(void *ctx, uint32_t off, unsigned width, uint32_t v)
{
	volatile uint8_t *p = (volatile uint8_t *)ctx + off;
	if (width == 1)
		*p = (uint8_t)v;
	else if (width == 2)
		*(volatile uint16_t *)p = vio_le16((uint16_t)v);
	else
		*(volatile uint32_t *)p = vio_le32(v);
}

void vio_mmio_bus(struct vio_bus *bus, volatile void *base)
{
	bus->read = vio_mmio_read;
	bus->write = vio_mmio_write;
	bus->ctx = (void *)(uintptr_t)base;
}

enum vio_err vio_check(const struct vio_bus *b, uint32_t device_id)
{
	if (vio_rd(b, VIO_MMIO_MAGIC_VALUE) != VIO_MMIO_MAGIC)
		return VIO_ERR_MAGIC;
	uint32_t version = vio_rd(b, VIO_MMIO_VERSION);
	if (version == VIO_MMIO_LEGACY)
		return VIO_ERR_LEGACY;
	if (version != VIO_MMIO_MODERN)
		return VIO_ERR_VERSION;
	uint32_t id = vio_rd(b, VIO_MMIO_DEVICE_ID);
	if (id == 0)
		return VIO_ERR_EMPTY;
	return id == device_id ? VIO_ERR_OK : VIO_ERR_DEVICE_ID;
}

enum vio_err vio_reset(const struct vio_bus *b)
{
	vio_wr(b, VIO_MMIO_STATUS, 0);
	for (unsigned i = 0; i < VIO_RESET_POLLS; i++)
		if (vio_rd(b, VIO_MMIO_STATUS) == 0)
			return VIO_ERR_OK;
	return VIO_ERR_RESET;
}

uint64_t vio_features_get(const struct vio_bus *b)
{
	vio_wr(b, VIO_MMIO_DEVICE_FEAT_SEL, 0);
	uint64_t lo = vio_rd(b, VIO_MMIO_DEVICE_FEATURES);
	vio_wr(b, VIO_MMIO_DEVICE_FEAT_SEL, 1);
	uint64_t hi = vio_rd(b, VIO_MMIO_DEVICE_FEATURES);
	return hi << 32 | lo;
}

void vio_features_set(const struct vio_bus *b, uint64_t features)
{
	vio_wr(b, VIO_MMIO_DRIVER_FEAT_SEL, 0);
	vio_wr(b, VIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	vio_wr(b, VIO_MMIO_DRIVER_FEAT_SEL, 1);
	vio_wr(b, VIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
}

uint32_t vio_queue_max(const struct vio_bus *b, unsigned idx)
{
	vio_wr(b, VIO_MMIO_QUEUE_SEL, idx);
	return vio_rd(b, VIO_MMIO_QUEUE_NUM_MAX);
}

enum vio_err vio_queue_check(const struct vio_bus *b, unsigned idx, unsigned size)
{
	vio_wr(b, VIO_MMIO_QUEUE_SEL, idx);
	if (vio_rd(b, VIO_MMIO_QUEUE_READY))
		return VIO_ERR_QUEUE_READY;
	uint32_t max = vio_rd(b, VIO_MMIO_QUEUE_NUM_MAX);
	if (!max)
		return VIO_ERR_QUEUE_MISSING;
	return max < size ? VIO_ERR_QUEUE_SMALL : VIO_ERR_OK;
}

static void vio_wr64(const struct vio_bus *b, uint32_t lo_off, uint64_t v)
{
	vio_wr(b, lo_off, (uint32_t)v);
	vio_wr(b, lo_off + 4, (uint32_t)(v >> 32));
}

void vio_queue_enable(const struct vio_bus *b, unsigned idx, const struct vq *q)
{
	vio_wr(b, VIO_MMIO_QUEUE_SEL, idx);
	vio_wr(b, VIO_MMIO_QUEUE_NUM, q->size);
	vio_wr64(b, VIO_MMIO_QUEUE_DESC_LO, q->desc_pa);
	vio_wr64(b, VIO_MMIO_QUEUE_AVAIL_LO, q->avail_pa);
	vio_wr64(b, VIO_MMIO_QUEUE_USED_LO, q->used_pa);
	vio_fence_publish(); /* the zeroed rings before the device may look at them */
	vio_wr(b, VIO_MMIO_QUEUE_READY, 1);
}

uint32_t vio_irq_ack(const struct vio_bus *b)
{
	uint32_t bits = vio_rd(b, VIO_MMIO_INT_STATUS);
	if (bits)
		vio_wr(b, VIO_MMIO_INT_ACK, bits);
	return bits;
}

uint8_t vio_cfg8(const struct vio_bus *b, uint32_t off)
{
	return (uint8_t)b->read(b->ctx, VIO_MMIO_CONFIG + off, 1);
}

uint16_t vio_cfg16(const struct vio_bus *b, uint32_t off)
{
	return (uint16_t)b->read(b->ctx, VIO_MMIO_CONFIG + off, 2);
}

enum vio_err vio_config_read(const struct vio_bus *b,
                             void (*fn)(const struct vio_bus *b, void *arg), void *arg)
{
	for (unsigned i = 0; i < VIO_CONFIG_TRIES; i++) {
		uint32_t gen = vio_rd(b, VIO_MMIO_CONFIG_GEN);
		fn(b, arg);
		if (vio_rd(b, VIO_MMIO_CONFIG_GEN) == gen)
			return VIO_ERR_OK;
	}
	return VIO_ERR_CONFIG_UNSTABLE;
}
