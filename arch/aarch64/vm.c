// SPDX-License-Identifier: BSD-2-Clause
/*
 * User address spaces: TTBR0 tables (39-bit VA, 4 KiB granule, 3 levels),
 * 8-bit ASIDs, and the per-thread machine state of user threads.
 *
 * User leaf entries are non-global (nG, tagged with the ASID), EL0
 * accessible, never executable at EL1 (PXN); writable pages are never
 * executable (UXN). Software bit 55 marks pages the address space owns,
 * so destroy frees exactly those (device grants are not owned).
 * Locking: the caller serialises changes to one address space.
 */
#include <arch.h>
#include <arch/internal.h>
#include <arch/regs.h>
#include <arch/sysreg.h>
#include <hekate/errno.h>
#include <hekate/fmt.h>
#include <hekate/pmm.h>
#include <string.h>

#define ADDR_MASK  0x0000fffffffff000ull
#define PTE_OWNED  (U64(1) << 55)
#define USER_LIMIT (U64(1) << VA_BITS)
#define FRAME_EL0T 0 /* SPSR for EL0t with all interrupts unmasked */

static uint64_t *table(uint64_t pa) { return arch_phys_to_virt(pa); }

uint64_t arch_pt_create(struct pt_alloc *a) { return a->alloc(a->ctx); }

/* The level-3 entry for va, creating tables on the way if a is non-NULL. */
static uint64_t *walk(uint64_t root, uint64_t va, struct pt_alloc *a)
{
	uint64_t *t = table(root);
	for (int shift = 30; shift > 12; shift -= 9) {
		uint64_t *e = &t[(va >> shift) & 511];
		if (!(*e & PTE_VALID)) {
			uint64_t pa = a ? a->alloc(a->ctx) : 0;
			if (!pa)
				return NULL;
			dsb(ishst);
			*e = pa | PTE_VALID | PTE_TABLE;
		}
		t = table(*e & ADDR_MASK);
	}
	return &t[(va >> 12) & 511];
}

static uint64_t leaf_attrs(unsigned prot)
{
	uint64_t v = PTE_VALID | PTE_PAGE | PTE_AF | PTE_NG | PTE_AP_EL0 | PTE_PXN;
	v |= (prot & PT_DEVICE) ? PTE_ATTR(MT_DEVICE) : (PTE_ATTR(MT_NORMAL) | PTE_SH_INNER);
	if (!(prot & PT_W))
		v |= PTE_AP_RO;
	if (!(prot & PT_X) || (prot & (PT_W | PT_DEVICE)))
		v |= PTE_UXN;
	if (prot & PT_OWNED)
		v |= PTE_OWNED;
	return v;
}

int arch_pt_map(uint64_t root, uint64_t va, uint64_t pa, unsigned prot, struct pt_alloc *a)
{
	if ((va | pa) & (PAGE_SIZE - 1) || va >= USER_LIMIT || !va)
		return -HK_EINVAL;
	uint64_t *e = walk(root, va, a);
	if (!e)
		return -HK_ENOMEM;
	if (*e & PTE_VALID)
		return -HK_EEXIST;
	dsb(ishst);
	*e = (pa & ADDR_MASK) | leaf_attrs(prot);
	dsb(ishst);
	return 0;
}

int arch_pt_lookup(uint64_t root, uint64_t va, uint64_t *pa, unsigned *prot)
{
	if (va >= USER_LIMIT)
		return -HK_ENOENT;
	uint64_t *e = walk(root, va, NULL);
	if (!e || !(*e & PTE_VALID))
		return -HK_ENOENT;
	unsigned p = PT_R;
	if (!(*e & PTE_AP_RO))
		p |= PT_W;
	if (!(*e & PTE_UXN))
		p |= PT_X;
	if ((*e & (7u << 2)) == PTE_ATTR(MT_DEVICE))
		p |= PT_DEVICE;
	if (*e & PTE_OWNED)
		p |= PT_OWNED;
	*pa = *e & ADDR_MASK;
	*prot = p;
	return 0;
}

/* Free a table at `level` (1 = root) and what it owns; returns pages freed. */
static uint64_t destroy_level(uint64_t pa, int level, struct pt_alloc *a)
{
	uint64_t n = 0, *t = table(pa);
	for (int i = 0; i < 512; i++) {
		uint64_t e = t[i];
		if (!(e & PTE_VALID))
			continue;
		if (level < 3)
			n += destroy_level(e & ADDR_MASK, level + 1, a);
		else if (e & PTE_OWNED) {
			a->free(a->ctx, e & ADDR_MASK);
			n++;
		}
	}
	a->free(a->ctx, pa);
	return n + 1;
}

uint64_t arch_pt_destroy(uint64_t root, struct pt_alloc *a) { return destroy_level(root, 1, a); }

uint64_t *arch_pt_leaf(uint64_t root, uint64_t va, struct pt_alloc *a)
{
	if (va & (PAGE_SIZE - 1) || va >= USER_LIMIT || !va)
		return NULL;
	return walk(root, va, a);
}

void arch_pte_set(uint64_t *e, uint64_t pa, unsigned prot)
{
	/* The entry was empty, so no TLB holds it: publish it for the walker only. */
	uint64_t v = (pa & ADDR_MASK) | leaf_attrs(prot & (PT_R | PT_W));
	__atomic_store_n(e, v, __ATOMIC_RELAXED);
	dsb(ishst);
}

uint64_t arch_pte_clear(uint64_t *e)
{
	uint64_t old = __atomic_exchange_n(e, 0, __ATOMIC_RELAXED);
	return (old & PTE_VALID) ? (old & ADDR_MASK) : 0;
}

void arch_tlb_flush_page(uint64_t va, unsigned asid, int local)
{
	uint64_t op = (uint64_t)asid << 48 | ((va >> 12) & ((U64(1) << 44) - 1));
	if (local) {
		/* Every thread of the address space runs here: no other TLB can hold it. */
		dsb(nshst);
		__asm__ volatile("tlbi vale1, %0" ::"r"(op) : "memory");
		dsb(nsh);
	} else {
		dsb(ishst);
		__asm__ volatile("tlbi vale1is, %0" ::"r"(op) : "memory");
		dsb(ish);
	}
	isb();
}

void arch_vm_activate(uint64_t root, unsigned asid)
{
	if (!root)
		root = aarch64_empty_root;
	write_sysreg(ttbr0_el1, root | ((uint64_t)asid << 48));
	isb();
}

void arch_vm_flush_asid(unsigned asid)
{
	dsb(ishst);
	__asm__ volatile("tlbi aside1is, %0" ::"r"((uint64_t)asid << 48) : "memory");
	dsb(ish);
	isb();
}

unsigned arch_vm_asids(void) { return 256; /* TCR_EL1.AS = 0: 8-bit ASIDs everywhere */ }

void arch_ctx_init_user(struct arch_ctx *ctx, void *kstack_top, uint64_t pc, uint64_t sp,
                        uint64_t a0, uint64_t a1)
{
	struct trap_frame *f = (struct trap_frame *)((char *)kstack_top - FRAME_SIZE);
	memset(f, 0, sizeof(*f));
	f->x[0] = a0;
	f->x[1] = a1;
	f->elr = pc;
	f->spsr = FRAME_EL0T;
	f->sp = sp;
	memset(ctx, 0, sizeof(*ctx));
	ctx->sp = (uint64_t)f;
	ctx->lr = (uint64_t)thread_trampoline;
}

uint64_t arch_tp_get(void) { return read_sysreg(tpidr_el0); }
void arch_tp_set(uint64_t tp) { write_sysreg(tpidr_el0, tp); }

void arch_vm_describe(char *buf, size_t n)
{
	fmt_snprintf(buf, n,
	             "user half TTBR0 39-bit, 8-bit ASIDs, PAN %s, kernel not EL0-accessible",
	             aarch64_has_pan() ? "on" : "absent on this CPU");
}

int arch_user_pa(uint64_t va, int write, uint64_t *pa)
{
	uint64_t par;
	if (write)
		__asm__ volatile("at s1e0w, %0" ::"r"(va) : "memory");
	else
		__asm__ volatile("at s1e0r, %0" ::"r"(va) : "memory");
	isb();
	par = read_sysreg(par_el1); /* IRQs are masked in the kernel: nothing else uses PAR_EL1 here */
	/* F (bit 0): the walk faulted; ATTR (63:56) must be MAIR attr1, normal write-back */
	if ((par & 1) || (par >> 56) != 0xff)
		return -HK_EFAULT;
	*pa = (par & ADDR_MASK) | (va & (PAGE_SIZE - 1));
	return 0;
}
