// SPDX-License-Identifier: BSD-2-Clause
/*
 * Exception dispatch. From EL0: SVC is a system call, an abort or an
 * undefined instruction is a user fault handed to the kernel (which ends the
 * process), an IRQ goes to the GIC; every return to EL0 passes through
 * kernel_return_to_user(). From EL1 only IRQs are expected (taken in the
 * idle loop); anything else is a kernel bug: print a register dump with the
 * decoded exception class and fault address, then exit with HK_EXIT_PANIC.
 */
#include <arch.h>
#include <arch/internal.h>
#include <arch/regs.h>
#include <arch/sysreg.h>
#include <hekate/exit.h>
#include <hekate/kprintf.h>

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

/* Decode a synchronous exception from EL0 that is not a system call. */
static void user_fault(const struct trap_frame *f, uint64_t esr)
{
	unsigned ec = (unsigned)(esr >> 26) & 0x3f, fsc = (unsigned)esr & 0x3f;
	struct arch_fault uf = {.kind = ARCH_FAULT_OTHER, .pc = f->elr, .what = ec_name(ec)};
	switch (ec) {
	case 0x20: /* instruction abort */
	case 0x24: /* data abort */
		uf.addr = read_sysreg(far_el1);
		uf.exec = ec == 0x20;
		uf.write = ec == 0x24 && (esr & (1u << 6));
		if ((fsc & 0x3c) == 0x04)
			uf.kind = ARCH_FAULT_TRANSLATION;
		else if ((fsc & 0x3c) == 0x0c || (fsc & 0x3c) == 0x08)
			uf.kind = ARCH_FAULT_PERMISSION;
		else if (fsc == 0x21)
			uf.kind = ARCH_FAULT_ALIGN;
		break;
	case 0x22: /* PC alignment */
		uf.kind = ARCH_FAULT_ALIGN;
		uf.addr = read_sysreg(far_el1);
		break;
	case 0x26: /* SP alignment */
		uf.kind = ARCH_FAULT_ALIGN;
		uf.addr = f->sp;
		break;
	case 0x00: /* undefined */
	case 0x01: /* WFI/WFE trapped */
	case 0x0e: /* illegal execution state */
	case 0x18: /* MSR/MRS trapped: privileged register */
	case 0x3c: /* BRK */ uf.kind = ARCH_FAULT_UNDEF; break;
	}
	kernel_user_fault(&uf);
}

static void from_user(struct trap_frame *f, uint64_t kind)
{
	if ((kind & 3) == 1) {
		aarch64_handle_irq();
	} else if ((kind & 3) == 0) {
		uint64_t esr = read_sysreg(esr_el1);
		if (((esr >> 26) & 0x3f) == 0x15)
			f->x[0] = kernel_syscall(f->x[8], f->x);
		else
			user_fault(f, esr);
	} else {
		dump(f, kind);
		arch_exit(HK_EXIT_PANIC);
	}
	kernel_return_to_user();
}

void trap_entry(struct trap_frame *f, uint64_t kind)
{
	if (kind == 8 || kind == 9) {
		from_user(f, kind);
		return;
	}
	if (kind == 5 || kind == 1) {
		aarch64_handle_irq();
		return;
	}
	dump(f, kind);
	kprintf("*** halting: exit status %d\n", HK_EXIT_PANIC);
	arch_exit(HK_EXIT_PANIC);
}
