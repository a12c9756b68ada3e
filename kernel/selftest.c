// SPDX-License-Identifier: BSD-2-Clause
/*
 * In-guest self-tests, chosen with bootargs hekate.test=NAME. Each returns
 * the exit status the host test expects; the fault-* tests do not return:
 * they end in the trap handler's dump and HK_EXIT_PANIC, and print first
 * the address the dump must name ("expect FAR=...").
 */
#include "kernel.h"
#include <hekate/errno.h>
#include <hekate/exit.h>
#include <hekate/kprintf.h>
#include <string.h>

#define TICK_TEST_TICKS 50u
#define TICK_TEST_MAX_S 5u

static int check(int ok, const char *what)
{
	kprintf("selftest: %s: %s\n", what, ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}

/* Wait (WFI) for n ticks, at most max_s seconds of counter time. Returns ms waited. */
static uint64_t wait_ticks(unsigned n, unsigned max_s, uint64_t *seen)
{
	uint64_t f = arch_counter_freq(), t0 = arch_counter(), k0 = kernel_ticks();
	while (kernel_ticks() - k0 < n && arch_counter() - t0 < (uint64_t)max_s * f)
		arch_wait_for_interrupt();
	*seen = kernel_ticks() - k0;
	return (arch_counter() - t0) * 1000 / f;
}

static int test_tick(void)
{
	uint64_t seen, ms = wait_ticks(TICK_TEST_TICKS, TICK_TEST_MAX_S, &seen);
	uint64_t min_ms = TICK_TEST_TICKS * 1000 / TICK_HZ - 1000 / TICK_HZ;
	kprintf("tick: %llu ticks in %llu ms (%u Hz programmed)\n", (unsigned long long)seen,
	        (unsigned long long)ms, TICK_HZ);
	int bad = check(seen >= TICK_TEST_TICKS, "tick count reached within the time bound");
	bad |= check(ms >= min_ms, "ticks not faster than programmed");
	return bad ? HK_EXIT_TEST_FAIL : HK_EXIT_OK;
}

static int in_ram(const struct bootinfo *bi, uint64_t pa)
{
	for (unsigned i = 0; i < bi->nmem; i++)
		if (pa >= bi->mem[i].base && pa - bi->mem[i].base < bi->mem[i].size)
			return 1;
	return 0;
}

static int in_reserved(const struct kstate *ks, uint64_t pa)
{
	for (unsigned i = 0; i < ks->nresv; i++)
		if (pa + PAGE_SIZE > ks->resv[i].r.base &&
		    pa < ks->resv[i].r.base + ks->resv[i].r.size)
			return 1;
	return 0;
}

/*
 * Allocate every free page: each must be RAM, outside every reserved region,
 * and writable through the linear map. The pages are chained through their
 * first word, then all freed; the count must return to its baseline.
 */
static int test_pmm(struct kstate *ks)
{
	size_t base = pmm_free_count(&ks->pmm), n = 0, bad_place = 0;
	uint64_t pa, head = 0;
	while (pmm_alloc(&ks->pmm, &pa) == 0) {
		bad_place += !in_ram(&ks->bi, pa) || in_reserved(ks, pa);
		uint64_t *p = arch_phys_to_virt(pa);
		p[0] = head;
		p[PAGE_SIZE / 8 - 1] = pa;
		head = pa;
		n++;
	}
	kprintf("pmm: allocated %zu pages, baseline %zu\n", n, base);
	int bad = check(n == base && pmm_free_count(&ks->pmm) == 0, "allocate all");
	bad |= check(bad_place == 0, "no page in a reserved region or outside RAM");
	size_t freed = 0, corrupt = 0;
	while (head) {
		uint64_t *p = arch_phys_to_virt(head), next = p[0];
		corrupt += p[PAGE_SIZE / 8 - 1] != head;
		bad |= pmm_free(&ks->pmm, head) != 0;
		head = next;
		freed++;
	}
	bad |= check(freed == n && corrupt == 0 && pmm_free_count(&ks->pmm) == base,
	             "free all, count back to baseline");
	pmm_alloc(&ks->pmm, &pa);
	pmm_free(&ks->pmm, pa);
	bad |= check(pmm_free(&ks->pmm, pa) == -HK_EDOUBLE && pmm_free_count(&ks->pmm) == base,
	             "double free detected");
	return bad ? HK_EXIT_TEST_FAIL : HK_EXIT_OK;
}

static const uint32_t rodata_word = 0x600dda7a;
static uint32_t data_code[2] = {0xd65f03c0, 0xd65f03c0}; /* aarch64 "ret": harmless if executed */
static volatile uintptr_t zero;

static void expect_far(const char *test, const volatile void *addr)
{
	kprintf("selftest: %s: expect FAR=0x%016llx\n", test, (unsigned long long)(uintptr_t)addr);
}

static int fault_test(const char *name)
{
	if (!strcmp(name, "fault-null")) {
		expect_far(name, (void *)zero);
		(void)*(volatile uint64_t *)zero;
	} else if (!strcmp(name, "fault-wtext")) {
		volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)&kmain;
		expect_far(name, p);
		*p = 0;
	} else if (!strcmp(name, "fault-wrodata")) {
		volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)&rodata_word;
		expect_far(name, p);
		*p = 0;
	} else if (!strcmp(name, "fault-xdata")) {
		void (*fn)(void) = (void (*)(void))(uintptr_t)data_code;
		expect_far(name, data_code);
		fn();
	} else if (!strcmp(name, "fault-unmapped")) {
		volatile uint64_t *p =
		    arch_phys_to_virt(0x30000000); /* a hole in QEMU virt's map */
		expect_far(name, p);
		(void)*p;
	} else if (!strcmp(name, "fault-undef")) {
		arch_trigger_undefined();
	} else {
		return -1;
	}
	kprintf("selftest: %s: the access did not fault\n", name);
	return HK_EXIT_TEST_FAIL;
}

int selftest_run(const char *name, struct kstate *ks)
{
	kprintf("selftest: running %s\n", name);
	if (!strcmp(name, "boot"))
		return HK_EXIT_OK;
	if (!strcmp(name, "tick"))
		return test_tick();
	if (!strcmp(name, "pmm"))
		return test_pmm(ks);
	int rc = fault_test(name);
	if (rc >= 0)
		return rc;
	kprintf("selftest: unknown test \"%s\" (boot, tick, pmm, fault-null, fault-wtext, "
	        "fault-wrodata, fault-xdata, fault-unmapped, fault-undef)\n",
	        name);
	return HK_EXIT_TEST_FAIL;
}
