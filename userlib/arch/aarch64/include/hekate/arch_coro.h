/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_USER_ARCH_CORO_H
#define HEKATE_USER_ARCH_CORO_H

/*
 * aarch64 coroutine context (userlib/coro.c, arch/aarch64/coro_switch.S).
 * A switch is an ordinary call, so it saves only what AAPCS64 says a callee
 * must preserve: x19-x28, the frame pointer x29, the link register x30
 * (where the switch returns to), sp, the low 64 bits of v8-v15 (d8-d15)
 * and FPCR (rounding mode and the other FP control bits are preserved
 * across calls). FPSR's cumulative flags are not preserved across calls,
 * so they are not switched. The offsets are fixed: coro_switch.S uses them.
 */
#include <stdint.h>

struct hk_coro_ctx {
	uint64_t x19_x30[12]; /* offset 0: x19..x28, x29 (fp), x30 (lr) */
	uint64_t sp;          /* offset 96 */
	uint64_t d8_d15[8];   /* offset 104 */
	uint64_t fpcr;        /* offset 168 */
};

/* Save the running context in *save and continue in *load. Returns when
 * something switches back to *save. */
void hk_coro_switch(struct hk_coro_ctx *save, const struct hk_coro_ctx *load);

/* The first code a new context runs (coro_switch.S): calls entry(arg). */
void hk_coro_trampoline(void);

/*
 * Make *c start entry(arg) on the stack whose top (highest address,
 * 16-byte aligned) is stack_top, with the FP control bits of the caller.
 * entry must never return (coro.c's entry switches away for good).
 */
static inline void hk_coro_ctx_init(struct hk_coro_ctx *c, void *stack_top, void (*entry)(void *),
                                    void *arg)
{
	uint64_t fpcr;
	__asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
	*c = (struct hk_coro_ctx){0};
	c->x19_x30[0] = (uint64_t)(uintptr_t)entry; /* x19: the trampoline calls it */
	c->x19_x30[1] = (uint64_t)(uintptr_t)arg;   /* x20: its argument */
	c->x19_x30[11] = (uint64_t)(uintptr_t)hk_coro_trampoline;
	c->sp = (uint64_t)(uintptr_t)stack_top;
	c->fpcr = fpcr;
}

#endif
