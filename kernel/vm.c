// SPDX-License-Identifier: BSD-2-Clause
/*
 * User memory: creating and destroying a process's address space, mapping
 * fresh pages, and copying to and from user addresses.
 *
 * The kernel never dereferences a user pointer. Every copy walks the
 * caller's page tables page by page (arch_pt_lookup), checks the access the
 * user itself would need, and copies through the kernel's linear map. So a
 * bad pointer is -HK_EFAULT, never a kernel fault, and PAN stays on.
 * Mappings are only added while a process lives and removed all at once
 * when it is gone, so a lookup needs no lock; vm_lock serialises changes.
 * Every page an address space owns is counted in p->pages.
 */
#include "proc.h"
#include <hekate/errno.h>
#include <hekate/pmm.h>
#include <string.h>

static uint64_t vm_page(void *ctx)
{
	struct proc *p = ctx;
	uint64_t pa = page_alloc_zeroed();
	if (pa)
		p->pages++;
	return pa;
}

static void vm_unpage(void *ctx, uint64_t pa)
{
	struct proc *p = ctx;
	page_free(pa);
	p->pages--;
}

static struct pt_alloc pt_of(struct proc *p)
{
	return (struct pt_alloc){.alloc = vm_page, .free = vm_unpage, .ctx = p};
}

int vm_create(struct proc *p)
{
	struct pt_alloc a = pt_of(p);
	p->pages = 0;
	p->root = arch_pt_create(&a);
	return p->root ? 0 : -HK_ENOMEM;
}

/* The tables must be live on no CPU: every thread of p has been reaped. */
void vm_destroy(struct proc *p)
{
	if (!p->root)
		return;
	struct pt_alloc a = pt_of(p);
	arch_pt_destroy(p->root, &a);
	arch_vm_flush_asid(p->asid);
	p->root = 0;
}

int vm_map_anon(struct proc *p, uint64_t va, size_t n, unsigned prot)
{
	struct pt_alloc a = pt_of(p);
	int rc = 0;
	ck_spinlock_fas_lock(&p->vm_lock);
	for (size_t i = 0; i < n && !rc; i++) {
		uint64_t pa = vm_page(p);
		if (!pa) {
			rc = -HK_ENOMEM;
			break;
		}
		rc = arch_pt_map(p->root, va + i * PAGE_SIZE, pa, prot | PT_OWNED, &a);
		if (rc)
			vm_unpage(p, pa);
	}
	ck_spinlock_fas_unlock(&p->vm_lock);
	return rc;
}

int vm_map_device(struct proc *p, uint64_t va, uint64_t pa, uint64_t size)
{
	struct pt_alloc a = pt_of(p);
	int rc = 0;
	ck_spinlock_fas_lock(&p->vm_lock);
	for (uint64_t off = 0; off < size && !rc; off += PAGE_SIZE)
		rc = arch_pt_map(p->root, va + off, pa + off, PT_R | PT_W | PT_DEVICE, &a);
	ck_spinlock_fas_unlock(&p->vm_lock);
	return rc;
}

/* [uva, uva+len) inside the user half, without wrapping. */
static int user_range(uint64_t uva, size_t len)
{
	return uva < HK_USER_END && len <= HK_USER_END - uva;
}

/* Kernel pointer to user byte uva if its page grants `need` (PT_R / PT_W), else NULL. */
static char *user_byte(struct proc *p, uint64_t uva, unsigned need)
{
	uint64_t pa;
	unsigned prot;
	uint64_t page = uva & ~(uint64_t)(PAGE_SIZE - 1);
	if (arch_pt_lookup(p->root, page, &pa, &prot) || (prot & PT_DEVICE) ||
	    (prot & need) != need)
		return NULL;
	return (char *)arch_phys_to_virt(pa) + (uva - page);
}

/* user_byte, by the hardware when p's address space is the one active here. */
static char *user_ptr(struct proc *p, uint64_t uva, unsigned need)
{
	uint64_t pa;
	if (p != current()->proc || (need & ~(PT_R | PT_W))) /* AT checks reads and writes only */
		return user_byte(p, uva, need);
	return arch_user_pa(uva, (need & PT_W) != 0, &pa) ? NULL : (char *)arch_phys_to_virt(pa);
}

/* Copy len bytes between kernel buf and user uva, page by page; `out` = to user. */
static int copy_user(struct proc *p, uint64_t uva, void *buf, size_t len, unsigned need, int out)
{
	if (!user_range(uva, len))
		return -HK_EFAULT;
	if (len && (uva & (PAGE_SIZE - 1)) + len <= PAGE_SIZE) { /* one page: one translation */
		char *u = user_ptr(p, uva, need);
		if (!u)
			return -HK_EFAULT;
		memcpy(out ? u : buf, out ? buf : u, len);
		return 0;
	}
	if (vm_check(p, uva, len, need))
		return -HK_EFAULT;
	char *k = buf;
	while (len) {
		size_t chunk = PAGE_SIZE - (uva & (PAGE_SIZE - 1));
		chunk = chunk < len ? chunk : len;
		char *u = user_ptr(p, uva, need);
		if (out)
			memcpy(u, k, chunk);
		else
			memcpy(k, u, chunk);
		uva += chunk;
		k += chunk;
		len -= chunk;
	}
	return 0;
}

/* 0 if every page of [uva, uva+len) grants `need`; checked before anything is copied. */
int vm_check(struct proc *p, uint64_t uva, size_t len, unsigned need)
{
	if (!user_range(uva, len))
		return -HK_EFAULT;
	if (!len)
		return 0;
	uint64_t first = uva & ~(uint64_t)(PAGE_SIZE - 1);
	for (uint64_t pg = first; pg < uva + len; pg += PAGE_SIZE)
		if (!user_ptr(p, pg, need))
			return -HK_EFAULT;
	return 0;
}

int vm_copy_in(struct proc *p, void *dst, uint64_t uva, size_t len)
{
	return copy_user(p, uva, dst, len, PT_R, 0);
}

int vm_copy_out(struct proc *p, uint64_t uva, const void *src, size_t len)
{
	return copy_user(p, uva, (void *)src, len, PT_R | PT_W, 1);
}

int vm_poke(struct proc *p, uint64_t uva, const void *src, size_t len)
{
	return copy_user(p, uva, (void *)src, len, PT_R, 1);
}

uint64_t *vm_leaf(struct proc *p, uint64_t va)
{
	struct pt_alloc a = pt_of(p);
	ck_spinlock_fas_lock(&p->vm_lock);
	uint64_t *e = arch_pt_leaf(p->root, va, &a);
	ck_spinlock_fas_unlock(&p->vm_lock);
	return e;
}

uint64_t vm_kernel_page(struct proc *p)
{
	ck_spinlock_fas_lock(&p->vm_lock);
	uint64_t pa = vm_page(p);
	ck_spinlock_fas_unlock(&p->vm_lock);
	return pa;
}

void vm_kernel_page_free(struct proc *p, uint64_t pa)
{
	ck_spinlock_fas_lock(&p->vm_lock);
	vm_unpage(p, pa);
	ck_spinlock_fas_unlock(&p->vm_lock);
}
