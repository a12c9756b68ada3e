// SPDX-License-Identifier: BSD-2-Clause
/*
 * The page allocator as the running kernel uses it: the host-tested pmm
 * behind one spinlock, so every CPU may allocate and free.
 * Contract: callers own what they allocate and free it exactly once; the
 * free count is what the fault-containment tests compare against.
 */
#include "proc.h"
#include <hekate/kprintf.h>
#include <hekate/pmm.h>
#include <string.h>

static ck_spinlock_fas_t mem_lock = CK_SPINLOCK_FAS_INITIALIZER;
static struct pmm *pm;
static uint64_t total;

void mem_init(struct pmm *pmm)
{
	pm = pmm;
	total = pmm_free_count(pmm);
}

uint64_t page_alloc_zeroed(void)
{
	uint64_t pa;
	ck_spinlock_fas_lock(&mem_lock);
	int rc = pmm_alloc(pm, &pa);
	ck_spinlock_fas_unlock(&mem_lock);
	if (rc)
		return 0;
	arch_page_zero(arch_phys_to_virt(pa));
	return pa;
}

int page_alloc_run(size_t n, uint64_t *pa)
{
	ck_spinlock_fas_lock(&mem_lock);
	int rc = pmm_alloc_run(pm, n, 1, pa);
	ck_spinlock_fas_unlock(&mem_lock);
	return rc;
}

/* A failed free is a kernel bookkeeping bug: never ignore it. */
void page_free_run(uint64_t pa, size_t n)
{
	ck_spinlock_fas_lock(&mem_lock);
	int rc = pmm_free_run(pm, pa, n);
	ck_spinlock_fas_unlock(&mem_lock);
	if (rc)
		panic("mem: freeing %zu pages at 0x%llx failed (%d)", n, (unsigned long long)pa,
		      rc);
}

void page_free(uint64_t pa) { page_free_run(pa, 1); }

uint64_t pages_free(void)
{
	ck_spinlock_fas_lock(&mem_lock);
	uint64_t n = pmm_free_count(pm);
	ck_spinlock_fas_unlock(&mem_lock);
	return n;
}

uint64_t pages_total(void) { return total; }
