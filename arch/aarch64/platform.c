// SPDX-License-Identifier: BSD-2-Clause
/*
 * aarch64 platform basics: boot hand-off to kmain, exit through semihosting,
 * the PL011 console, MMIO, the generic counter.
 */
#include <arch.h>
#include <arch/internal.h>
#include <arch/regs.h>
#include <arch/sysreg.h>
#include <hekate/kprintf.h>
#include <hekate/pmm.h>
#include <string.h>

extern char __kernel_start[], __kernel_end[];

/* QEMU virt: start of RAM, where QEMU puts the DTB for an ELF kernel. */
#define VIRT_RAM_BASE 0x40000000ull
/* QEMU virt's PL011: used only until the DTB names the console. */
#define VIRT_DEFAULT_UART 0x09000000ull

#define UART_DR      0x00
#define UART_FR      0x18
#define UART_FR_TXFF (1u << 5)

static volatile uint32_t *uart = (volatile uint32_t *)(KERNEL_VOFF + VIRT_DEFAULT_UART);
static uint64_t pending_uart_pa; /* DTB UART beyond the early map, switched to after arch_mm_init */

void aarch64_boot(uint64_t dtb_pa, uint64_t entry_el)
{
	static struct arch_boot_args args;
	args.dtb_pa = dtb_pa;
	args.entry_el = (unsigned)entry_el;
	args.run_el = (unsigned)((read_sysreg(CurrentEL) >> 2) & 3);
	args.kernel_start = (uint64_t)__kernel_start - KERNEL_VOFF;
	args.kernel_end = (uint64_t)__kernel_end - KERNEL_VOFF;
	kmain(&args);
}

const char *arch_name(void) { return "aarch64"; }
uint16_t arch_elf_machine(void) { return 183; /* EM_AARCH64 */ }
uint64_t arch_default_dtb_pa(void) { return VIRT_RAM_BASE; }
/* The early map covers GiB 0 (devices) and the kernel's own GiB. */
uint64_t arch_early_map_limit(void)
{
	uint64_t k = (uint64_t)__kernel_start - KERNEL_VOFF;
	return (k & ~((1ull << 30) - 1)) + (1ull << 30);
}

void arch_console_putc(char c)
{
	for (int spin = 0; spin < 1000000 && (uart[UART_FR / 4] & UART_FR_TXFF); spin++)
		;
	uart[UART_DR / 4] = (uint8_t)c;
}

void arch_console_use(const struct bootinfo *bi)
{
	if (bi->uart.base + 0x1000 <= (1ull << 30)) /* inside the early device GiB */
		uart = arch_phys_to_virt(bi->uart.base);
	else
		pending_uart_pa = bi->uart.base;
}

/* Called by mmu.c once the final map (which includes the UART) is live. */
void aarch64_console_remap(void)
{
	if (pending_uart_pa)
		uart = arch_phys_to_virt(pending_uart_pa);
}

static int semihost_exit(int status)
{
	uint64_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint64_t)(int64_t)status};
	register uint64_t x0 __asm__("x0") = SEMIHOST_SYS_EXIT;
	register uint64_t x1 __asm__("x1") = (uint64_t)block;
	__asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
	return (int)x0;
}

/*
 * Exit QEMU with status. Semihosting must be enabled (-semihosting); without
 * it hlt traps, the trap handler calls us again, and we stop the CPU instead
 * of recursing (the host sees a hang it must time out).
 */
void arch_exit(int status)
{
	static int exiting;
	if (!exiting++)
		semihost_exit(status);
	arch_irq_disable();
	for (;;)
		__asm__ volatile("wfi");
}

uint32_t arch_mmio_read32(uint64_t pa) { return *(volatile uint32_t *)arch_phys_to_virt(pa); }
uint64_t arch_cycles(void)
{
	uint64_t v;
	__asm__ volatile("isb; mrs %0, pmccntr_el0" : "=r"(v)::"memory");
	return v;
}

/*
 * DC ZVA zeroes a block (DCZID_EL0: 4 << BS bytes, 64 on Neoverse) per
 * instruction, as Linux's clear_page does: a page is 64 of them against
 * 512 stores and their loop. Pages are zeroed on every KAN allocation and
 * every kernel-made packet (nothing of a previous holder may show).
 */
void arch_page_zero(void *kva)
{
	uint64_t dczid = read_sysreg(dczid_el0);
	if (dczid & 16) { /* DZP: DC ZVA prohibited */
		memset(kva, 0, PAGE_SIZE);
		return;
	}
	uintptr_t p = (uintptr_t)kva, end = p + PAGE_SIZE, bs = 4u << (dczid & 15);
	for (; p < end; p += bs)
		__asm__ volatile("dc zva, %0" ::"r"(p) : "memory");
}

void arch_mmio_write32(uint64_t pa, uint32_t v) { *(volatile uint32_t *)arch_phys_to_virt(pa) = v; }

uint64_t arch_counter(void)
{
	isb();
	return read_sysreg(cntvct_el0);
}

uint64_t arch_counter_freq(void) { return read_sysreg(cntfrq_el0); }
void arch_irq_enable(void) { __asm__ volatile("msr daifclr, #2" ::: "memory"); }
void arch_irq_disable(void) { __asm__ volatile("msr daifset, #2" ::: "memory"); }
void arch_wait_for_interrupt(void) { __asm__ volatile("wfi" ::: "memory"); }
void arch_trigger_undefined(void) { __asm__ volatile("udf #0"); }
