/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_ARCH_H
#define HEKATE_ARCH_H

/*
 * The one interface every architecture implements (arch/<arch>/).
 * kernel/ includes only this header; it never tests the architecture.
 * Boot information reaches arch code as the plain struct of
 * <hekate/bootinfo.h>; arch code calls back into kernel/ only through
 * kmain(), the kernel_* hooks below and the console/fatal-exit functions of
 * <hekate/kprintf.h>.
 */
#include <arch/context.h> /* struct arch_ctx, struct arch_fpstate: sizes the kernel embeds */
#include <arch/fast.h>    /* inline: arch_phys_to_virt, arch_cpu_id */
#include <hekate/bootinfo.h>
#include <stddef.h>
#include <stdint.h>

struct pmm;

#define ARCH_MAX_CPUS 8

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

/* Secondary CPU entry (MMU, vectors, GIC and this CPU's timer ready, IRQs masked). */
void kmain_secondary(unsigned cpu) __attribute__((noreturn));

/* Called by arch code (interrupts masked) on every timer tick of this CPU. */
void kernel_irq_tick(void);
/*
 * This CPU's timer comparator fired (interrupts masked, after
 * kernel_irq_tick() if the tick was due): the kernel's one-shot deadline
 * has been consumed; the kernel runs what expired and sets the next one
 * with arch_timer_deadline().
 */
void kernel_irq_timer(void);
/* A wake-up IPI arrived on this CPU (interrupts masked). */
void kernel_irq_ipi(void);
/*
 * A device interrupt line (arch_irq_line_*) fired on this CPU. Arch code has
 * already masked the line and ended the interrupt; the line stays masked
 * until the kernel unmasks it (interrupts masked, no lock held).
 */
void kernel_irq_device(uint32_t intid);

/* A user fault, decoded by arch code; the kernel decides the process's fate. */
enum arch_fault_kind {
	ARCH_FAULT_TRANSLATION, /* nothing mapped at addr */
	ARCH_FAULT_PERMISSION,  /* mapped, but not with this access */
	ARCH_FAULT_ALIGN,
	ARCH_FAULT_UNDEF,
	ARCH_FAULT_OTHER
};
struct arch_fault {
	enum arch_fault_kind kind;
	int write, exec;   /* the access that faulted */
	uint64_t pc, addr; /* addr valid for aborts and alignment faults */
	const char *what;  /* architecture's own name, e.g. "data abort" */
};

/*
 * Trap hooks, all called with interrupts masked on the thread's kernel stack:
 * kernel_syscall returns the value for the caller's result register;
 * kernel_user_fault never returns to the faulting instruction (the thread is
 * ended or the kernel switches away); kernel_return_to_user runs last before
 * every return to user mode (rescheduling, pending kills).
 */
uint64_t kernel_syscall(uint64_t nr, const uint64_t args[6]);
void kernel_user_fault(const struct arch_fault *f);
void kernel_return_to_user(void);
/* First code a new thread runs, on its own stack, before entering user mode. */
void kernel_thread_started(void);

/* --- platform ------------------------------------------------------- */
const char *arch_name(void);
/* e_machine of the user programs this kernel runs (EM_AARCH64, EM_RISCV). */
uint16_t arch_elf_machine(void);
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
/* arch_phys_to_virt(pa): kernel VA of physical pa in the linear map (<arch/fast.h>). */
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
/* The PMU cycle counter (guest instructions under QEMU -icount; make bench). */
uint64_t arch_cycles(void);
/* Zero one page-aligned page of normal memory at kernel address kva. */
void arch_page_zero(void *kva);
/*
 * Device interrupt lines (kernel/irq.c; aarch64: GIC SPIs). The kernel
 * serialises calls for one line; arch_irq_line_mask is also safe from the
 * interrupt path without a lock. Masking does not clear a pending
 * interrupt: a level line still asserted fires again once unmasked.
 */
/* 1 if intid names a device line this interrupt controller implements and can route. */
int arch_irq_line_valid(uint32_t intid);
/* Configure the line's trigger (edge or level), route it to CPU `cpu`, unmask it. */
void arch_irq_line_route(uint32_t intid, unsigned cpu, int edge);
void arch_irq_line_mask(uint32_t intid);
void arch_irq_line_unmask(uint32_t intid);

/* --- CPUs ------------------------------------------------------------ */
/* arch_cpu_id(): logical index of the calling CPU, 0 = boot CPU (<arch/fast.h>). */
/*
 * Start CPU `cpu` (bi->cpus[cpu]) on stack_top: it runs kmain_secondary(cpu).
 * 0 or a negative hk_err (PSCI refused, no conduit).
 */
int arch_cpu_start(const struct bootinfo *bi, unsigned cpu, void *stack_top);
/* Send the wake-up IPI to CPU `cpu`. */
void arch_cpu_kick(unsigned cpu);
/* Mask or unmask this CPU's periodic tick (a claimed core runs without it). */
void arch_timer_local(int on);
/*
 * This CPU's one-shot kernel deadline, a counter value (UINT64_MAX: none),
 * replacing the previous one. The comparator fires at the earlier of it
 * and the next tick, also while the tick is masked; a deadline already
 * passed fires at once. Firing consumes it (see kernel_irq_timer).
 * Interrupts masked; the calling CPU only.
 */
void arch_timer_deadline(uint64_t at);

/* --- threads ----------------------------------------------------------- */
/*
 * Prepare ctx so that switching to it enters kernel_thread_started() on
 * kstack_top and then user mode at pc with stack sp, arguments a0, a1.
 */
void arch_ctx_init_user(struct arch_ctx *ctx, void *kstack_top, uint64_t pc, uint64_t sp,
                        uint64_t a0, uint64_t a1);
/* Save callee-saved state in *from, resume *to. Returns when *from is resumed. */
void arch_switch(struct arch_ctx *from, struct arch_ctx *to);
void arch_fp_save(struct arch_fpstate *fp);
void arch_fp_restore(const struct arch_fpstate *fp);
/* The user thread pointer register (picolibc's TLS/errno base). */
uint64_t arch_tp_get(void);
void arch_tp_set(uint64_t tp);

/* --- user address spaces ----------------------------------------------- */
/* Protections for arch_pt_map */
#define PT_R      1u
#define PT_W      2u
#define PT_X      4u
#define PT_DEVICE 8u  /* device memory (MMIO grants) */
#define PT_OWNED  16u /* the page belongs to the address space: freed on destroy */

/* Page source for table pages: returns a zeroed page's PA or 0. */
struct pt_alloc {
	uint64_t (*alloc)(void *ctx);
	void (*free)(void *ctx, uint64_t pa);
	void *ctx;
};
/* A new empty root table, 0 on failure. */
uint64_t arch_pt_create(struct pt_alloc *a);
/* Map one user page. -HK_EEXIST if va is mapped, -HK_ENOMEM, -HK_EINVAL for a bad va. */
int arch_pt_map(uint64_t root, uint64_t va, uint64_t pa, unsigned prot, struct pt_alloc *a);
/* Look up a user page: 0 with *pa and *prot (PT_*), or -HK_ENOENT. */
int arch_pt_lookup(uint64_t root, uint64_t va, uint64_t *pa, unsigned *prot);
/*
 * Translate user va through the address space active on this CPU, as an
 * EL0 read (write = 0) or write would: 0 with *pa when that access is
 * allowed and va is ordinary memory (not a device), else -HK_EFAULT. The
 * hardware walks the tables: no software walk on the syscall path.
 */
int arch_user_pa(uint64_t va, int write, uint64_t *pa);
/*
 * Free every table page and every PT_OWNED leaf page through a->free;
 * returns the number of pages freed. The tables must not be live on any CPU.
 */
uint64_t arch_pt_destroy(uint64_t root, struct pt_alloc *a);
/* Make root/asid this CPU's user address space (root 0: none). */
void arch_vm_activate(uint64_t root, unsigned asid);
/* Drop every TLB entry tagged asid, on all CPUs. */
void arch_vm_flush_asid(unsigned asid);
/* Number of ASIDs the MMU tags (ASID 0 is reserved for "no user space"). */
unsigned arch_vm_asids(void);
/* One line on the user-space protections in force (PAN and friends). */
void arch_vm_describe(char *buf, size_t n);

/*
 * The packet window's fast path (kernel/kan.c): the kernel keeps pointers
 * to the window's last-level entries and flips pages by writing them, with
 * no table walk and no allocation. Entries for consecutive pages are
 * consecutive up to the end of their table (ARCH_PT_LEAF_PAGES per table;
 * a va aligned to ARCH_PT_LEAF_PAGES pages starts a table).
 */
/* The last-level entry of va, creating tables on the way; NULL if out of pages. */
uint64_t *arch_pt_leaf(uint64_t root, uint64_t va, struct pt_alloc *a);
/* Fill an empty entry (prot: PT_R, PT_W; never owned, never executable). */
void arch_pte_set(uint64_t *e, uint64_t pa, unsigned prot);
/* Empty an entry; returns the PA it mapped (0 if none). Flush the TLB after. */
uint64_t arch_pte_clear(uint64_t *e);
/* Drop the TLB entry of user va in asid: on this CPU only (local) or on all CPUs. */
void arch_tlb_flush_page(uint64_t va, unsigned asid, int local);

/* --- MMIO ------------------------------------------------------------ */
uint32_t arch_mmio_read32(uint64_t pa);
void arch_mmio_write32(uint64_t pa, uint32_t v);

/* --- self-test hooks: deliberately fault in a specific way ----------- */
void arch_trigger_undefined(void);

#endif
