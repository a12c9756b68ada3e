// SPDX-License-Identifier: BSD-2-Clause
/*
 * GICv3 (distributor, each CPU's redistributor, system-register CPU
 * interface), the EL1 virtual timer as each CPU's periodic tick, and SGI 1
 * as the wake-up IPI. The distributor is set up once by the boot CPU; each
 * CPU sets up its own redistributor and timer. Called with interrupts masked.
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
#define ICC_SGI1R_EL1   S3_0_C12_C11_5

#define SGI_WAKE        1
#define CNTV_CTL_ENABLE 1u
#define CNTV_CTL_IMASK  2u

#define SPIN_LIMIT 10000000

static volatile uint8_t *gicd;
static volatile uint8_t *rds[ARCH_MAX_CPUS]; /* each CPU's redistributor */
static uint64_t mpidrs[ARCH_MAX_CPUS];
static uint32_t timer_intid;
static uint64_t timer_period;
static uint64_t spurious, unexpected;

static volatile uint8_t *this_rd(void) { return rds[arch_cpu_id()]; }

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

/* This CPU's redistributor awake, SGIs/PPIs in group 1, CPU interface on. */
static int cpu_interface_init(const struct bootinfo *bi, unsigned cpu, char *err, size_t errlen)
{
	volatile uint8_t *rd = find_rd(bi);
	if (!rd)
		return fmt_snprintf(err, errlen, "gic: no redistributor for CPU %u", cpu),
		       -HK_EINVAL;
	rds[cpu] = rd;
	mpidrs[cpu] = read_sysreg(mpidr_el1);
	w32(rd, GICR_WAKER, r32(rd, GICR_WAKER) & ~GICR_WAKER_SLEEP);
	if (wait_bits(rd, GICR_WAKER, GICR_WAKER_ASLEEP, 0))
		return fmt_snprintf(err, errlen, "gic: redistributor of CPU %u did not wake", cpu),
		       -HK_EINVAL;
	w32(rd, GICR_SGI + GICR_IGROUPR0, 0xffffffff); /* SGIs and PPIs in group 1 */
	write_sysreg(ICC_SRE_EL1, read_sysreg(ICC_SRE_EL1) | 1);
	isb();
	write_sysreg(ICC_PMR_EL1, 0xf0);
	write_sysreg(ICC_BPR1_EL1, 0);
	write_sysreg(ICC_IGRPEN1_EL1, 1);
	isb();
	return 0;
}

int arch_irq_init(const struct bootinfo *bi, char *err, size_t errlen)
{
	gicd = arch_phys_to_virt(bi->gicd.base);
	w32(gicd, GICD_CTLR, 0);
	if (wait_bits(gicd, GICD_CTLR, GICD_CTLR_RWP, 0))
		return fmt_snprintf(err, errlen, "gic: distributor did not settle"), -HK_EINVAL;
	w32(gicd, GICD_CTLR, GICD_CTLR_ENABLE);
	return cpu_interface_init(bi, 0, err, errlen);
}

static void enable_ppi(uint32_t intid)
{
	volatile uint8_t *rd = this_rd();
	volatile uint8_t *prio = rd + GICR_SGI + GICR_IPRIORITYR + intid;
	*prio = 0xa0;
	w32(rd, GICR_SGI + GICR_ISENABLER0, 1u << intid);
}

/* This CPU's tick (the period is set by the boot CPU) and its wake-up SGI. */
static void timer_start_local(void)
{
	enable_ppi(timer_intid);
	enable_ppi(SGI_WAKE);
	write_sysreg(cntv_cval_el0, arch_counter() + timer_period);
	write_sysreg(cntv_ctl_el0, CNTV_CTL_ENABLE);
	isb();
}

int arch_timer_start(const struct bootinfo *bi, unsigned hz)
{
	uint64_t freq = arch_counter_freq();
	timer_intid = bi->timer_virt.intid;
	if (!freq || !hz || timer_intid < 16 || timer_intid >= 32)
		return -HK_EINVAL;
	timer_period = freq / hz;
	timer_start_local();
	return 0;
}

int aarch64_gic_init_cpu(const struct bootinfo *bi, unsigned cpu)
{
	char err[64];
	int rc = cpu_interface_init(bi, cpu, err, sizeof(err));
	if (rc)
		return rc;
	timer_start_local();
	return 0;
}

void arch_timer_local(int on)
{
	if (on)
		write_sysreg(cntv_cval_el0, arch_counter() + timer_period);
	write_sysreg(cntv_ctl_el0, CNTV_CTL_ENABLE | (on ? 0 : CNTV_CTL_IMASK));
	isb();
}

/* SGI to one CPU: affinity fields from its MPIDR, target list bit Aff0. */
void arch_cpu_kick(unsigned cpu)
{
	uint64_t m = mpidrs[cpu];
	uint64_t v = ((m >> 32) & 0xff) << 48 | ((m >> 16) & 0xff) << 32 | ((m >> 8) & 0xff) << 16 |
	             (uint64_t)SGI_WAKE << 24 | (1ull << (m & 0xf));
	dsb(ishst);
	write_sysreg(ICC_SGI1R_EL1, v);
	isb();
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
		write_sysreg(ICC_EOIR1_EL1, iar);
		kernel_irq_tick();
		return;
	} else if (intid == SGI_WAKE) {
		write_sysreg(ICC_EOIR1_EL1, iar);
		kernel_irq_ipi();
		return;
	} else {
		unexpected++;
		kprintf("irq: unexpected INTID %u\n", intid);
	}
	write_sysreg(ICC_EOIR1_EL1, iar);
}
