// SPDX-License-Identifier: BSD-2-Clause
/*
 * kmain: from the arch entry to an idle node.
 *   DTB -> boot info -> console -> RAM check -> page allocator -> final
 *   page tables -> virtio probe -> GIC + tick -> summary -> test or idle.
 * Every failure on the way is a clear message and HK_EXIT_BOOT_FAIL.
 */
#include "kernel.h"
#include <ck_pr.h>
#include <hekate/errno.h>
#include <hekate/exit.h>
#include <hekate/fmt.h>
#include <hekate/kprintf.h>
#include <libfdt.h>
#include <string.h>

#define VIRTIO_MAGIC 0x74726976 /* "virt" */

static struct kstate ks;
static uint64_t ticks;

uint64_t kernel_ticks(void) { return ck_pr_load_64(&ticks); }
void kernel_irq_tick(void) { ck_pr_inc_64(&ticks); }

/* Locate and parse the DTB; any problem ends the boot. */
static void load_dtb(void)
{
	uint64_t limit = arch_early_map_limit();
	uint64_t pa = ks.args->dtb_pa ? ks.args->dtb_pa : arch_default_dtb_pa();
	const char *how =
	    ks.args->dtb_pa ? "passed by the boot protocol" : "platform default, none passed";
	if (pa >= limit || limit - pa < sizeof(struct fdt_header))
		boot_fail("dtb: 0x%llx (%s) is outside the early map (below 0x%llx)",
		          (unsigned long long)pa, how, (unsigned long long)limit);
	const void *fdt = arch_phys_to_virt(pa);
	char err[160];
	if (fdt_magic(fdt) != FDT_MAGIC)
		boot_fail("no device tree: no FDT header at 0x%llx (%s)", (unsigned long long)pa,
		          how);
	if (bootinfo_parse(fdt, limit - pa, &ks.bi, err, sizeof(err)))
		boot_fail("%s (device tree at 0x%llx)", err, (unsigned long long)pa);
	ks.dtb_pa = pa;
	ks.dtb_size = fdt_totalsize(fdt);
}

static void reserve(const char *what, uint64_t base, uint64_t size)
{
	if (!size)
		return;
	if (ks.nresv == MAX_RESERVED)
		panic("too many reserved regions");
	ks.resv[ks.nresv++] = (struct reserved){what, {base, size}};
}

/* Span of all RAM ranges, page aligned. */
static void ram_span(uint64_t *lo, uint64_t *hi)
{
	*lo = UINT64_MAX;
	*hi = 0;
	for (unsigned i = 0; i < ks.bi.nmem; i++) {
		uint64_t b = ks.bi.mem[i].base, e = b + ks.bi.mem[i].size;
		*lo = b < *lo ? b : *lo;
		*hi = e > *hi ? e : *hi;
	}
	*lo &= ~(uint64_t)(PAGE_SIZE - 1);
	*hi = (*hi + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
}

/* Page allocator over all RAM minus kernel, DTB, initrd and its own bitmap. */
static void init_pages(void)
{
	uint64_t ram = bootinfo_ram_bytes(&ks.bi);
	if (ram < (uint64_t)MIN_RAM_MB << 20)
		boot_fail("memory: %llu MiB of RAM, Hekate needs at least %u MiB",
		          (unsigned long long)(ram >> 20), MIN_RAM_MB);
	reserve("kernel", ks.args->kernel_start, ks.args->kernel_end - ks.args->kernel_start);
	reserve("dtb", ks.dtb_pa, ks.dtb_size);
	reserve("initrd", ks.bi.initrd_start, ks.bi.initrd_end - ks.bi.initrd_start);
	uint64_t lo, hi, map_pa;
	ram_span(&lo, &hi);
	size_t npages = (size_t)((hi - lo) / PAGE_SIZE);
	size_t bytes = pmm_map_bytes(npages);
	struct pmm_region rams[BI_MAX_MEM], avoid[MAX_RESERVED];
	for (unsigned i = 0; i < ks.bi.nmem; i++)
		rams[i] = (struct pmm_region){ks.bi.mem[i].base, ks.bi.mem[i].size};
	for (unsigned i = 0; i < ks.nresv; i++)
		avoid[i] = ks.resv[i].r;
	if (pmm_find_hole(rams, ks.bi.nmem, avoid, ks.nresv, bytes, arch_early_map_limit(),
	                  &map_pa))
		boot_fail("memory: no room for the %zu-byte page bitmap in the early map", bytes);
	reserve("page bitmap", map_pa, bytes);
	pmm_init(&ks.pmm, lo, npages, arch_phys_to_virt(map_pa));
	for (unsigned i = 0; i < ks.bi.nmem; i++)
		if (pmm_add_free(&ks.pmm, ks.bi.mem[i].base, ks.bi.mem[i].size))
			panic("pmm: memory range outside its own span");
	for (unsigned i = 0; i < ks.nresv; i++)
		pmm_reserve(&ks.pmm, ks.resv[i].r.base, ks.resv[i].r.size);
}

static void probe_virtio(void)
{
	for (unsigned i = 0; i < ks.bi.nvirtio; i++) {
		struct bi_virtio *v = &ks.bi.virtio[i];
		if (arch_mmio_read32(v->base) != VIRTIO_MAGIC) {
			kprintf("virtio: slot at 0x%llx has no virtio magic; treated as empty\n",
			        (unsigned long long)v->base);
			continue;
		}
		v->device_id = arch_mmio_read32(v->base + 8);
	}
}

static void init_irqs(void)
{
	char err[96];
	if (arch_irq_init(&ks.bi, err, sizeof(err)))
		boot_fail("%s", err);
	if (arch_timer_start(&ks.bi, TICK_HZ))
		boot_fail("timer: cannot start a %u Hz tick (INTID %u, counter %llu Hz)", TICK_HZ,
		          ks.bi.timer_virt.intid, (unsigned long long)arch_counter_freq());
	arch_irq_enable();
}

void kmain(const struct arch_boot_args *args)
{
	ks.args = args;
	kprintf("\nHekate %s on %s: entered at EL%u, running at EL%u\n", HEKATE_VERSION,
	        arch_name(), args->entry_el, args->run_el);
	load_dtb();
	arch_console_use(&ks.bi);
	init_pages();
	int rc = arch_mm_init(&ks.bi, &ks.pmm);
	if (rc)
		boot_fail("mmu: building the kernel page tables failed: %s", hk_strerror(rc));
	probe_virtio();
	init_irqs();
	summary_print(&ks);

	char test[32];
	if (bootinfo_arg(&ks.bi, "hekate.test", test, sizeof(test)))
		arch_exit(selftest_run(test, &ks));
	kprintf("Hekate node up: idle, %u Hz tick (no processes yet). QEMU: Ctrl-A X quits.\n",
	        TICK_HZ);
	for (;;)
		arch_wait_for_interrupt();
}
