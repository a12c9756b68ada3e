/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef VIRTIO_BARRIER_H
#define VIRTIO_BARRIER_H

/*
 * Ordering between the driver's ring memory and the device. The device
 * is another observer of the same memory (QEMU's emulation runs as
 * another host thread, or traps the access in the vCPU), so the C11
 * fences, which order this CPU's accesses as any other CPU sees them,
 * are what the split ring needs; the compiler picks the instruction
 * (dmb ish / dmb ishld on aarch64, fence rw,w / fence r,rw on riscv64),
 * so there is no arch #ifdef. A real non-coherent DMA master would need
 * stronger, arch-provided barriers; we have none (docs: no IOMMU, QEMU).
 *
 * Where each one goes (virtio 1.2, 2.7.13 and 2.7.14):
 *  - vio_fence_publish(), a release fence, before the store of avail->idx:
 *    the device reads avail->idx and then the ring entries and descriptors
 *    it covers; without the fence those earlier stores could become visible
 *    after the index, and the device would DMA to or from a stale address.
 *    The same fence before the QueueNotify write (vio_notify): the device
 *    may act on the notification at once, so everything it will read must
 *    already be visible.
 *  - vio_fence_consume(), an acquire fence, after reading used->idx and
 *    before reading the used entries (and the buffers) it covers: otherwise
 *    those reads could be satisfied before the index read, i.e. return what
 *    was there before the device wrote it.
 *  - vio_fence_full() between storing avail->idx and reading used->flags:
 *    a store followed by a load needs a full fence; without it the flag
 *    read could see "no notification wanted" from before the device saw
 *    the new index and went to sleep, and the notification would be lost.
 */

static inline void vio_fence_publish(void) { __atomic_thread_fence(__ATOMIC_RELEASE); }
static inline void vio_fence_consume(void) { __atomic_thread_fence(__ATOMIC_ACQUIRE); }
static inline void vio_fence_full(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

#endif
