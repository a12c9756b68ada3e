// SPDX-License-Identifier: BSD-2-Clause
/*
 * Exception dispatch. IRQs go to the GIC; anything else is unexpected at
 * this stage (no user space yet): print a register dump with the decoded
 * exception class and fault address, then exit QEMU with HK_EXIT_PANIC.
 */
#include <arch.h>
#include <arch/internal.h>
#include <arch/regs.h>
#include <arch/sysreg.h>
#include <hekate/exit.h>
#include <hekate/kprintf.h>

struct trap_frame {
	uint64_t x[31];
	uint64_t elr, spsr, sp, pad[2];
};
_Static_assert(sizeof(struct trap_frame) == FRAME_SIZE, "frame layout");
_Static_assert(__builtin_offsetof(struct trap_frame, elr) == FRAME_ELR, "frame layout");
_Static_assert(__builtin_offsetof(struct trap_frame, spsr) == FRAME_SPSR, "frame layout");
_Static_assert(__builtin_offsetof(struct trap_frame, sp) == FRAME_SP, "frame layout");

static const char *ec_name(unsigned ec)
{
	switch (ec) {
	case 0x00: return "unknown/undefined instruction";
	case 0x01: return "WFI/WFE trapped";
	case 0x07: return "FP/SIMD access trapped";
	case 0x0e: return "illegal execution state";
	case 0x15: return "SVC from AArch64";
	case 0x18: return "MSR/MRS/system instruction trapped";
	case 0x20: return "instruction abort from lower EL";
	case 0x21: return "instruction abort, same EL";
	case 0x22: return "PC alignment fault";
	case 0x24: return "data abort from lower EL";
	case 0x25: return "data abort, same EL";
	case 0x26: return "SP alignment fault";
	case 0x2c: return "FP exception";
	case 0x2f: return "SError";
	case 0x30:
	case 0x31: return "breakpoint";
	case 0x32:
	case 0x33: return "software step";
	case 0x34:
	case 0x35: return "watchpoint";
	case 0x3c: return "BRK instruction";
	}
	return "reserved/other";
}

/* Fault status code (DFSC/IFSC) of an abort, as text. */
static void print_fsc(unsigned fsc)
{
	static const char *const kind[] = {"address size", "translation", "access flag",
	                                   "permission"};
	if (fsc < 16)
		kprintf("  fault: %s fault, level %u\n", kind[fsc >> 2], fsc & 3);
	else if (fsc == 0x21)
		kprintf("  fault: alignment fault\n");
	else
		kprintf("  fault: status code 0x%x\n", fsc);
}

static void dump(const struct trap_frame *f, uint64_t kind)
{
	static const char *const where[] = {"EL1t", "EL1h", "EL0/AArch64", "EL0/AArch32"};
	static const char *const type[] = {"synchronous", "IRQ", "FIQ", "SError"};
	uint64_t esr = read_sysreg(esr_el1), far = read_sysreg(far_el1);
	unsigned ec = (unsigned)(esr >> 26) & 0x3f;
	kprintf("\n*** unexpected exception: %s from %s\n", type[kind & 3], where[kind >> 2]);
	kprintf("  EC=0x%02x (%s) ISS=0x%07llx\n", ec, ec_name(ec),
	        (unsigned long long)(esr & 0x1ffffff));
	kprintf("  FAR=0x%016llx ELR=0x%016llx SPSR=0x%08llx\n", (unsigned long long)far,
	        (unsigned long long)f->elr, (unsigned long long)f->spsr);
	if (ec == 0x20 || ec == 0x21 || ec == 0x24 || ec == 0x25) {
		print_fsc((unsigned)esr & 0x3f);
		if (ec == 0x24 || ec == 0x25)
			kprintf("  access: %s\n", (esr & (1u << 6)) ? "write" : "read");
	}
	for (int i = 0; i < 31; i += 2) {
		if (i == 30)
			kprintf("  x30=%016llx  sp =%016llx\n", (unsigned long long)f->x[30],
			        (unsigned long long)f->sp);
		else
			kprintf("  x%-2d=%016llx  x%-2d=%016llx\n", i, (unsigned long long)f->x[i],
			        i + 1, (unsigned long long)f->x[i + 1]);
	}
}

void trap_entry(struct trap_frame *f, uint64_t kind)
{
	if ((kind & 3) == 1 && kind < 8) {
		aarch64_handle_irq();
		return;
	}
	dump(f, kind);
	kprintf("*** halting: exit status %d\n", HK_EXIT_PANIC);
	arch_exit(HK_EXIT_PANIC);
}
