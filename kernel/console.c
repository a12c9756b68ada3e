// SPDX-License-Identifier: BSD-2-Clause
/*
 * kprintf, user console output and the fatal exits. One lock keeps each
 * kprintf call and each user write whole when several CPUs print; it is
 * re-entrant on the CPU that holds it, so a panic while printing still
 * prints. Spins are bounded: a CPU that dies holding it cannot hang others.
 */
#include <arch.h>
#include <ck_pr.h>
#include <hekate/exit.h>
#include <hekate/fmt.h>
#include <hekate/kprintf.h>

static void console_putc(void *ctx, char c)
{
	(void)ctx;
	if (c == '\n')
		arch_console_putc('\r');
	arch_console_putc(c);
}

#define NO_OWNER   (-1)
#define SPIN_LIMIT 50000000

static int owner = NO_OWNER;
static unsigned depth;

static void console_lock(void)
{
	int me = (int)arch_cpu_id();
	if (ck_pr_load_int(&owner) == me) {
		depth++;
		return;
	}
	for (long spin = 0; spin < SPIN_LIMIT; spin++)
		if (ck_pr_cas_int(&owner, NO_OWNER, me))
			break;
	ck_pr_fence_acquire();
	owner = me; /* taken, or forced after the bound */
	depth = 1;
}

static void console_unlock(void)
{
	if (--depth)
		return;
	ck_pr_fence_release();
	ck_pr_store_int(&owner, NO_OWNER);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	console_lock();
	int n = fmt_vformat(console_putc, NULL, fmt, ap);
	console_unlock();
	va_end(ap);
	return n;
}

void console_write(const char *buf, size_t len)
{
	console_lock();
	for (size_t i = 0; i < len; i++)
		console_putc(NULL, buf[i]);
	console_unlock();
}

static void fatal(int status, const char *what, const char *fmt, va_list ap)
{
	arch_irq_disable();
	console_lock();
	kprintf("%s: ", what);
	fmt_vformat(console_putc, NULL, fmt, ap);
	kprintf("\n%s: exit status %d\n", what, status);
	arch_exit(status);
}

void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fatal(HK_EXIT_PANIC, "panic", fmt, ap);
	va_end(ap);
	for (;;)
		;
}

void boot_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fatal(HK_EXIT_BOOT_FAIL, "boot failed", fmt, ap);
	va_end(ap);
	for (;;)
		;
}
