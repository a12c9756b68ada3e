// SPDX-License-Identifier: BSD-2-Clause
/*
 * GICv3 (distributor, each CPU's redistributor, system-register CPU
 * interface), the EL1 virtual timer as each CPU's periodic tick and
 * one-shot kernel deadline, and SGI 1 as the wake-up IPI. The distributor is set up once by the boot CPU; each
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

/*
 * Each CPU's comparator (CNTV_CVAL) serves two clients: the periodic tick
 * and the kernel's one-shot deadline; it is programmed to the earlier one.
 * Touched only by its own CPU with interrupts masked, so no lock.
 */
struct vtimer {
	uint64_t tick_next; /* counter value of the next tick */
	uint64_t deadline;  /* kernel deadline, UINT64_MAX = none */
	int tick_on;        /* 0 on a claimed core */
};
static struct vtimer vtimers[ARCH_MAX_CPUS];
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

/* Program the comparator for the earlier client; masked when neither wants it. */
static void vtimer_program(const struct vtimer *v)
{
	uint64_t at = v->tick_on && v->tick_next < v->deadline ? v->tick_next : v->deadline;
	write_sysreg(cntv_cval_el0, at);
	write_sysreg(cntv_ctl_el0, CNTV_CTL_ENABLE | (at == UINT64_MAX ? CNTV_CTL_IMASK : 0));
	isb();
}

/* This CPU's tick (the period is set by the boot CPU) and its wake-up SGI. */
static void timer_start_local(void)
{
	struct vtimer *v = &vtimers[arch_cpu_id()];
	enable_ppi(timer_intid);
	enable_ppi(SGI_WAKE);
	v->tick_next = arch_counter() + timer_period;
	v->deadline = UINT64_MAX;
	v->tick_on = 1;
	vtimer_program(v);
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
	struct vtimer *v = &vtimers[arch_cpu_id()];
	if (on)
		v->tick_next = arch_counter() + timer_period;
	v->tick_on = on;
	vtimer_program(v);
}

void arch_timer_deadline(uint64_t at)
{
	struct vtimer *v = &vtimers[arch_cpu_id()];
	v->deadline = at;
	vtimer_program(v);
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

/* --- device lines: SPIs through the distributor (kernel/irq.c) --------------------- */

#define GICD_TYPER      0x0004
#define GICD_IGROUPR    0x0080
#define GICD_ISENABLER  0x0100
#define GICD_ICENABLER  0x0180
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR      0x0c00
#define GICD_IROUTER    0x6000
#define GICR_ICENABLER0 0x0180
#define SPI_PRIORITY    0xa0

static void w64(volatile uint8_t *b, uint32_t off, uint64_t v)
{
	*(volatile uint64_t *)(b + off) = v;
}

int arch_irq_line_valid(uint32_t intid)
{
	uint32_t lines = 32 * ((r32(gicd, GICD_TYPER) & 0x1f) + 1);
	return intid >= 32 && intid < lines && intid < 1020;
}

/* Disabling takes effect once RWP clears: no new signal for the line after this returns. */
void arch_irq_line_mask(uint32_t intid)
{
	w32(gicd, GICD_ICENABLER + 4 * (intid / 32), 1u << (intid % 32));
	dsb(sy);
	wait_bits(gicd, GICD_CTLR, GICD_CTLR_RWP, 0);
}

void arch_irq_line_unmask(uint32_t intid)
{
	w32(gicd, GICD_ISENABLER + 4 * (intid / 32), 1u << (intid % 32));
}

/*
 * Group 1, the PPIs' priority, level or edge, routed to one CPU by affinity
 * (IROUTER's Aff3 and Aff2.Aff1.Aff0 sit where MPIDR has them). The caller
 * serialises read-modify-writes of the shared group and config words.
 */
void arch_irq_line_route(uint32_t intid, unsigned cpu, int edge)
{
	uint32_t word = 4 * (intid / 32), bit = 1u << (intid % 32);
	uint32_t cfg_off = GICD_ICFGR + 4 * (intid / 16), cfg_bit = 2u << 2 * (intid % 16);
	arch_irq_line_mask(intid);
	w32(gicd, GICD_IGROUPR + word, r32(gicd, GICD_IGROUPR + word) | bit);
	gicd[GICD_IPRIORITYR + intid] = SPI_PRIORITY;
	uint32_t cfg = r32(gicd, cfg_off);
	w32(gicd, cfg_off, edge ? cfg | cfg_bit : cfg & ~cfg_bit);
	w64(gicd, GICD_IROUTER + 8 * intid, mpidrs[cpu] & 0xff00ffffffull);
	arch_irq_line_unmask(intid);
}

/*
 * The comparator fired: consume the deadline, move the tick one period on
 * (skipping missed ones) if it is due, and re-program before the EOI (the
 * line is level-sensitive). Returns 1 if the tick was due.
 */
static int vtimer_fired(void)
{
	struct vtimer *v = &vtimers[arch_cpu_id()];
	uint64_t now = arch_counter();
	int tick = v->tick_on && now >= v->tick_next;
	if (tick) {
		v->tick_next += timer_period;
		if (v->tick_next <= now)
			v->tick_next = now + timer_period;
	}
	v->deadline = UINT64_MAX;
	vtimer_program(v);
	return tick;
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
		int tick = vtimer_fired();
		write_sysreg(ICC_EOIR1_EL1, iar);
		if (tick)
			kernel_irq_tick();
		kernel_irq_timer();
		return;
	} else if (intid == SGI_WAKE) {
		write_sysreg(ICC_EOIR1_EL1, iar);
		kernel_irq_ipi();
		return;
	} else if (intid >= 32) {
		/* A device line stays masked until the kernel unmasks it (irq_ack): a
		 * level-triggered device that keeps asserting cannot storm. */
		arch_irq_line_mask(intid);
		write_sysreg(ICC_EOIR1_EL1, iar);
		kernel_irq_device(intid);
		return;
	} else {
		/* An SGI or PPI nothing enabled: mask it here so it cannot recur. */
		unexpected++;
		w32(this_rd(), GICR_SGI + GICR_ICENABLER0, 1u << intid);
		kprintf("irq: unexpected INTID %u, masked\n", intid);
	}
	write_sysreg(ICC_EOIR1_EL1, iar);
}
