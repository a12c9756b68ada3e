// SPDX-License-Identifier: BSD-2-Clause
/*
 * System call dispatch. The table is generated from HK_SYSCALLS
 * (<hekate/syscalls.h>), the same list the user stubs come from. Every
 * handler treats its raw 64-bit arguments as hostile: numbers are range
 * checked without truncation, pointers go through vm_copy_*, lengths have
 * the documented limits. Rights are checked here, before any handler runs.
 */
#include "kernel.h"
#include "irq.h"
#include "kan.h"
#include "timer.h"
#include "proc.h"
#include <ck_pr.h>
#include <hekate/errno.h>
#include <hekate/kprintf.h>
#include <string.h>

typedef int64_t (*sys_fn)(struct proc *p, const uint64_t *a);

struct sysent {
	sys_fn fn;
	int rights;
	const char *name;
};

#define DECLARE(nr, name, rights, nargs, params, args)                                             \
	static int64_t sys_##name(struct proc *p, const uint64_t *a);
HK_SYSCALLS(DECLARE)
#define ENTRY(nr, name, rights, nargs, params, args) [nr] = {sys_##name, rights, #name},
static const struct sysent table[] = {HK_SYSCALLS(ENTRY)};
_Static_assert(sizeof(table) / sizeof(table[0]) == HK_NR_SYSCALLS, "HK_NR_SYSCALLS is stale");

static char console_buf[ARCH_MAX_CPUS][HK_CONSOLE_MAX];

uint64_t kernel_syscall(uint64_t nr, const uint64_t args[6])
{
	struct proc *p = current()->proc;
	if (nr >= HK_NR_SYSCALLS)
		return (uint64_t)-HK_ENOSYS;
	const struct sysent *e = &table[nr];
	if (e->rights == HK_R_SUPERVISOR && !p->supervisor)
		return (uint64_t)-HK_EPERM;
	return (uint64_t)e->fn(p, args);
}

static int64_t sys_exit(struct proc *p, const uint64_t *a)
{
	(void)p;
	proc_exit((int)a[0]);
}

static int64_t sys_thread_exit(struct proc *p, const uint64_t *a)
{
	(void)p, (void)a;
	proc_thread_exit();
}

static int64_t sys_console_write(struct proc *p, const uint64_t *a)
{
	if (a[1] > HK_CONSOLE_MAX)
		return -HK_E2BIG;
	char *buf = console_buf[arch_cpu_id()];
	int rc = vm_copy_in(p, buf, a[0], a[1]);
	if (rc)
		return rc;
	console_write(buf, a[1]);
	return (int64_t)a[1];
}

static int64_t sys_yield(struct proc *p, const uint64_t *a)
{
	(void)p, (void)a;
	this_cpu()->need_resched = 1; /* the return path switches if anything else is runnable */
	return 0;
}

static int64_t sys_self(struct proc *p, const uint64_t *a)
{
	struct hk_self s = {
	    .pid = p->pid, .tid = current()->tid, .core = arch_cpu_id(), .index = p->index};
	memcpy(s.name, p->name, sizeof(s.name));
	return vm_copy_out(p, a[0], &s, sizeof(s));
}

static int64_t sys_thread_create(struct proc *p, const uint64_t *a)
{
	return proc_thread_create(p, a[0], a[1], a[2]);
}

static int64_t sys_futex_wait(struct proc *p, const uint64_t *a)
{
	if (a[1] > UINT32_MAX)
		return -HK_EINVAL;
	return futex_wait(p, a[0], (uint32_t)a[1], a[2]);
}

static int64_t sys_futex_wake(struct proc *p, const uint64_t *a)
{
	unsigned n = a[1] > HK_FUTEX_WAKE_MAX ? HK_FUTEX_WAKE_MAX : (unsigned)a[1];
	return futex_wake(p, a[0], n);
}

static int64_t sys_sleep_us(struct proc *p, const uint64_t *a)
{
	(void)p;
	if (a[0] == HK_TIMEOUT_FOREVER)
		return -HK_EINVAL; /* a sleep must end */
	sched_prepare_block(a[0]);
	return sched_wait() == WAKE_KILLED ? -HK_ESRCH : 0;
}

/*
 * Grow the heap towards `end`, at most HK_BRK_STEP_MAX pages per call so
 * the call stays bounded; returns the new break (userlib calls again until
 * it reaches what it wants). end = 0 asks for the current break.
 */
static int64_t brk_locked(struct proc *p, const uint64_t *a)
{
	uint64_t end = a[0];
	if (!end)
		return (int64_t)p->heap_end;
	if (end < p->heap_end || end - p->heap_base > HK_HEAP_MAX)
		return end < p->heap_end ? -HK_EINVAL : -HK_ENOMEM;
	uint64_t want = (end + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
	uint64_t n = (want - p->heap_mapped) / PAGE_SIZE;
	n = n > HK_BRK_STEP_MAX ? HK_BRK_STEP_MAX : n;
	if (n) {
		int rc = vm_map_anon(p, p->heap_mapped, n, PT_R | PT_W);
		if (rc)
			return rc;
		p->heap_mapped += n * PAGE_SIZE;
	}
	p->heap_end = end < p->heap_mapped ? end : p->heap_mapped;
	return (int64_t)p->heap_end;
}

static int64_t sys_brk(struct proc *p, const uint64_t *a)
{
	ck_spinlock_fas_lock(&proc_lock);
	int64_t r = brk_locked(p, a);
	ck_spinlock_fas_unlock(&proc_lock);
	return r;
}

static int64_t sys_core_stat(struct proc *p, const uint64_t *a)
{
	if (a[0] >= ARCH_MAX_CPUS || !ck_pr_load_int(&cpus[a[0]].online))
		return -HK_EINVAL;
	struct cpu *c = &cpus[a[0]];
	struct hk_core_stat s = {.switches = ck_pr_load_64(&c->st.switches),
	                         .ticks = ck_pr_load_64(&c->st.ticks),
	                         .preemptions = ck_pr_load_64(&c->st.preemptions),
	                         .idle_wakeups = ck_pr_load_64(&c->st.idle_wakeups),
	                         .claimed_by = ck_pr_load_int(&c->claimed_by),
	                         .online = 1,
	                         .cycles = arch_cycles(),
	                         .idle_cycles = ck_pr_load_64(&c->st.idle_cycles)};
	return vm_copy_out(p, a[1], &s, sizeof(s));
}

static int64_t sys_kstat(struct proc *p, const uint64_t *a)
{
	struct hk_kstat s = {.free_pages = pages_free(),
	                     .total_pages = pages_total(),
	                     .ncpus = ck_pr_load_uint(&ncpus_online),
	                     .ticks = kernel_ticks()};
	for (unsigned i = 0; i < MAX_PROCS; i++)
		s.nprocs += procs[i].state == P_LIVE;
	return vm_copy_out(p, a[0], &s, sizeof(s));
}

static int64_t sys_proc_info(struct proc *p, const uint64_t *a)
{
	struct hk_proc_info info;
	if (a[0] > UINT32_MAX)
		return -HK_ENOENT;
	int rc = proc_info((unsigned)a[0], &info);
	return rc ? rc : vm_copy_out(p, a[1], &info, sizeof(info));
}

static int64_t sys_dev_info(struct proc *p, const uint64_t *a)
{
	if (a[0] >= p->ngrants)
		return -HK_ENOENT;
	const struct grant *g = &p->grants[a[0]];
	struct hk_dev_info d = {.va = g->va, .size = g->size, .irq = g->irq};
	memcpy(d.name, g->name, sizeof(d.name));
	return vm_copy_out(p, a[1], &d, sizeof(d));
}

static int64_t sys_spawn(struct proc *p, const uint64_t *a)
{
	(void)p;
	int pid;
	if (a[0] > UINT32_MAX)
		return -HK_EINVAL;
	int rc = proc_spawn((unsigned)a[0], &pid);
	return rc ? rc : pid;
}

static int64_t sys_kill(struct proc *p, const uint64_t *a)
{
	(void)p;
	if ((int64_t)a[0] <= 0 || a[0] > INT32_MAX)
		return -HK_ESRCH;
	return proc_kill((int)a[0], HK_CAUSE_KILLED);
}

static int64_t sys_wait(struct proc *p, const uint64_t *a)
{
	(void)p;
	return proc_wait(a[0], a[1]);
}

static int64_t sys_time_us(struct proc *p, const uint64_t *a)
{
	(void)p, (void)a;
	return (int64_t)time_us();
}

/* --- the KAN (kernel/kan.c checks everything; these only move descriptors) --- */

static int64_t sys_kan_self(struct proc *p, const uint64_t *a)
{
	struct hk_kan_self s;
	kan_self(p, &s);
	return vm_copy_out(p, a[0], &s, sizeof(s));
}

static int64_t sys_kan_bind(struct proc *p, const uint64_t *a) { return kan_bind(p, a[0], a[1]); }

static int64_t sys_kan_join(struct proc *p, const uint64_t *a)
{
	struct hk_addr g;
	int rc = vm_copy_in(p, &g, a[0], sizeof(g));
	return rc ? rc : kan_join(p, &g, a[1]);
}

static int64_t sys_kan_close(struct proc *p, const uint64_t *a)
{
	if (a[0] == p->kan->primary)
		return -HK_EPERM; /* the spawn-time address lives as long as the process */
	return kan_close(p, a[0]);
}

/* A vector count: 1..HK_KAN_BATCH. */
static int batch(uint64_t n) { return !n ? -HK_EINVAL : n > HK_KAN_BATCH ? -HK_E2BIG : 0; }

static int64_t sys_kan_alloc(struct proc *p, const uint64_t *a)
{
	struct hk_pkt d[HK_KAN_BATCH];
	int rc = batch(a[1]);
	if (!rc)
		rc = vm_check(p, a[0], a[1] * sizeof(d[0]), PT_W);
	if (rc)
		return rc;
	unsigned n = 0;
	for (; n < a[1]; n++) {
		int64_t v = kan_alloc1(p);
		if (v < 0) {
			if (!n)
				return v;
			break;
		}
		d[n] = hk_pkt_unpack((uint64_t)v);
	}
	rc = vm_copy_out(p, a[0], d, n * sizeof(d[0]));
	for (unsigned i = 0; rc && i < n; i++)
		kan_free1(p, d[i]); /* the caller unmapped its own buffer meanwhile */
	return rc ? rc : n;
}

/* Apply fn to each descriptor in order; stops at the first failure (count so far, or its error). */
static int64_t each(struct proc *p, const uint64_t *a, uint64_t flags,
                    int (*fn)(struct proc *, struct hk_pkt, uint64_t))
{
	struct hk_pkt d[HK_KAN_BATCH];
	int rc = batch(a[1]);
	if (!rc)
		rc = vm_copy_in(p, d, a[0], a[1] * sizeof(d[0]));
	if (rc)
		return rc;
	for (unsigned i = 0; i < a[1]; i++) {
		rc = fn(p, d[i], flags);
		if (rc)
			return i ? (int64_t)i : rc;
	}
	return (int64_t)a[1];
}

static int free_fn(struct proc *p, struct hk_pkt d, uint64_t flags)
{
	(void)flags;
	return kan_free1(p, d);
}

static int64_t sys_kan_free(struct proc *p, const uint64_t *a) { return each(p, a, 0, free_fn); }

static int64_t sys_kan_send(struct proc *p, const uint64_t *a)
{
	struct hk_pkt d[HK_KAN_BATCH];
	int rc = batch(a[1]);
	if (!rc)
		rc = vm_copy_in(p, d, a[0], a[1] * sizeof(d[0]));
	return rc ? rc : kan_send(p, d, (unsigned)a[1], a[2]);
}

static int64_t sys_kan_recv(struct proc *p, const uint64_t *a)
{
	uint32_t hs[HK_KAN_WAIT_MAX];
	struct hk_pkt d[HK_KAN_BATCH];
	int rc = a[1] > HK_KAN_WAIT_MAX ? -HK_E2BIG : !a[1] ? -HK_EINVAL : batch(a[3]);
	if (!rc)
		rc = vm_copy_in(p, hs, a[0], a[1] * sizeof(hs[0]));
	if (!rc)
		rc = vm_check(p, a[2], a[3] * sizeof(d[0]), PT_W);
	if (rc)
		return rc;
	int n = kan_recv(p, hs, (unsigned)a[1], d, (unsigned)a[3], a[4]);
	if (n <= 0)
		return n;
	rc = vm_copy_out(p, a[2], d, (size_t)n * sizeof(d[0]));
	for (int i = 0; rc && i < n; i++)
		kan_free1(p, d[i]);
	return rc ? rc : n;
}

static int64_t sys_kan_alloc1(struct proc *p, const uint64_t *a)
{
	(void)a;
	return kan_alloc1(p);
}

static int64_t sys_kan_free1(struct proc *p, const uint64_t *a)
{
	return kan_free1(p, hk_pkt_unpack(a[0]));
}

static int64_t sys_kan_send1(struct proc *p, const uint64_t *a)
{
	return kan_send1(p, hk_pkt_unpack(a[0]), a[1]);
}

static int64_t sys_kan_recv1(struct proc *p, const uint64_t *a)
{
	uint32_t h;
	struct hk_pkt d;
	if (a[0] >= HK_KAN_MAX_EPS)
		return -HK_ENOENT;
	h = (uint32_t)a[0];
	int n = kan_recv(p, &h, 1, &d, 1, a[1]);
	return n < 0 ? n : (int64_t)hk_pkt_pack(d);
}

static int64_t sys_kan_stat(struct proc *p, const uint64_t *a)
{
	union kan_stat_out out;
	if (a[0] > UINT32_MAX)
		return -HK_EINVAL;
	int rc = kan_stat((unsigned)a[0], a[1], &out);
	if (rc)
		return rc;
	size_t len = a[0] == HK_STAT_NODE ? sizeof(out.node) : sizeof(out.c);
	return vm_copy_out(p, a[2], &out, len);
}

/* Timers as packets (kernel/timer.c) and interrupts as packets (kernel/irq.c). */
static int64_t sys_timer_arm(struct proc *p, const uint64_t *a)
{
	return timer_arm(p, a[0], a[1], a[2], a[3]);
}

static int64_t sys_timer_cancel(struct proc *p, const uint64_t *a)
{
	return timer_cancel(p, a[0]);
}

static int64_t sys_irq_bind(struct proc *p, const uint64_t *a)
{
	return irq_bind(p, a[0], a[1]);
}

static int64_t sys_irq_ack(struct proc *p, const uint64_t *a)
{
	return irq_ack(p, a[0]);
}

/* dma_addr(grant, pkts, n, pa): the physical addresses of packets the caller
 * holds, for a device it was granted that does DMA (docs/dma.md). */
static int64_t sys_dma_addr(struct proc *p, const uint64_t *a)
{
	struct hk_pkt d[HK_KAN_BATCH];
	uint64_t pa[HK_KAN_BATCH];
	if (a[0] >= p->ngrants)
		return -HK_ENOENT;
	if (!p->grants[a[0]].dma)
		return -HK_EPERM;
	int rc = batch(a[2]);
	if (!rc)
		rc = vm_copy_in(p, d, a[1], a[2] * sizeof(d[0]));
	if (!rc)
		rc = vm_check(p, a[3], a[2] * sizeof(pa[0]), PT_W);
	if (!rc)
		rc = kan_dma_addrs(p, d, (unsigned)a[2], pa);
	return rc ? rc : vm_copy_out(p, a[3], pa, a[2] * sizeof(pa[0]));
}
