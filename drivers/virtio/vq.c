// SPDX-License-Identifier: BSD-2-Clause
/*
 * Split virtqueues, driver side (contracts in <virtio/vq.h>). Everything
 * the device writes (used->idx, used entries) is read exactly once into a
 * local and checked against the driver's private slot records before it
 * is believed; the ring parts the device reads are written with the
 * fences of <virtio/barrier.h>.
 */
#include <hekate/errno.h>
#include <stddef.h>
#include <string.h>
#include <virtio/barrier.h>
#include <virtio/le.h>
#include <virtio/vq.h>

static const char *const vq_err_names[VQ_ERR_KINDS] = {
    [VQ_ERR_ID_RANGE] = "used-id-range",
    [VQ_ERR_NOT_INFLIGHT] = "used-id-not-in-flight",
    [VQ_ERR_LEN] = "used-len",
    [VQ_ERR_IDX] = "used-idx-ahead",
};

const char *vq_err_name(unsigned kind) { return kind < VQ_ERR_KINDS ? vq_err_names[kind] : "?"; }

/* m is non-null, aligned (va and pa) and [pa, pa + bytes) stays in one page. */
static bool part_ok(struct vio_mem m, uint32_t bytes, uint32_t align)
{
	return m.va && !((uintptr_t)m.va & (align - 1)) && !(m.pa & (align - 1)) &&
	       (m.pa & (VQ_PAGE - 1)) + bytes <= VQ_PAGE;
}

/* [a, a + alen) and [b, b + blen) do not overlap (written so nothing wraps). */
static bool apart(uint64_t a, uint32_t alen, uint64_t b, uint32_t blen)
{
	return a < b ? b - a >= alen : a - b >= blen;
}

static bool parts_apart(struct vio_mem a, uint32_t alen, struct vio_mem b, uint32_t blen)
{
	return apart(a.pa, alen, b.pa, blen) && apart((uintptr_t)a.va, alen, (uintptr_t)b.va, blen);
}

int vq_init(struct vq *q, unsigned size, struct vio_mem desc, struct vio_mem avail,
            struct vio_mem used)
{
	if (!size || size > VQ_MAX_SIZE || (size & (size - 1)))
		return -HK_EINVAL;
	uint32_t db = vq_desc_bytes(size), ab = vq_avail_bytes(size), ub = vq_used_bytes(size);
	if (!part_ok(desc, db, VQ_DESC_ALIGN) || !part_ok(avail, ab, VQ_AVAIL_ALIGN) ||
	    !part_ok(used, ub, VQ_USED_ALIGN) || !parts_apart(desc, db, avail, ab) ||
	    !parts_apart(desc, db, used, ub) || !parts_apart(avail, ab, used, ub))
		return -HK_EINVAL;
	memset(q, 0, sizeof(*q));
	memset(desc.va, 0, db);
	memset(avail.va, 0, ab);
	memset(used.va, 0, ub);
	q->desc = desc.va;
	q->avail = avail.va;
	q->used = used.va;
	q->desc_pa = desc.pa;
	q->avail_pa = avail.pa;
	q->used_pa = used.pa;
	q->size = (uint16_t)size;
	q->mask = (uint16_t)(size - 1);
	q->nfree = (uint16_t)size;
	for (unsigned i = 0; i < size; i++) /* ids come off the stack as 0, 1, 2, ... */
		q->free_ids[i] = (uint8_t)(size - 1 - i);
	return 0;
}

static void desc_fill(struct vq *q, unsigned id, uint64_t pa, uint32_t len, uint16_t flags,
                      uint16_t next)
{
	struct virtq_desc *d = &q->desc[id];
	d->addr = vio_le64(pa);
	d->len = vio_le32(len);
	d->flags = vio_le16(flags);
	d->next = vio_le16(next);
}

/* Record head descriptor id as added and put it in the next avail entry
 * (visible to the device only after vq_publish). */
static void avail_push(struct vq *q, unsigned id, uint32_t cookie, uint32_t len, uint8_t flags)
{
	struct vq_slot *s = &q->slot[id];
	s->cookie = cookie;
	s->len = len;
	s->pos = q->avail_idx;
	s->flags = flags;
	q->avail->ring[q->avail_idx & q->mask] = vio_le16((uint16_t)id);
	q->avail_idx++;
}

int vq_add(struct vq *q, uint64_t pa, uint32_t len, bool device_writes, uint32_t cookie)
{
	if (!len)
		return -HK_EINVAL;
	if (!q->nfree)
		return -HK_ENOBUFS;
	unsigned id = q->free_ids[--q->nfree];
	desc_fill(q, id, pa, len, device_writes ? VIRTQ_DESC_F_WRITE : 0, 0);
	avail_push(q, id, cookie, len, VQ_SLOT_HEAD | (device_writes ? VQ_SLOT_WRITE : 0));
	return 0;
}

int vq_add2(struct vq *q, uint64_t out_pa, uint32_t out_len, uint64_t in_pa, uint32_t in_len,
            uint32_t cookie)
{
	if (!out_len || !in_len)
		return -HK_EINVAL;
	if (q->nfree < 2)
		return -HK_ENOBUFS;
	unsigned head = q->free_ids[--q->nfree];
	unsigned tail = q->free_ids[--q->nfree];
	desc_fill(q, head, out_pa, out_len, VIRTQ_DESC_F_NEXT, (uint16_t)tail);
	desc_fill(q, tail, in_pa, in_len, VIRTQ_DESC_F_WRITE, 0);
	q->slot[tail].flags = VQ_SLOT_TAIL;
	q->slot[head].next = (uint8_t)tail;
	avail_push(q, head, cookie, in_len, VQ_SLOT_HEAD | VQ_SLOT_WRITE | VQ_SLOT_CHAIN);
	return 0;
}

bool vq_publish(struct vq *q)
{
	uint16_t n = (uint16_t)(q->avail_idx - q->published);
	if (!n)
		return false;
	vio_fence_publish(); /* descriptors and ring entries before the index */
	__atomic_store_n(&q->avail->idx, vio_le16(q->avail_idx), __ATOMIC_RELAXED);
	q->published = q->avail_idx;
	q->dev_owned = (uint16_t)(q->dev_owned + n);
	vio_fence_full(); /* the index store before the flags load */
	uint16_t flags = vio_le16(__atomic_load_n(&q->used->flags, __ATOMIC_RELAXED));
	return !(flags & VIRTQ_USED_F_NO_NOTIFY);
}

/*
 * Read used->idx once for a new batch. The device can have returned at
 * most what it holds; more is a lie we refuse without consuming anything.
 * 1 when [last_used, used_seen) is a new non-empty batch, else 0 or -HK_ERANGE.
 */
static int used_batch(struct vq *q)
{
	uint16_t idx = vio_le16(__atomic_load_n(&q->used->idx, __ATOMIC_RELAXED));
	uint16_t n = (uint16_t)(idx - q->last_used);
	if (!n)
		return 0;
	if (n > q->dev_owned) {
		q->errors[VQ_ERR_IDX]++;
		return -HK_ERANGE;
	}
	vio_fence_consume(); /* the entries (and buffers) after the index */
	q->used_seen = idx;
	return 1;
}

/* Head id names a buffer the device holds: added, published, not returned. */
static bool in_flight(const struct vq *q, const struct vq_slot *s)
{
	uint16_t unpublished = (uint16_t)(q->avail_idx - q->published);
	return (s->flags & VQ_SLOT_HEAD) && (uint16_t)(s->pos - q->published) >= unpublished;
}

/* Give the buffer's descriptors back to the free stack. */
static void slot_release(struct vq *q, unsigned id, struct vq_slot *s)
{
	if (s->flags & VQ_SLOT_CHAIN) {
		q->slot[s->next].flags = 0;
		q->free_ids[q->nfree++] = s->next;
	}
	s->flags = 0;
	q->free_ids[q->nfree++] = (uint8_t)id;
	q->dev_owned--;
}

int vq_get_used(struct vq *q, uint32_t *cookie, uint32_t *len)
{
	if (q->last_used == q->used_seen) {
		int r = used_batch(q);
		if (r <= 0)
			return r;
	}
	struct virtq_used_elem *e = &q->used->ring[q->last_used & q->mask];
	uint32_t id = vio_le32(__atomic_load_n(&e->id, __ATOMIC_RELAXED));
	uint32_t ulen = vio_le32(__atomic_load_n(&e->len, __ATOMIC_RELAXED));
	q->last_used++;
	if (id >= q->size) {
		q->errors[VQ_ERR_ID_RANGE]++;
		return -HK_ERANGE;
	}
	struct vq_slot *s = &q->slot[id];
	if (!in_flight(q, s)) {
		q->errors[VQ_ERR_NOT_INFLIGHT]++;
		return -HK_ERANGE;
	}
	bool writes = s->flags & VQ_SLOT_WRITE;
	slot_release(q, id, s);
	*cookie = s->cookie;
	if (writes && ulen > s->len) {
		q->errors[VQ_ERR_LEN]++;
		return -HK_EBADPKT;
	}
	*len = writes ? ulen : 0;
	return 1;
}

void vq_interrupts(struct vq *q, bool on)
{
	uint16_t flags = on ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT;
	__atomic_store_n(&q->avail->flags, vio_le16(flags), __ATOMIC_RELAXED);
	vio_fence_full(); /* the flag before the caller's next look at used->idx */
}
