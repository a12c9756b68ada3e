/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_AARCH64_INTERNAL_H
#define HEKATE_AARCH64_INTERNAL_H
/* Calls between the aarch64 files (not part of arch.h). */
#include <arch/regs.h>
#include <hekate/bootinfo.h>
#include <stdint.h>

/* The register state entry.S saves on every exception (layout in regs.h). */
struct trap_frame {
	uint64_t x[31];
	uint64_t elr, spsr, sp, pad[2];
};
_Static_assert(sizeof(struct trap_frame) == FRAME_SIZE, "frame layout");
_Static_assert(__builtin_offsetof(struct trap_frame, elr) == FRAME_ELR, "frame layout");
_Static_assert(__builtin_offsetof(struct trap_frame, spsr) == FRAME_SPSR, "frame layout");
_Static_assert(__builtin_offsetof(struct trap_frame, sp) == FRAME_SP, "frame layout");

void aarch64_boot(uint64_t dtb_pa, uint64_t entry_el) __attribute__((noreturn));
void aarch64_secondary(uint64_t cpu) __attribute__((noreturn));
void aarch64_console_remap(void);
void aarch64_handle_irq(void);
/* Per-CPU setup shared by the boot CPU and the secondaries: FP access, PAN, user-space bits. */
void aarch64_cpu_setup(unsigned cpu);
int aarch64_has_pan(void);
/* GIC redistributor + CPU interface and the tick for a secondary CPU. */
int aarch64_gic_init_cpu(const struct bootinfo *bi, unsigned cpu);
/* Physical root of the kernel's final TTBR1 tables (secondaries load it). */
extern uint64_t aarch64_kernel_root;
extern uint64_t aarch64_empty_root;
void trap_entry(struct trap_frame *f, uint64_t kind);
void thread_trampoline(void);
void secondary_entry(void); /* physical entry point given to PSCI CPU_ON */

#endif
