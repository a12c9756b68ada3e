// SPDX-License-Identifier: BSD-2-Clause
/* The one-screen boot summary. Test runners match these lines: keep the prefixes stable. */
#include "kernel.h"
#include <hekate/fmt.h>
#include <hekate/kprintf.h>

#define SHOWN_CPUS 8

static void print_memory(const struct bootinfo *bi)
{
	for (unsigned i = 0; i < bi->nmem; i++)
		kprintf("  memory   0x%llx-0x%llx (%llu MiB)\n",
		        (unsigned long long)bi->mem[i].base,
		        (unsigned long long)(bi->mem[i].base + bi->mem[i].size),
		        (unsigned long long)(bi->mem[i].size >> 20));
}

static void print_cpus(const struct bootinfo *bi)
{
	kprintf("  cpus     %u:", bi->ncpus);
	for (unsigned i = 0; i < bi->ncpus && i < SHOWN_CPUS; i++)
		kprintf(" 0x%llx", (unsigned long long)bi->cpus[i].hwid);
	kprintf("%s (enable-method %s); %u used\n", bi->ncpus > SHOWN_CPUS ? " ..." : "",
	        bi->cpus[0].enable_method[0] ? bi->cpus[0].enable_method : "none",
	        bi->ncpus < ARCH_MAX_CPUS ? bi->ncpus : ARCH_MAX_CPUS);
}

static void print_virtio(const struct bootinfo *bi)
{
	unsigned used = 0;
	kprintf("  virtio   %u slots, device ids:", bi->nvirtio);
	for (unsigned i = 0; i < bi->nvirtio; i++) {
		kprintf(" %u", bi->virtio[i].device_id);
		used += bi->virtio[i].device_id != 0;
	}
	kprintf("\n");
	for (unsigned i = 0; i < bi->nvirtio; i++) {
		const struct bi_virtio *v = &bi->virtio[i];
		if (v->device_id)
			kprintf("  virtio   slot %u at 0x%llx irq %u: device id %u (%s)\n", i,
			        (unsigned long long)v->base, v->irq.intid, v->device_id,
			        bootinfo_virtio_name(v->device_id));
	}
	if (!used)
		kprintf("  virtio   no devices\n");
}

static void print_pages(const struct kstate *k)
{
	kprintf("  pages    %zu free of %zu in span, reserved:", pmm_free_count(&k->pmm),
	        k->pmm.npages);
	for (unsigned i = 0; i < k->nresv; i++)
		kprintf(" %s 0x%llx+0x%llx%s", k->resv[i].what,
		        (unsigned long long)k->resv[i].r.base,
		        (unsigned long long)k->resv[i].r.size, i + 1 < k->nresv ? "," : "");
	kprintf("\n");
}

void summary_print(const struct kstate *k)
{
	const struct bootinfo *bi = &k->bi;
	char mm[160];
	kprintf("  dtb      0x%llx, %llu bytes, model \"%s\"\n", (unsigned long long)k->dtb_pa,
	        (unsigned long long)k->dtb_size, bi->model);
	print_memory(bi);
	print_cpus(bi);
	kprintf("  gic      %s dist 0x%llx redist 0x%llx+0x%llx (%u region%s)\n", bi->intc_compat,
	        (unsigned long long)bi->gicd.base, (unsigned long long)bi->gicr[0].base,
	        (unsigned long long)bi->gicr[0].size, bi->ngicr, bi->ngicr == 1 ? "" : "s");
	kprintf("  timer    virtual timer INTID %u, physical INTID %u, counter %llu Hz\n",
	        bi->timer_virt.intid, bi->timer_phys.intid,
	        (unsigned long long)arch_counter_freq());
	kprintf("  uart     %s at 0x%llx (%s%s)\n", bi->uart_compat,
	        (unsigned long long)bi->uart.base, bi->uart_path,
	        bi->uart_from_stdout_path ? ", from /chosen stdout-path" : "");
	kprintf("  psci     %s%s%s\n", bi->psci_method[0] ? bi->psci_compat : "none",
	        bi->psci_method[0] ? " via " : "", bi->psci_method);
	kprintf("  bootargs \"%s\"\n", bi->bootargs);
	if (bi->initrd_end)
		kprintf("  initrd   0x%llx-0x%llx (%llu bytes)\n",
		        (unsigned long long)bi->initrd_start, (unsigned long long)bi->initrd_end,
		        (unsigned long long)(bi->initrd_end - bi->initrd_start));
	else
		kprintf("  initrd   none\n");
	print_virtio(bi);
	if (bi->rtc.base)
		kprintf("  rtc      arm,pl031 at 0x%llx irq %u (%s): device rtc.0\n",
		        (unsigned long long)bi->rtc.base, bi->rtc_irq.intid,
		        bi_irq_is_edge(bi->rtc_irq.flags) ? "edge" : "level");
	print_pages(k);
	arch_mm_describe(mm, sizeof(mm));
	kprintf("  mmu      %s\n", mm);
	arch_vm_describe(mm, sizeof(mm));
	kprintf("  user     %s\n", mm);
	kprintf("  tick     %u Hz\n", TICK_HZ);
}
