// SPDX-License-Identifier: BSD-2-Clause
/*
 * Per-CPU setup and secondary bring-up through PSCI CPU_ON (conduit hvc or
 * smc, as the DTB's /psci node says). A secondary enters secondary_entry
 * (boot.S) at its physical address with the MMU off, turns on the MMU with
 * the kernel's final tables, and arrives in aarch64_secondary(cpu).
 * TPIDR_EL1 holds the logical CPU index.
 */
#include <arch.h>
#include <arch/internal.h>
#include <arch/regs.h>
#include <arch/sysreg.h>
#include <hekate/errno.h>
#include <hekate/kprintf.h>

#define PSCI_CPU_ON_64 0xc4000003u
#define CPACR_FPEN     (3u << 20) /* no FP/SIMD traps at EL0/EL1 */
#define SCTLR_SPAN     (1u << 23) /* clear: PSTATE.PAN is set on every exception */
#define SCTLR_DZE      (1u << 14) /* EL0 may use DC ZVA (picolibc's memset) */
#define SCTLR_UCT      (1u << 15) /* EL0 may read CTR_EL0 */

/* Read with the MMU off by secondary_entry: kept cleaned to the point of coherency. */
uint64_t aarch64_secondary_stack[ARCH_MAX_CPUS];
static const struct bootinfo *boot_bi;

static void clean_to_poc(const void *p, size_t n)
{
	for (uintptr_t a = (uintptr_t)p & ~63ul; a < (uintptr_t)p + n; a += 64)
		__asm__ volatile("dc cvac, %0" ::"r"(a) : "memory");
	dsb(sy);
}

int aarch64_has_pan(void) { return ((read_sysreg(id_aa64mmfr1_el1) >> 20) & 0xf) != 0; }


void aarch64_cpu_setup(unsigned cpu)
{
	write_sysreg(tpidr_el1, cpu);
	write_sysreg(cpacr_el1, CPACR_FPEN);
	uint64_t sctlr = read_sysreg(sctlr_el1) | SCTLR_DZE | SCTLR_UCT | SCTLR_WXN;
	if (aarch64_has_pan()) {
		sctlr &= ~(uint64_t)SCTLR_SPAN;
		__asm__ volatile(".arch_extension pan\n msr pan, #1" ::: "memory");
	}
	write_sysreg(sctlr_el1, sctlr);
	/* Cycle counter on and readable at EL0: under -icount it counts instructions (make bench).
	 */
	write_sysreg(pmcr_el0, read_sysreg(pmcr_el0) | 1);
	write_sysreg(pmcntenset_el0, 1ull << 31);
	write_sysreg(pmuserenr_el0, 1 | 4);
	isb();
}

static int64_t psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, int smc)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;
	if (smc)
		__asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::"memory");
	else
		__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::"memory");
	return (int64_t)x0;
}

int arch_cpu_start(const struct bootinfo *bi, unsigned cpu, void *stack_top)
{
	int smc = bi->psci_method[0] == 's';
	if (cpu >= ARCH_MAX_CPUS || cpu >= bi->ncpus || !bi->psci_method[0])
		return -HK_EINVAL;
	boot_bi = bi;
	aarch64_secondary_stack[cpu] = (uint64_t)stack_top;
	clean_to_poc(&aarch64_secondary_stack[cpu], sizeof(uint64_t));
	clean_to_poc(&aarch64_kernel_root, sizeof(aarch64_kernel_root));
	uint64_t entry = (uint64_t)secondary_entry - KERNEL_VOFF;
	int64_t r = psci_call(PSCI_CPU_ON_64, bi->cpus[cpu].hwid, entry, cpu, smc);
	return r == 0 ? 0 : -HK_EINVAL;
}

void aarch64_secondary(uint64_t cpu)
{
	aarch64_cpu_setup((unsigned)cpu);
	arch_vm_activate(0, 0); /* drop the temporary identity map */
	__asm__ volatile("tlbi vmalle1" ::: "memory");
	dsb(nsh);
	isb();
	if (aarch64_gic_init_cpu(boot_bi, (unsigned)cpu))
		panic("cpu %u: GIC redistributor setup failed", (unsigned)cpu);
	kmain_secondary((unsigned)cpu);
}
