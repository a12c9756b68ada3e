// SPDX-License-Identifier: BSD-2-Clause
/*
 * User faults: name the cause, print the one-line post-mortem, end the
 * process. Only the faulting process is touched; the exit record carries
 * the details to the supervisor.
 */
#include "kan.h"
#include "proc.h"
#include <hekate/errno.h>
#include <hekate/kprintf.h>

/* 1 if addr lies in the guard page below some thread slot's stack. */
static int in_stack_guard(uint64_t addr)
{
	uint64_t lowest = HK_STACK_TOP - (uint64_t)HK_MAX_THREADS * HK_STACK_SLOT;
	if (addr >= HK_STACK_TOP || addr < lowest)
		return 0;
	uint64_t slot = (HK_STACK_TOP - 1 - addr) / HK_STACK_SLOT;
	uint64_t stack_lo = HK_STACK_TOP - slot * HK_STACK_SLOT - HK_STACK_PAGES * 4096ull;
	return addr < stack_lo && addr >= stack_lo - 4096;
}

static enum hk_fault classify(const struct arch_fault *f)
{
	switch (f->kind) {
	case ARCH_FAULT_UNDEF: return HK_FAULT_UNDEF;
	case ARCH_FAULT_ALIGN: return HK_FAULT_ALIGN;
	case ARCH_FAULT_OTHER: return HK_FAULT_OTHER;
	default: break;
	}
	if (f->addr >= HK_USER_END)
		return HK_FAULT_KERNEL;
	if (f->addr < HK_USER_BASE)
		return HK_FAULT_NULL;
	if (in_stack_guard(f->addr))
		return HK_FAULT_STACK;
	if (f->kind == ARCH_FAULT_TRANSLATION)
		return HK_FAULT_UNMAPPED;
	if (f->exec)
		return HK_FAULT_EXEC_NX;
	return f->write ? HK_FAULT_WRITE_RO : HK_FAULT_OTHER;
}

void kernel_user_fault(const struct arch_fault *f)
{
	struct thread *t = current();
	struct proc *p = t->proc;
	enum hk_fault kind = classify(f);
	kprintf("fault: process '%s' pid %d thread %d cpu %u: %s (%s%s) pc 0x%llx addr 0x%llx\n",
	        p->name, p->pid, t->tid, t->cpu, hk_fault_name(kind), f->what,
	        f->write  ? ", write"
	        : f->exec ? ", exec"
	                  : "",
	        (unsigned long long)f->pc, (unsigned long long)f->addr);
	struct hk_exit_info why = {
	    .cause = HK_CAUSE_FAULT, .fault = kind, .tid = t->tid, .pc = f->pc, .addr = f->addr};
	kan_proc_fault(p);
	proc_end(&why);
}
