/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_ARCH_H
#define HEKATE_ARCH_H

/*
 * The one interface every architecture implements (arch/<arch>/).
 * kernel/ includes only this header; it never tests the architecture.
 * Boot information reaches arch code as the plain struct of
 * <hekate/bootinfo.h>; arch code calls back into kernel/ only through
 * kmain(), kernel_irq_tick() and the console/fatal-exit functions of
 * <hekate/kprintf.h>.
 */
#include <hekate/bootinfo.h>
#include <stddef.h>
#include <stdint.h>

struct pmm;

/* What the entry code knows before anything is parsed. */
struct arch_boot_args {
	uint64_t dtb_pa;       /* DTB address from the boot protocol, 0 if none given */
	unsigned entry_el;     /* privilege level the kernel was entered at */
	unsigned run_el;       /* privilege level it runs at */
	uint64_t kernel_start; /* physical extent of the loaded image, bss included */
	uint64_t kernel_end;
};

/* Kernel entry, called once on the boot CPU with the early mapping live. */
void kmain(const struct arch_boot_args *args) __attribute__((noreturn));

/* Called by arch code (interrupts masked) on every timer tick. */
void kernel_irq_tick(void);

/* --- platform ------------------------------------------------------- */
const char *arch_name(void);
/* Where the platform puts a DTB when the boot protocol passes none (QEMU virt: start of RAM). */
uint64_t arch_default_dtb_pa(void);
/* Leave the machine with a status the host can read. Never returns. */
void arch_exit(int status) __attribute__((noreturn));

/* --- console -------------------------------------------------------- */
/* Until arch_console_use() the platform's default UART is used. */
void arch_console_putc(char c);
/* Switch to the UART the DTB named (physical base). */
void arch_console_use(const struct bootinfo *bi);

/* --- memory --------------------------------------------------------- */
/* Kernel VA of physical pa in the linear map. */
void *arch_phys_to_virt(uint64_t pa);
/* Bytes of physical memory reachable through the early boot mapping, counted from 0. */
uint64_t arch_early_map_limit(void);
/*
 * Build and switch to the final kernel page tables: RAM ranges read/write,
 * never executable; the image with per-section permissions; the devices in bi
 * as device memory; nothing else (TTBR0/user half empty). Table pages come
 * from pmm. Returns 0 or a negative hk_err.
 */
int arch_mm_init(const struct bootinfo *bi, struct pmm *pmm);
/* One line describing the mapping, for the boot summary. */
void arch_mm_describe(char *buf, size_t n);

/* --- interrupts and time ------------------------------------------- */
int arch_irq_init(const struct bootinfo *bi, char *err, size_t errlen);
void arch_irq_enable(void);
void arch_irq_disable(void);
void arch_wait_for_interrupt(void);
/* Start a periodic tick of hz; kernel_irq_tick() runs on each. */
int arch_timer_start(const struct bootinfo *bi, unsigned hz);
uint64_t arch_counter(void);
uint64_t arch_counter_freq(void);

/* --- MMIO ------------------------------------------------------------ */
uint32_t arch_mmio_read32(uint64_t pa);

/* --- self-test hooks: deliberately fault in a specific way ----------- */
void arch_trigger_undefined(void);

#endif
