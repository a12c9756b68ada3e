// SPDX-License-Identifier: BSD-2-Clause
/*
 * Final kernel page tables (TTBR1, 39-bit VA, 4 KiB granule, 3 levels).
 *
 * Everything lives in the linear map, VA = PA + KERNEL_VOFF:
 *   RAM ranges           normal memory, read/write, never executable
 *   kernel .text         read-only, executable at EL1
 *   kernel .rodata       read-only, never executable
 *   kernel .data/.bss    read/write, never executable
 *   DTB-listed devices   Device-nGnRE, never executable
 * Nothing else is mapped. TTBR0 (the user half) points at an empty table
 * unless a user address space is active (vm.c), so a kernel NULL
 * dereference faults. SCTLR.WXN is set as a backstop.
 * Runs once on the boot CPU, before interrupts are enabled.
 */
#include <arch.h>
#include <arch/internal.h>
#include <arch/regs.h>
#include <arch/sysreg.h>
#include <hekate/errno.h>
#include <hekate/fmt.h>
#include <hekate/pmm.h>
#include <string.h>

#define L1_SHIFT  30
#define L2_SHIFT  21
#define ADDR_MASK 0x0000fffffffff000ull

#define ATTR_RAM    (PTE_ATTR(MT_NORMAL) | PTE_SH_INNER | PTE_AF | PTE_PXN | PTE_UXN)
#define ATTR_TEXT   (PTE_ATTR(MT_NORMAL) | PTE_SH_INNER | PTE_AF | PTE_AP_RO | PTE_UXN)
#define ATTR_RODATA (ATTR_RAM | PTE_AP_RO)
#define ATTR_DEVICE (PTE_ATTR(MT_DEVICE) | PTE_AF | PTE_PXN | PTE_UXN)

extern char __kernel_start[], __text_end[], __rodata_end[], __kernel_end[];

struct mapper {
	struct pmm *pmm;
	uint64_t *root;
	uint64_t root_pa;
	unsigned tables;
	int err;
};

static uint64_t *table_at(uint64_t pa) { return arch_phys_to_virt(pa); }

/* A zeroed table page; it must be reachable through the early map. */
static uint64_t new_table(struct mapper *m)
{
	uint64_t pa;
	if (pmm_alloc(m->pmm, &pa) || pa + PAGE_SIZE > arch_early_map_limit()) {
		m->err = -HK_ENOMEM;
		return 0;
	}
	memset(table_at(pa), 0, PAGE_SIZE);
	m->tables++;
	return pa;
}

/* Next-level table under *e, created if absent; NULL if *e is a block. */
static uint64_t *descend(struct mapper *m, uint64_t *e)
{
	if (!(*e & PTE_VALID)) {
		uint64_t pa = new_table(m);
		if (!pa)
			return NULL;
		*e = pa | PTE_VALID | PTE_TABLE;
	} else if (!(*e & PTE_TABLE)) {
		m->err = -HK_EINVAL;
		return NULL;
	}
	return table_at(*e & ADDR_MASK);
}

/* Install one entry; remapping an address is allowed only to the same value. */
static int set_entry(struct mapper *m, uint64_t *e, uint64_t v)
{
	if ((*e & PTE_VALID) && *e != v) {
		m->err = -HK_EINVAL;
		return -1;
	}
	*e = v;
	return 0;
}

/* Map [pa, pa+size) at pa + KERNEL_VOFF with the largest blocks alignment allows. */
static int map_range(struct mapper *m, uint64_t pa, uint64_t size, uint64_t attr)
{
	uint64_t end = (pa + size + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
	pa &= ~(uint64_t)(PAGE_SIZE - 1);
	while (pa < end && !m->err) {
		uint64_t *e1 = &m->root[(pa >> L1_SHIFT) & 511];
		uint64_t left = end - pa;
		if ((pa & ((1ull << L1_SHIFT) - 1)) == 0 && left >= (1ull << L1_SHIFT)) {
			set_entry(m, e1, pa | attr | PTE_VALID);
			pa += 1ull << L1_SHIFT;
			continue;
		}
		uint64_t *l2 = descend(m, e1);
		if (!l2)
			break;
		uint64_t *e2 = &l2[(pa >> L2_SHIFT) & 511];
		if ((pa & ((1ull << L2_SHIFT) - 1)) == 0 && left >= (1ull << L2_SHIFT)) {
			set_entry(m, e2, pa | attr | PTE_VALID);
			pa += 1ull << L2_SHIFT;
			continue;
		}
		uint64_t *l3 = descend(m, e2);
		if (!l3)
			break;
		set_entry(m, &l3[(pa >> PAGE_SHIFT) & 511], pa | attr | PTE_VALID | PTE_PAGE);
		pa += PAGE_SIZE;
	}
	return m->err;
}

static uint64_t kpa(const char *sym) { return (uint64_t)sym - KERNEL_VOFF; }

/* RAM range r minus the kernel image, read/write non-executable. */
static void map_ram(struct mapper *m, const struct bi_range *r)
{
	uint64_t ks = kpa(__kernel_start), ke = kpa(__kernel_end);
	uint64_t s = r->base, e = r->base + r->size;
	if (ke <= s || ks >= e) {
		map_range(m, s, e - s, ATTR_RAM);
		return;
	}
	if (s < ks)
		map_range(m, s, ks - s, ATTR_RAM);
	if (ke < e)
		map_range(m, ke, e - ke, ATTR_RAM);
}

static void map_image(struct mapper *m)
{
	map_range(m, kpa(__kernel_start), (uint64_t)(__text_end - __kernel_start), ATTR_TEXT);
	map_range(m, kpa(__text_end), (uint64_t)(__rodata_end - __text_end), ATTR_RODATA);
	map_range(m, kpa(__rodata_end), (uint64_t)(__kernel_end - __rodata_end), ATTR_RAM);
}

static void map_devices(struct mapper *m, const struct bootinfo *bi)
{
	map_range(m, bi->uart.base, bi->uart.size, ATTR_DEVICE);
	map_range(m, bi->gicd.base, bi->gicd.size, ATTR_DEVICE);
	for (unsigned i = 0; i < bi->ngicr; i++)
		map_range(m, bi->gicr[i].base, bi->gicr[i].size, ATTR_DEVICE);
	for (unsigned i = 0; i < bi->nvirtio; i++)
		map_range(m, bi->virtio[i].base, bi->virtio[i].size, ATTR_DEVICE);
}

uint64_t aarch64_kernel_root;
uint64_t aarch64_empty_root; /* TTBR0 when no user space is active: nothing mapped */

static void switch_tables(uint64_t root_pa)
{
	dsb(ishst);
	write_sysreg(ttbr1_el1, root_pa);
	write_sysreg(ttbr0_el1, aarch64_empty_root);
	write_sysreg(tcr_el1, read_sysreg(tcr_el1) & ~TCR_EPD0);
	isb();
	__asm__ volatile("tlbi vmalle1" ::: "memory");
	dsb(nsh);
	isb();
	write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | SCTLR_WXN);
	isb();
	__asm__ volatile("tlbi vmalle1" ::: "memory");
	dsb(nsh);
	isb();
}

static unsigned table_pages;

int arch_mm_init(const struct bootinfo *bi, struct pmm *pmm)
{
	struct mapper m = {.pmm = pmm};
	m.root_pa = new_table(&m);
	if (!m.root_pa)
		return m.err;
	m.root = table_at(m.root_pa);
	aarch64_empty_root = new_table(&m);
	if (!aarch64_empty_root)
		return m.err;
	for (unsigned i = 0; i < bi->nmem && !m.err; i++)
		map_ram(&m, &bi->mem[i]);
	map_image(&m);
	map_devices(&m, bi);
	if (m.err)
		return m.err;
	aarch64_kernel_root = m.root_pa;
	switch_tables(m.root_pa);
	table_pages = m.tables;
	aarch64_console_remap();
	aarch64_cpu_setup(0);
	return 0;
}

void arch_mm_describe(char *buf, size_t n)
{
	fmt_snprintf(buf, n,
	             "39-bit VA, linear map at 0x%llx; text r-x, rodata r--, data rw- NX, "
	             "devices nGnRE NX, WXN on; %u table pages",
	             (unsigned long long)KERNEL_VOFF, table_pages);
}
