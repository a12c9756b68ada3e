/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_KAN_NOTIFY_H
#define HEKATE_KAN_NOTIFY_H

/*
 * What the kernel tells a process without being asked: timer expiries and
 * interrupts (docs/kan.md, "Packets from the kernel"). Each is one UDP
 * datagram from the kernel's address (prefix::1) whose source and
 * destination port name the service, carrying one of the messages below.
 * All integers are big-endian. Header: u8 version (1), u8 type, u16 zero.
 *
 *   timer (port 2), 32 bytes: header, u32 timer id, u64 due (µs, the
 *     deadline it was armed for), u64 fired (µs, when the kernel sent it),
 *     u32 missed (periods that passed while an earlier expiry of this
 *     timer was still undelivered or dropped, coalesced into this one),
 *     u32 zero.
 *   irq (port 3), 24 bytes: header, u32 irq (the grant index), u32 intid
 *     (the interrupt controller's number), u64 count (interrupts taken on
 *     this grant so far, this one included).
 *
 * Header-only so the kernel, userlib and host tests share one definition.
 */
#include <kan/wire.h>
#include <stddef.h>
#include <stdint.h>

#define KAN_PORT_CTL   1u /* control requests and responses (docs/kan-control.md) */
#define KAN_PORT_TIMER 2u
#define KAN_PORT_IRQ   3u

#define KAN_NOTIFY_VERSION 1u
#define KAN_NOTIFY_TIMER   1u
#define KAN_NOTIFY_IRQ     2u
#define KAN_TIMER_MSG_LEN  32u
#define KAN_IRQ_MSG_LEN    24u

struct kan_timer_msg {
	uint32_t timer;
	uint64_t due_us, fired_us;
	uint32_t missed;
};

struct kan_irq_msg {
	uint32_t irq, intid;
	uint64_t count;
};

static inline void kan_notify_header(uint8_t *p, uint8_t type)
{
	p[0] = KAN_NOTIFY_VERSION;
	p[1] = type;
	p[2] = p[3] = 0;
}

/* 0 if p[0..len) is a well-formed message of this type and size. */
static inline int kan_notify_check(const uint8_t *p, size_t len, uint8_t type, size_t want)
{
	return len == want && p[0] == KAN_NOTIFY_VERSION && p[1] == type && !p[2] && !p[3] ? 0 : -1;
}

/* Writes KAN_TIMER_MSG_LEN bytes at p. */
static inline void kan_timer_msg_encode(uint8_t *p, const struct kan_timer_msg *m)
{
	kan_notify_header(p, KAN_NOTIFY_TIMER);
	kan_put32(p + 4, m->timer);
	kan_put64(p + 8, m->due_us);
	kan_put64(p + 16, m->fired_us);
	kan_put32(p + 24, m->missed);
	kan_put32(p + 28, 0);
}

static inline int kan_timer_msg_decode(const uint8_t *p, size_t len, struct kan_timer_msg *m)
{
	if (kan_notify_check(p, len, KAN_NOTIFY_TIMER, KAN_TIMER_MSG_LEN) || kan_get32(p + 28))
		return -1;
	m->timer = kan_get32(p + 4);
	m->due_us = kan_get64(p + 8);
	m->fired_us = kan_get64(p + 16);
	m->missed = kan_get32(p + 24);
	return 0;
}

/* Writes KAN_IRQ_MSG_LEN bytes at p. */
static inline void kan_irq_msg_encode(uint8_t *p, const struct kan_irq_msg *m)
{
	kan_notify_header(p, KAN_NOTIFY_IRQ);
	kan_put32(p + 4, m->irq);
	kan_put32(p + 8, m->intid);
	kan_put64(p + 12, m->count);
	kan_put32(p + 20, 0);
}

static inline int kan_irq_msg_decode(const uint8_t *p, size_t len, struct kan_irq_msg *m)
{
	if (kan_notify_check(p, len, KAN_NOTIFY_IRQ, KAN_IRQ_MSG_LEN) || kan_get32(p + 20))
		return -1;
	m->irq = kan_get32(p + 4);
	m->intid = kan_get32(p + 8);
	m->count = kan_get64(p + 12);
	return 0;
}

#endif
