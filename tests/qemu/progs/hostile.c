// SPDX-License-Identifier: BSD-2-Clause
/*
 * A hostile process: calls every system call with garbage (kernel
 * addresses, unmapped and read-only pointers, ranges running off the end of
 * a mapping, huge lengths, unaligned values, unknown numbers) in a bounded
 * loop. Every call must fail with an error; the kernel must not panic. Its
 * pages are checked by init's free-page comparison after it exits.
 */
#include <hekate/user.h>
#include <stdio.h>
#include <stdlib.h>

#define CALLS 120000

int main(void);

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t stack_end(void)
{
	return HK_STACK_TOP - 8; /* a valid byte: the rest of any struct runs past the stack top */
}

/* Pointers no call may accept for output (or, for the first five, input either). */
static uint64_t bad_ptr(int out)
{
	static const uint64_t fixed[] = {
	    0,
	    0x10,                  /* below the user base */
	    0xffffff8040200000ull, /* kernel text */
	    0xffffffffffffffffull, /* wraps */
	    0x123456789000ull,     /* unmapped, above the user half */
	    0x3000000000ull,       /* unmapped, inside the user half */
	};
	unsigned n = sizeof(fixed) / sizeof(fixed[0]);
	uint64_t r = next() % (n + 2);
	if (r < n)
		return fixed[r];
	if (r == n)
		return stack_end();
	return out ? (uint64_t)(uintptr_t)main : fixed[2]; /* text is read-only */
}

static uint64_t bad_len(void)
{
	static const uint64_t lens[] = {HK_CONSOLE_MAX + 1, 1ull << 40, ~0ull,
	                                0x7fffffffffffffffull};
	return lens[next() % 4];
}

static uint64_t junk(void)
{
	switch (next() % 4) {
	case 0: return next();
	case 1: return ~0ull - (next() & 0xff);
	case 2: return 1ull << (next() % 64);
	default: return (uint64_t) - (int64_t)(next() & 0xffff);
	}
}

/* A KAN, timer, IRQ or DMA call that must fail: this process holds no
 * packets, binds nothing, arms no timer and has no device grant. */
static int64_t kan_garbage(void)
{
	struct hk_pkt *bad = (struct hk_pkt *)(uintptr_t)bad_ptr(1);
	uint32_t ep = (uint32_t)next();
	switch (next() % 16) {
	case 15: /* no grants: every grant index is ENOENT, whatever the rest */
		return hk_dma_addr((unsigned)junk(), bad, (unsigned)junk(),
		                   (uint64_t *)(uintptr_t)bad_ptr(1));
	case 10: /* a pointer that may even be readable, with a depth never valid (odd, >= 3) */
		return hk_kan_join((const struct hk_addr *)(uintptr_t)bad_ptr(1),
		                   3 + 2 * (unsigned)(next() % 1000));
	case 11: /* ep out of range, any id, delays and periods */
		return hk_timer_arm(HK_KAN_MAX_EPS + (unsigned)(next() % 100000), (unsigned)junk(),
		                    junk(), junk());
	case 12: return hk_timer_cancel((unsigned)junk()); /* nothing is armed */
	case 13: return hk_irq_bind((unsigned)junk(), (unsigned)junk()); /* it has no grants */
	case 14: return hk_irq_ack((unsigned)junk());
	case 0: return hk_kan_send1(junk(), (unsigned)junk());
	case 1: return hk_kan_free1(junk());
	case 2: return hk_kan_recv1(HK_KAN_MAX_EPS + (unsigned)(next() % 100000), junk());
	case 3: return hk_kan_send(bad, 1 + (unsigned)(next() % 64), 0);
	case 4: return hk_kan_recv(&ep, 1 + (unsigned)(next() % 16), bad, (unsigned)junk(), 0);
	case 5: return hk_kan_alloc(bad, 1 + (unsigned)(next() % 64));
	case 6: return hk_kan_bind(0x10000 + (unsigned)(next() % 1000), (unsigned)junk());
	case 7: return hk_kan_close(HK_KAN_MAX_EPS + (unsigned)(next() % 100000));
	case 8: return hk_kan_stat(3 + (unsigned)(next() % 100), (unsigned)junk(), bad);
	default: return hk_kan_self((struct hk_kan_self *)(uintptr_t)bad_ptr(1));
	}
}

/* One garbage call; returns its result. */
static int64_t garbage_call(unsigned *which)
{
	*which = (unsigned)(next() % 17);
	switch (*which) {
	case 0: return hk_raw_syscall(HK_NR_SYSCALLS + (next() % 1000), junk(), junk(), 0, 0, 0, 0);
	case 1: return hk_raw_syscall(junk() | (1ull << 63), 0, 0, 0, 0, 0, 0);
	case 2: return hk_console_write((const void *)(uintptr_t)bad_ptr(0), 9 + next() % 64);
	case 3: return hk_console_write("x", bad_len());
	case 4: return hk_self((struct hk_self *)(uintptr_t)bad_ptr(1));
	case 5: return hk_thread_create(bad_ptr(0) | (next() & 3), junk(), junk());
	case 6: return hk_futex_wait((const uint32_t *)(uintptr_t)(bad_ptr(0) | 1), 0, 1000);
	case 7: return hk_futex_wait((const uint32_t *)(uintptr_t)bad_ptr(0), (uint32_t)junk(), 1);
	case 8:
		return hk_futex_wake((const uint32_t *)(uintptr_t)(bad_ptr(0) | 2),
		                     (unsigned)junk());
	case 9:
		return hk_brk(next() % 2 ? 0x10000 + (next() & 0xfff)
		                         : (1ull << 40) + junk() % 4096);
	case 10: return hk_core_stat((unsigned)(8 + next() % 1000), 0);
	case 11: return hk_core_stat(0, (struct hk_core_stat *)(uintptr_t)bad_ptr(1));
	case 12: return hk_kstat((struct hk_kstat *)(uintptr_t)bad_ptr(1));
	case 13: return hk_proc_info((unsigned)junk() | 0x1000, 0);
	case 14: return hk_dev_info((unsigned)next(), (struct hk_dev_info *)(uintptr_t)bad_ptr(1));
	case 15: return kan_garbage();
	default:
		switch (next() % 4) {
		case 0: return hk_spawn((unsigned)junk());
		case 1: return hk_kill((int)junk());
		case 2: return hk_wait((struct hk_exit_info *)(uintptr_t)bad_ptr(1), junk());
		default: return hk_sleep_us(HK_TIMEOUT_FOREVER);
		}
	}
}

int main(void)
{
	unsigned errs[32] = {0};
	for (long i = 0; i < CALLS; i++) {
		unsigned which;
		uint64_t seed = rng;
		int64_t r = garbage_call(&which);
		if (r >= 0)
			hk_fail("call %ld (kind %u, seed 0x%llx) returned %lld instead of an error",
			        i, which, (unsigned long long)seed, (long long)r);
		errs[-r < 32 ? -r : 0]++;
	}
	printf("hostile: %d garbage calls, every one refused:", CALLS);
	for (int e = 1; e < 32; e++)
		if (errs[e])
			printf(" %s %u,", hk_strerror(-e), errs[e]);
	printf(" kernel still fine\n");
	return 0;
}
