// SPDX-License-Identifier: BSD-2-Clause
/*
 * kmain: from the arch entry to an idle node.
 *   DTB -> boot info -> console -> RAM check -> page allocator -> final
 *   page tables -> virtio probe -> GIC + tick -> summary -> test or idle.
 * Every failure on the way is a clear message and HK_EXIT_BOOT_FAIL.
 */
#include "kernel.h"
#include "kan.h"
#include "proc.h"
#include <ck_pr.h>
#include <hekate/cpio.h>
#include <hekate/elf.h>
#include <hekate/errno.h>
#include <hekate/exit.h>
#include <hekate/fmt.h>
#include <hekate/kprintf.h>
#include <hekate/manifest.h>
#include <libfdt.h>
#include <string.h>

#define VIRTIO_MAGIC 0x74726976 /* "virt" */

static struct kstate ks;
static uint64_t ticks;
static struct manifest manifest;
static struct kdev kdevs[BI_MAX_VIRTIO + 1]; /* the virtio slots and the RTC */
static unsigned nkdevs;
static struct thread idle_threads[ARCH_MAX_CPUS];

#define CPU_START_TIMEOUT_US 2000000u

uint64_t kernel_ticks(void) { return ck_pr_load_64(&ticks); }
void kernel_tick_count(void) { ck_pr_inc_64(&ticks); }

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

/* Grantable devices: present virtio devices named virtio-<type>.<n>, n counted per type. */
static void build_devices(void)
{
	for (unsigned i = 0; i < ks.bi.nvirtio; i++) {
		const struct bi_virtio *v = &ks.bi.virtio[i];
		if (!v->device_id)
			continue;
		const char *type = bootinfo_virtio_name(v->device_id);
		unsigned n = 0;
		for (unsigned k = 0; k < nkdevs; k++)
			n += !strncmp(kdevs[k].name + 7, type, strlen(type)) &&
			     kdevs[k].name[7 + strlen(type)] == '.';
		struct kdev *d = &kdevs[nkdevs++];
		fmt_snprintf(d->name, sizeof(d->name), "virtio-%s.%u", type, n);
		d->pa = v->base;
		d->size = v->size;
		d->irq = v->irq.intid;
		d->irq_flags = v->irq.flags;
	}
	/* The PL031 RTC: a device that raises its interrupt on demand (the IRQ test). */
	if (ks.bi.rtc.base) { /* kdevs has room for it after every virtio slot */
		struct kdev *d = &kdevs[nkdevs++];
		fmt_snprintf(d->name, sizeof(d->name), "rtc.0");
		d->pa = ks.bi.rtc.base;
		d->size = ks.bi.rtc.size;
		d->irq = ks.bi.rtc_irq.intid;
		d->irq_flags = ks.bi.rtc_irq.flags;
	}
}

static unsigned cpus_wanted(void)
{
	return ks.bi.ncpus < ARCH_MAX_CPUS ? ks.bi.ncpus : ARCH_MAX_CPUS;
}

/* Every process's binary must be a valid executable before anything starts. */
static void check_binaries(const void *img, size_t len)
{
	char err[160];
	for (unsigned i = 0; i < manifest.nprocs; i++) {
		const struct man_proc *mp = &manifest.procs[i];
		struct cpio_file f;
		struct elf_image ei;
		if (cpio_find(img, len, mp->bin, &f, err, sizeof(err)))
			boot_fail("boot image: process '%s': %s not readable", mp->name, mp->bin);
		if (elf_parse(f.data, f.size, arch_elf_machine(), HK_USER_BASE, HK_USER_LOAD_MAX,
		              &ei, err, sizeof(err)))
			boot_fail("boot image: process '%s': %s refused: %s", mp->name, mp->bin,
			          err);
	}
}

/* The boot image (cpio initrd): manifest parsed and checked against this machine. 0 if none. */
static int load_boot_image(const void **img_out, size_t *len_out)
{
	if (!ks.bi.initrd_start)
		return 0;
	const void *img = arch_phys_to_virt(ks.bi.initrd_start);
	size_t len = (size_t)(ks.bi.initrd_end - ks.bi.initrd_start);
	struct cpio_file f;
	char err[200];
	const char *names[BI_MAX_VIRTIO + 1];
	int rc = cpio_find(img, len, "manifest", &f, err, sizeof(err));
	if (rc == -HK_ENOENT)
		boot_fail("boot image: no file 'manifest' in the initrd (%zu bytes)", len);
	if (rc || manifest_parse(f.data, f.size, &manifest, err, sizeof(err)))
		boot_fail("boot image: %s", err);
	build_devices();
	for (unsigned i = 0; i < nkdevs; i++)
		names[i] = kdevs[i].name;
	if (manifest_check(&manifest, cpus_wanted(), img, len, names, nkdevs, err, sizeof(err)))
		boot_fail("boot image: %s", err);
	check_binaries(img, len);
	kprintf("boot image: %u processes in the manifest, %u grantable devices\n", manifest.nprocs,
	        nkdevs);
	*img_out = img;
	*len_out = len;
	return 1;
}

void kmain_secondary(unsigned cpu)
{
	sched_init_cpu(cpu, &idle_threads[cpu]);
	sched_idle_loop();
}

/* Bring up every other CPU through the platform (PSCI), each on its own idle stack. */
static void start_cpus(void)
{
	for (unsigned i = 1; i < cpus_wanted(); i++) {
		uint64_t stack;
		if (page_alloc_run(KSTACK_PAGES, &stack))
			boot_fail("smp: no memory for CPU %u's stack", i);
		void *top = (char *)arch_phys_to_virt(stack) + KSTACK_PAGES * PAGE_SIZE;
		if (arch_cpu_start(&ks.bi, i, top))
			boot_fail("smp: CPU %u (hwid 0x%llx) did not accept CPU_ON via %s", i,
			          (unsigned long long)ks.bi.cpus[i].hwid, ks.bi.psci_method);
		uint64_t until = time_us() + CPU_START_TIMEOUT_US;
		while (!ck_pr_load_int(&cpus[i].online))
			if (time_us() > until)
				boot_fail("smp: CPU %u did not come online within %u ms", i,
				          CPU_START_TIMEOUT_US / 1000);
	}
	kprintf("smp: %u CPUs online (PSCI via %s)\n", ck_pr_load_uint(&ncpus_online),
	        ks.bi.psci_method[0] ? ks.bi.psci_method : "none");
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
	/* From here on kernel code runs with interrupts masked (proc.h). */
	arch_irq_disable();
	mem_init(&ks.pmm);
	const void *img = NULL;
	size_t len = 0;
	int have_image = load_boot_image(&img, &len);
	if (have_image) {
		static const struct hk_addr dflt = {HK_KAN_PREFIX_DEFAULT};
		uint32_t n = manifest.kan_pages ? manifest.kan_pages : HK_KAN_PAGES_DEF;
		if (kan_boot(manifest.has_kan_prefix ? &manifest.kan_prefix : &dflt, n))
			boot_fail("boot image: kan-pages=%u (%u MiB) does not fit in free memory "
			          "(%llu MiB)",
			          n, n / 256, (unsigned long long)(pages_free() / 256));
	}
	sched_init_cpu(0, &idle_threads[0]);
	start_cpus();
	if (have_image)
		proc_boot(&manifest, img, len, kdevs, nkdevs);
	else
		kprintf("Hekate node up: idle, %u Hz tick (no boot image, no processes). QEMU: "
		        "Ctrl-A X quits.\n",
		        TICK_HZ);
	sched_idle_loop();
}
