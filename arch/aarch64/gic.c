// SPDX-License-Identifier: BSD-2-Clause
/*
 * GICv3 (distributor, this CPU's redistributor, system-register CPU
 * interface) and the EL1 virtual timer as the periodic tick.
 * Boot CPU only for now; called with interrupts masked.
 */
#include <arch.h>
#include <arch/internal.h>
#include <arch/sysreg.h>
#include <hekate/errno.h>
#include <hekate/fmt.h>
#include <hekate/kprintf.h>

#define GICD_CTLR        0x0000
#define GICD_CTLR_RWP    (1u << 31)
#define GICD_CTLR_ENABLE 0x13 /* EnableGrp0 | EnableGrp1 | ARE (single security state) */

#define GICR_TYPER        0x0008
#define GICR_TYPER_LAST   (1ull << 4)
#define GICR_TYPER_VLPIS  (1ull << 1)
#define GICR_WAKER        0x0014
#define GICR_WAKER_SLEEP  (1u << 1)
#define GICR_WAKER_ASLEEP (1u << 2)
#define GICR_SGI          0x10000 /* SGI/PPI frame */
#define GICR_IGROUPR0     0x0080
#define GICR_ISENABLER0   0x0100
#define GICR_IPRIORITYR   0x0400

#define ICC_SRE_EL1     S3_0_C12_C12_5
#define ICC_PMR_EL1     S3_0_C4_C6_0
#define ICC_BPR1_EL1    S3_0_C12_C12_3
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICC_IAR1_EL1    S3_0_C12_C12_0
#define ICC_EOIR1_EL1   S3_0_C12_C12_1

#define SPIN_LIMIT 10000000

static volatile uint8_t *gicd;
static volatile uint8_t *rd; /* this CPU's redistributor */
static uint32_t timer_intid;
static uint64_t timer_period;
static uint64_t spurious, unexpected;

static uint32_t r32(volatile uint8_t *b, uint32_t off) { return *(volatile uint32_t *)(b + off); }
static void w32(volatile uint8_t *b, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(b + off) = v;
}
static uint64_t r64(volatile uint8_t *b, uint32_t off) { return *(volatile uint64_t *)(b + off); }

/* Wait until (reg & mask) == want; 0 or -1 after SPIN_LIMIT polls. */
static int wait_bits(volatile uint8_t *b, uint32_t off, uint32_t mask, uint32_t want)
{
	for (int i = 0; i < SPIN_LIMIT; i++)
		if ((r32(b, off) & mask) == want)
			return 0;
	return -1;
}

/* Find the redistributor frame whose affinity matches this CPU's MPIDR. */
static volatile uint8_t *find_rd(const struct bootinfo *bi)
{
	uint64_t mpidr = read_sysreg(mpidr_el1);
	uint32_t aff = (uint32_t)(((mpidr >> 32) & 0xff) << 24 | (mpidr & 0xffffff));
	for (unsigned i = 0; i < bi->ngicr; i++) {
		uint64_t off = 0;
		while (off + 0x20000 <= bi->gicr[i].size) {
			volatile uint8_t *f = arch_phys_to_virt(bi->gicr[i].base + off);
			uint64_t typer = r64(f, GICR_TYPER);
			if ((uint32_t)(typer >> 32) == aff)
				return f;
			if (typer & GICR_TYPER_LAST)
				break;
			off += (typer & GICR_TYPER_VLPIS) ? 0x40000 : 0x20000;
		}
	}
	return NULL;
}

int arch_irq_init(const struct bootinfo *bi, char *err, size_t errlen)
{
	gicd = arch_phys_to_virt(bi->gicd.base);
	w32(gicd, GICD_CTLR, 0);
	if (wait_bits(gicd, GICD_CTLR, GICD_CTLR_RWP, 0))
		return fmt_snprintf(err, errlen, "gic: distributor did not settle"), -HK_EINVAL;
	w32(gicd, GICD_CTLR, GICD_CTLR_ENABLE);
	rd = find_rd(bi);
	if (!rd)
		return fmt_snprintf(err, errlen, "gic: no redistributor for this CPU"), -HK_EINVAL;
	w32(rd, GICR_WAKER, r32(rd, GICR_WAKER) & ~GICR_WAKER_SLEEP);
	if (wait_bits(rd, GICR_WAKER, GICR_WAKER_ASLEEP, 0))
		return fmt_snprintf(err, errlen, "gic: redistributor did not wake"), -HK_EINVAL;
	w32(rd, GICR_SGI + GICR_IGROUPR0, 0xffffffff); /* SGIs and PPIs in group 1 */
	write_sysreg(ICC_SRE_EL1, read_sysreg(ICC_SRE_EL1) | 1);
	isb();
	write_sysreg(ICC_PMR_EL1, 0xf0);
	write_sysreg(ICC_BPR1_EL1, 0);
	write_sysreg(ICC_IGRPEN1_EL1, 1);
	isb();
	return 0;
}

static void enable_ppi(uint32_t intid)
{
	volatile uint8_t *prio = rd + GICR_SGI + GICR_IPRIORITYR + intid;
	*prio = 0xa0;
	w32(rd, GICR_SGI + GICR_ISENABLER0, 1u << intid);
}

int arch_timer_start(const struct bootinfo *bi, unsigned hz)
{
	uint64_t freq = arch_counter_freq();
	timer_intid = bi->timer_virt.intid;
	if (!freq || !hz || timer_intid < 16 || timer_intid >= 32)
		return -HK_EINVAL;
	timer_period = freq / hz;
	enable_ppi(timer_intid);
	write_sysreg(cntv_cval_el0, arch_counter() + timer_period);
	write_sysreg(cntv_ctl_el0, 1); /* enabled, not masked */
	isb();
	return 0;
}

/* Re-arm one period after the previous deadline, skipping missed ones. */
static void timer_rearm(void)
{
	uint64_t next = read_sysreg(cntv_cval_el0) + timer_period;
	uint64_t now = arch_counter();
	if (next <= now)
		next = now + timer_period;
	write_sysreg(cntv_cval_el0, next);
}

/* IRQ exception: acknowledge, dispatch, end of interrupt. */
void aarch64_handle_irq(void)
{
	uint64_t iar = read_sysreg(ICC_IAR1_EL1);
	uint32_t intid = (uint32_t)(iar & 0xffffff);
	if (intid >= 1020) {
		spurious++;
		return;
	}
	if (intid == timer_intid) {
		timer_rearm();
		kernel_irq_tick();
	} else {
		unexpected++;
		kprintf("irq: unexpected INTID %u\n", intid);
	}
	write_sysreg(ICC_EOIR1_EL1, iar);
}
