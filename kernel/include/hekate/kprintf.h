/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_KPRINTF_H
#define HEKATE_KPRINTF_H

#include <stddef.h>

/* Kernel console output (polled UART through arch_console_putc); one call is never interleaved. */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Raw bytes (user console output), kept whole like a kprintf call; '\n' becomes CR LF. */
void console_write(const char *buf, size_t len);

/* Print "panic: ...", exit QEMU with HK_EXIT_PANIC. For broken kernel invariants only. */
void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Print "boot failed: ...", exit with HK_EXIT_BOOT_FAIL. For unusable machines (bad DTB, too little
 * RAM). */
void boot_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
