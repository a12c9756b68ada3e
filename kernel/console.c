// SPDX-License-Identifier: BSD-2-Clause
/*
 * kprintf and the fatal exits. Single CPU, interrupts may be on: a line can
 * interleave with an IRQ's output, which is acceptable for a boot console.
 */
#include <arch.h>
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

int kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vformat(console_putc, NULL, fmt, ap);
	va_end(ap);
	return n;
}

static void fatal(int status, const char *what, const char *fmt, va_list ap)
{
	arch_irq_disable();
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
