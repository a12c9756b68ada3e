/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_KERNEL_KANCTL_H
#define HEKATE_KERNEL_KANCTL_H

/*
 * The kernel's control service (kernel/kanctl.c, docs/kan-control.md):
 * requests are UDP packets to the kernel's KAN address, port 1.
 */
#include <hekate/kan.h>
#include <stddef.h>
#include <stdint.h>

struct proc;

#define KANCTL_DROP    (-1L) /* malformed beyond answering: drop, count BAD_CONTROL */
#define KANCTL_NO_PORT (-2L) /* UDP to a kernel port nobody serves */

/*
 * Run the request in the packet ip[0..len) (a checked IPv6 header) that
 * process p sent to the kernel's address kaddr, and write the whole response
 * packet (IPv6 + UDP, from kaddr port 1 back to the requester) to out[0..cap).
 * Returns its length, or KANCTL_DROP / KANCTL_NO_PORT. No KAN lock held.
 */
long kanctl_answer(struct proc *p, const uint8_t *ip, size_t len, const struct hk_addr *kaddr,
                   uint8_t *out, size_t cap);

#endif
