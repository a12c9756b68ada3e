/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef VIRTIO_VQ_H
#define VIRTIO_VQ_H

/*
 * Split virtqueues (virtio 1.2, 2.7), driver side, for buffers of one
 * descriptor each (our frames are single pages) plus one two-descriptor
 * form for the control queue. Pure code over ring memory the caller
 * provides: no registers, no allocation, so it is host-tested against a
 * simulated device (tests/unit/test_virtio_vq.c).
 *
 * Cost: adding, publishing and harvesting are O(1) per buffer with no
 * division and no scan of the ring; used->idx is read once per batch.
 *
 * Trust: the device (and so everything it writes into the used ring) is
 * not trusted. Each used entry is checked against the driver's private
 * copy of what is in flight before it is believed; a bad one is counted
 * (struct vq.errors) and never makes a buffer come back twice, nor a
 * buffer that was not posted. The descriptor table is device-visible, so
 * the driver never reads it back.
 *
 * Locking: none; one thread owns a queue.
 */
#include <stdbool.h>
#include <stdint.h>

#define VQ_MAX_SIZE 256u /* so each ring part fits in one 4 KiB page */
#define VQ_PAGE     4096u

#define VIRTQ_DESC_F_NEXT          1u
#define VIRTQ_DESC_F_WRITE         2u /* device writes this buffer (RX) */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_USED_F_NO_NOTIFY     1u

/* The ring layout the device sees; every field little-endian. */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* size entries, then le16 used_event (unused: no EVENT_IDX) */
};
struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};
struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[]; /* size entries, then le16 avail_event */
};

/* Bytes of each part for a queue of n entries, and the alignment the
 * device requires of its physical address (2.7, "Virtqueue Alignment"). */
static inline uint32_t vq_desc_bytes(unsigned n) { return 16u * n; }
static inline uint32_t vq_avail_bytes(unsigned n) { return 6u + 2u * n; }
static inline uint32_t vq_used_bytes(unsigned n) { return 6u + 8u * n; }
#define VQ_DESC_ALIGN  16u
#define VQ_AVAIL_ALIGN 2u
#define VQ_USED_ALIGN  4u

/* A piece of memory as the driver (va) and the device (pa) address it. */
struct vio_mem {
	void *va;
	uint64_t pa;
};

/* Kinds of device misbehaviour vq_get_used detects, counted separately. */
enum vq_err {
	VQ_ERR_ID_RANGE,     /* used id >= queue size */
	VQ_ERR_NOT_INFLIGHT, /* used id names no buffer the device holds (free, duplicate,
	                        not yet published, or the tail of a chain) */
	VQ_ERR_LEN,          /* used len > the posted len of a device-writable buffer */
	VQ_ERR_IDX,          /* used->idx ahead of what the device holds (per observation) */
	VQ_ERR_KINDS
};
const char *vq_err_name(unsigned kind);

/* Driver-private record of a descriptor (the device cannot touch it). */
struct vq_slot {
	uint32_t cookie;
	uint32_t len;  /* posted length (of the device-writable part) */
	uint16_t pos;  /* avail position it was added at (free-running) */
	uint8_t flags; /* VQ_SLOT_* */
	uint8_t next;  /* with VQ_SLOT_CHAIN: the second descriptor */
};
#define VQ_SLOT_HEAD  1u /* head of a buffer the driver added, not yet returned */
#define VQ_SLOT_TAIL  2u /* second descriptor of a chain */
#define VQ_SLOT_WRITE 4u /* device-writable: its used len is checked */
#define VQ_SLOT_CHAIN 8u

/*
 * One queue. Indices are free-running 16-bit counters as in the spec;
 * a counter & mask is a ring position (size is a power of two dividing
 * 65536). Ranges: [published, avail_idx) added, not yet visible;
 * [last_used, used_seen) used entries already validated as a batch.
 */
struct vq {
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint64_t desc_pa, avail_pa, used_pa;
	uint16_t size, mask;
	uint16_t avail_idx;
	uint16_t published; /* the value last stored to avail->idx */
	uint16_t last_used;
	uint16_t used_seen;
	uint16_t dev_owned; /* buffers published and not yet returned */
	uint16_t nfree;
	uint8_t free_ids[VQ_MAX_SIZE]; /* stack of free descriptor ids, [0, nfree) */
	struct vq_slot slot[VQ_MAX_SIZE];
	uint32_t errors[VQ_ERR_KINDS];
};

/*
 * Set q up over caller memory for size entries (a power of two in
 * [1, VQ_MAX_SIZE]). Each part must have its VQ_*_ALIGN alignment (va and
 * pa alike), lie within one 4 KiB page of physical memory and not overlap
 * the others; the parts are zeroed (the device reads them once the
 * transport publishes their addresses). The memory stays the device's
 * until the device is reset. 0, or -HK_EINVAL (q untouched).
 */
int vq_init(struct vq *q, unsigned size, struct vio_mem desc, struct vio_mem avail,
            struct vio_mem used);

/*
 * Add a buffer of one descriptor: len (> 0) bytes at physical address pa,
 * written by the device if device_writes (RX), read by it otherwise (TX).
 * cookie comes back from vq_get_used. Invisible to the device until
 * vq_publish. 0, -HK_ENOBUFS when no descriptor is free, -HK_EINVAL for len 0.
 */
int vq_add(struct vq *q, uint64_t pa, uint32_t len, bool device_writes, uint32_t cookie);

/*
 * Add one buffer of two descriptors: out_len bytes the device reads, then
 * in_len bytes it writes (the control queue's command and ack). Same
 * returns as vq_add (-HK_ENOBUFS unless two descriptors are free).
 */
int vq_add2(struct vq *q, uint64_t out_pa, uint32_t out_len, uint64_t in_pa, uint32_t in_len,
            uint32_t cookie);

/*
 * Make every buffer added since the last call visible to the device with
 * one store of avail->idx. Returns whether the device wants to be
 * notified (something new and VIRTQ_USED_F_NO_NOTIFY clear); the caller
 * then writes the transport's notify register once (vio_notify).
 */
bool vq_publish(struct vq *q);

/*
 * Harvest one returned buffer.
 *   1: *cookie and *len (bytes the device wrote; 0 for a device-readable
 *      buffer) describe it; it is the caller's again.
 *   0: nothing returned.
 *   -HK_EBADPKT: the buffer *cookie came back but claims more bytes than
 *      were posted (VQ_ERR_LEN): it is the caller's again, its contents
 *      must be dropped; *len is untouched.
 *   -HK_ERANGE: the device misbehaved without returning a buffer: a used
 *      entry naming no buffer in flight (skipped), or used->idx beyond
 *      what the device holds (nothing consumed; the queue makes no
 *      progress until the device corrects it: the caller should stop
 *      polling and reset the device). *cookie and *len untouched.
 */
int vq_get_used(struct vq *q, uint32_t *cookie, uint32_t *len);

/* Ask the device (not) to interrupt when it returns buffers. Advisory
 * (the device may still interrupt); after turning interrupts back on,
 * poll once more: a buffer returned before the device saw the flag does
 * not interrupt. */
void vq_interrupts(struct vq *q, bool on);

/* Descriptors free, and descriptors in use: added and not yet harvested,
 * published or not (one per buffer, two for a vq_add2 buffer). */
static inline unsigned vq_free_count(const struct vq *q) { return q->nfree; }
static inline unsigned vq_inflight(const struct vq *q) { return (unsigned)(q->size - q->nfree); }

#endif
