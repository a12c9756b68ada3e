// SPDX-License-Identifier: BSD-2-Clause
/*
 * Processes and threads: spawning a manifest entry from the boot image,
 * creating threads, and ending them: by exit, by a fault, or by the
 * supervisor's kill. A process's end is always the same path: it is marked
 * dying (first cause wins), each of its threads ends itself on its way back
 * to user mode, and when its CPU has switched away from the last one
 * (proc_reap_thread) every page the process held is freed and an exit
 * record waits for the supervisor. The supervisor's own end halts the node.
 * Locking: proc_lock (proc.h) guards the tables and lifecycle fields.
 */
#include "proc.h"
#include "irq.h"
#include "kan.h"
#include "kernel.h"
#include "timer.h"
#include <ck_pr.h>
#include <hekate/cpio.h>
#include <hekate/elf.h>
#include <hekate/errno.h>
#include <hekate/exit.h>
#include <hekate/kprintf.h>
#include <string.h>

_Static_assert(HK_MAX_PROCS == MAN_MAX_PROCS, "one limit, two names");

ck_spinlock_fas_t proc_lock = CK_SPINLOCK_FAS_INITIALIZER;
struct proc procs[MAX_PROCS];
static struct thread thread_pool[MAX_THREADS];

static const struct manifest *man;
static const void *image;
static size_t image_len;
static const struct kdev *kdevs;
static unsigned nkdevs;
static unsigned spawns[MAN_MAX_PROCS];
static int next_pid = 1;
static struct thread *sup_waiter; /* supervisor thread blocked in wait() */

static void lock(void) { ck_spinlock_fas_lock(&proc_lock); }
static void unlock(void) { ck_spinlock_fas_unlock(&proc_lock); }

const struct manifest *proc_manifest(void) { return man; }

static uint64_t stack_top(int tid) { return HK_STACK_TOP - (uint64_t)tid * HK_STACK_SLOT; }

/* proc_lock held */
static struct thread *pool_get(void)
{
	for (unsigned i = 0; i < MAX_THREADS; i++)
		if (thread_pool[i].state == T_FREE && !thread_pool[i].proc)
			return &thread_pool[i];
	return NULL;
}

static int free_tid(struct proc *p)
{
	for (int i = 0; i < (int)HK_MAX_THREADS; i++)
		if (!p->threads[i])
			return i;
	return -1;
}

/* The user stack of thread slot tid, mapped once and reused by later threads in that slot. */
static int map_stack(struct proc *p, int tid)
{
	if (p->stacks_mapped & (1u << tid))
		return 0;
	uint64_t top = stack_top(tid);
	int rc = vm_map_anon(p, top - HK_STACK_PAGES * PAGE_SIZE, HK_STACK_PAGES, PT_R | PT_W);
	if (!rc)
		p->stacks_mapped |= 1u << tid;
	return rc;
}

/*
 * A new thread of p that will enter user mode at pc with (a0, a1) and
 * thread pointer tp; *sp_io is in: the initial stack pointer (0 = the top
 * of its slot's stack), out: what it got. Placed but not yet runnable.
 */
static int thread_new(struct proc *p, uint64_t pc, uint64_t *sp_io, uint64_t a0, uint64_t a1,
                      uint64_t tp, struct thread **out)
{
	lock();
	struct thread *t = pool_get();
	int tid = free_tid(p);
	if (!t || tid < 0) {
		unlock();
		return t ? -HK_E2BIG : -HK_ENOMEM;
	}
	int claims = p->claim >= 0 && tid == 0;
	unsigned cpu = sched_place(p->cores, claims ? p->claim : -1, p->pid);
	if (cpu >= ARCH_MAX_CPUS) {
		unlock();
		return -HK_EBUSY;
	}
	uint64_t kstack;
	int rc = map_stack(p, tid);
	if (!rc)
		rc = page_alloc_run(KSTACK_PAGES, &kstack);
	if (rc) {
		unlock();
		return rc;
	}
	memset(t, 0, sizeof(*t));
	t->proc = p;
	t->tid = tid;
	t->cpu = cpu;
	t->claims = claims;
	t->tp = tp;
	t->kstack_pa = kstack;
	t->state = T_FREE;
	uint64_t sp = *sp_io ? *sp_io : stack_top(tid);
	*sp_io = sp;
	arch_ctx_init_user(&t->ctx, (char *)arch_phys_to_virt(kstack) + KSTACK_PAGES * PAGE_SIZE,
	                   pc, sp, a0, a1);
	p->threads[tid] = t;
	p->nthreads++;
	p->cpumask |= 1ull << cpu; /* before the thread can run: the KAN's TLB flush reads it */
	cpus[cpu].nthreads++;
	if (claims)
		cpus[cpu].claimed_by = p->pid;
	unlock();
	*out = t;
	return 0;
}

int proc_thread_create(struct proc *p, uint64_t pc, uint64_t arg, uint64_t tp)
{
	struct thread *t;
	uint64_t sp = 0;
	if (pc < HK_USER_BASE || pc >= HK_USER_END || (pc & 3))
		return -HK_EINVAL;
	if (vm_check(p, pc, 4, PT_X))
		return -HK_EFAULT; /* not the start of code this process can run */
	int rc = thread_new(p, pc, &sp, arg, 0, tp, &t);
	if (rc)
		return rc;
	sched_wake(t, WAKE_NONE);
	return t->tid;
}

/* argv (name first, then the manifest's args) at the top of the first thread's stack. */
static int push_args(struct proc *p, const struct man_proc *mp, uint64_t *sp, uint64_t *argv)
{
	uint64_t ptrs[MAN_MAX_ARGC + 2];
	uint64_t top = stack_top(0);
	size_t nlen = strlen(mp->name) + 1;
	uint64_t strs = (top - nlen - mp->args_len) & ~15ull;
	if (vm_poke(p, strs, mp->name, nlen) || vm_poke(p, strs + nlen, mp->args, mp->args_len))
		return -HK_EFAULT;
	ptrs[0] = strs;
	uint64_t at = strs + nlen;
	for (unsigned i = 0; i < mp->argc; i++) {
		ptrs[i + 1] = at;
		at += strlen(mp->args + (at - strs - nlen)) + 1;
	}
	ptrs[mp->argc + 1] = 0;
	size_t bytes = (mp->argc + 2) * sizeof(uint64_t);
	*argv = (strs - bytes) & ~15ull;
	*sp = *argv;
	return vm_poke(p, *argv, ptrs, bytes);
}

static int load_segments(struct proc *p, const void *elf, const struct elf_image *ei)
{
	uint64_t end = 0;
	for (unsigned i = 0; i < ei->nseg; i++) {
		const struct elf_seg *s = &ei->seg[i];
		uint64_t lo = s->vaddr & ~(uint64_t)(PAGE_SIZE - 1);
		uint64_t hi = (s->vaddr + s->memsz + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
		unsigned prot = PT_R | ((s->prot & ELF_PROT_W) ? PT_W : 0) |
		                ((s->prot & ELF_PROT_X) ? PT_X : 0);
		int rc = vm_map_anon(p, lo, (hi - lo) / PAGE_SIZE, prot);
		if (!rc)
			rc = vm_poke(p, s->vaddr, (const char *)elf + s->offset, s->filesz);
		if (rc)
			return rc;
		end = hi > end ? hi : end;
	}
	p->heap_base = p->heap_end = p->heap_mapped = end + PAGE_SIZE; /* a guard page after bss */
	return 0;
}

static int grant_devices(struct proc *p, const struct man_proc *mp)
{
	for (unsigned i = 0; i < mp->ndevs; i++) {
		const struct kdev *d = NULL;
		for (unsigned k = 0; k < nkdevs; k++)
			if (!strcmp(kdevs[k].name, mp->devs[i]))
				d = &kdevs[k];
		if (!d)
			return -HK_ENOENT;
		struct grant *g = &p->grants[p->ngrants++];
		memcpy(g->name, d->name, sizeof(g->name));
		g->pa = d->pa & ~(uint64_t)(PAGE_SIZE - 1);
		g->size = (d->pa + d->size - g->pa + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
		g->va = HK_DEVICE_BASE + ((uint64_t)i << 30) + (d->pa - g->pa);
		g->irq = d->irq;
		g->irq_flags = d->irq_flags;
		g->dev_pa = d->pa;
		g->dma = !strncmp(d->name, "virtio-", 7);
		int rc = vm_map_device(p, g->va & ~(uint64_t)(PAGE_SIZE - 1), g->pa, g->size);
		if (rc)
			return rc;
	}
	return 0;
}

/* Build p's address space and first thread from manifest entry mp. */
static int load(struct proc *p, const struct man_proc *mp, struct thread **t0)
{
	struct cpio_file f;
	struct elf_image ei;
	char err[128];
	int rc = cpio_find(image, image_len, mp->bin, &f, err, sizeof(err));
	if (!rc)
		rc = elf_parse(f.data, f.size, arch_elf_machine(), HK_USER_BASE, HK_USER_LOAD_MAX,
		               &ei, err, sizeof(err));
	if (rc) {
		kprintf("spawn %s: %s: %s\n", mp->name, mp->bin,
		        rc == -HK_ENOENT ? "not found" : err);
		return rc;
	}
	uint64_t sp = 0, argv = 0;
	rc = vm_create(p);
	struct kan_limits lim = {mp->kan_quota, mp->kan_eps, mp->uplink, mp->forward, mp->mgmt};
	if (!rc)
		rc = kan_proc_init(p, &lim);
	if (!rc)
		rc = load_segments(p, f.data, &ei);
	if (!rc)
		rc = grant_devices(p, mp);
	if (!rc)
		rc = map_stack(p, 0);
	if (!rc)
		rc = push_args(p, mp, &sp, &argv);
	if (!rc)
		rc = thread_new(p, ei.entry, &sp, mp->argc + 1, argv, 0, t0);
	return rc;
}

/* proc_lock held: a free slot, marked LOADING with a new pid. */
static struct proc *slot_get(unsigned index)
{
	for (unsigned i = 0; i < MAX_PROCS; i++) {
		struct proc *p = &procs[i];
		if (p->state != P_FREE)
			continue;
		memset(p, 0, sizeof(*p));
		p->state = P_LOADING;
		p->slot = i;
		p->asid = i + 1;
		p->pid = next_pid++;
		p->index = (int)index;
		return p;
	}
	return NULL;
}

static struct proc *instance_of(unsigned index)
{
	for (unsigned i = 0; i < MAX_PROCS; i++)
		if (procs[i].state != P_FREE && procs[i].index == (int)index)
			return &procs[i];
	return NULL;
}

int proc_spawn(unsigned index, int *pid)
{
	if (!man || index >= man->nprocs)
		return -HK_EINVAL;
	const struct man_proc *mp = &man->procs[index];
	lock();
	int busy = instance_of(index) != NULL;
	struct proc *p = busy ? NULL : slot_get(index);
	unlock();
	if (!p)
		return busy ? -HK_EBUSY : -HK_ETOOMANY;
	memcpy(p->name, mp->name, sizeof(p->name));
	p->supervisor = mp->supervisor;
	p->cores = mp->cores;
	p->claim = mp->claim;
	struct thread *t0 = NULL;
	int rc = load(p, mp, &t0);
	lock();
	if (rc) {
		if (t0 || p->nthreads)
			panic("spawn: failed after its first thread existed");
		unlock();
		kan_proc_exit(p);
		vm_destroy(p);
		lock();
		p->state = P_FREE;
	} else {
		p->state = P_LIVE;
		spawns[index]++;
	}
	unlock();
	if (rc)
		return rc;
	*pid = p->pid;
	sched_wake(t0, WAKE_NONE);
	return 0;
}

/* proc_lock held. Marks p dying with its exit record and gets every thread moving. */
static void mark_dying(struct proc *p, const struct hk_exit_info *why)
{
	if (p->dying)
		return;
	p->exit = *why;
	ck_pr_store_int(&p->dying, 1);
	for (unsigned i = 0; i < HK_MAX_THREADS; i++) {
		struct thread *t = p->threads[i];
		if (!t || t == current())
			continue;
		if (!sched_wake(t, WAKE_KILLED) && t->cpu != arch_cpu_id())
			arch_cpu_kick(
			    t->cpu); /* running there: it ends on its next return to user */
	}
}

int proc_kill(int pid, int cause)
{
	struct hk_exit_info why = {.cause = (uint32_t)cause};
	int rc = -HK_ESRCH;
	lock();
	for (unsigned i = 0; i < MAX_PROCS; i++) {
		struct proc *p = &procs[i];
		if (p->state != P_LIVE || p->pid != pid)
			continue;
		rc = p == current()->proc ? -HK_EINVAL : 0;
		if (!rc)
			mark_dying(p, &why);
	}
	unlock();
	return rc;
}

void proc_thread_exit(void)
{
	futex_forget(current());
	sched_thread_dead();
}

void proc_end(const struct hk_exit_info *why)
{
	lock();
	mark_dying(current()->proc, why);
	unlock();
	proc_thread_exit();
}

void proc_exit(int status)
{
	struct hk_exit_info why = {.cause = HK_CAUSE_EXIT, .status = status};
	proc_end(&why);
}

/* The supervisor is gone: nothing can restart anything, so the node stops. */
static void supervisor_gone(const struct proc *p)
{
	int status = p->exit.cause == HK_CAUSE_EXIT ? p->exit.status : HK_EXIT_SUPERVISOR;
	kprintf("kernel: supervisor '%s' (pid %d) ended (%s, status %d): halting the node with "
	        "status %d\n",
	        p->name, p->pid, p->exit.cause == HK_CAUSE_EXIT ? "exit" : "fault or kill",
	        p->exit.status, status);
	arch_exit(status);
}

/*
 * Reset every bus-master device p was granted, so none writes into pages
 * that are about to be freed and reused. A virtio device stops all DMA
 * when 0 is written to its Status register (virtio 1.x, 4.2.2; the reset
 * completes when the write does for virtio-mmio).
 */
#define VIRTIO_MMIO_STATUS 0x70 /* virtio-mmio Status register offset */

static void stop_dma(struct proc *p)
{
	for (unsigned i = 0; i < p->ngrants; i++)
		if (p->grants[i].dma)
			arch_mmio_write32(p->grants[i].dev_pa + VIRTIO_MMIO_STATUS, 0);
}

/* Last thread reaped: free the address space, leave the exit record. */
static void proc_finish(struct proc *p)
{
	uint64_t held = p->pages;
	irq_proc_exit(p); /* before its endpoints close: no packet to a dead endpoint */
	stop_dma(p);      /* before its pages go back to the pool (docs/dma.md) */
	timer_proc_exit(p); /* likewise; its timers are gone when this returns */
	kan_proc_exit(p);
	vm_destroy(p);
	if (p->pages)
		panic("proc %s: %llu pages still counted after destroy", p->name,
		      (unsigned long long)p->pages);
	lock();
	if (!p->dying)
		p->exit = (struct hk_exit_info){.cause = HK_CAUSE_EXIT};
	p->exit.pid = p->pid;
	p->exit.index = p->index;
	p->exit.pages_freed = held;
	p->state = P_ZOMBIE;
	struct thread *w = sup_waiter;
	sup_waiter = NULL;
	unlock();
	if (p->supervisor)
		supervisor_gone(p);
	if (w)
		sched_wake(w, WAKE_EVENT);
}

void proc_reap_thread(struct thread *t)
{
	struct proc *p = t->proc;
	page_free_run(t->kstack_pa, KSTACK_PAGES);
	lock();
	p->threads[t->tid] = NULL;
	cpus[t->cpu].nthreads--;
	if (t->claims)
		cpus[t->cpu].claimed_by = -1;
	int last = --p->nthreads == 0;
	t->proc = NULL;
	t->state = T_FREE;
	unlock();
	if (last)
		proc_finish(p);
}

/* proc_lock held: a zombie to report, consumed into *out; 0 if none. */
static int take_zombie(struct hk_exit_info *out, int *any_child)
{
	*any_child = 0;
	for (unsigned i = 0; i < MAX_PROCS; i++) {
		struct proc *p = &procs[i];
		if (p->state == P_ZOMBIE) {
			*out = p->exit;
			p->state = P_FREE;
			return p->pid;
		}
		if ((p->state == P_LIVE || p->state == P_LOADING) && !p->supervisor)
			*any_child = 1;
	}
	return 0;
}

int proc_wait(uint64_t uout, uint64_t timeout_us)
{
	struct proc *self = current()->proc;
	struct hk_exit_info info;
	if (vm_check(self, uout, sizeof(info), PT_R | PT_W))
		return -HK_EFAULT;
	for (int round = 0; round < 2; round++) {
		int any;
		lock();
		int pid = take_zombie(&info, &any);
		if (pid) {
			unlock();
			return vm_copy_out(self, uout, &info, sizeof(info)) ?: pid;
		}
		if (!any || sup_waiter) {
			unlock();
			return any ? -HK_EBUSY : -HK_ECHILD;
		}
		if (round)
			break;
		sup_waiter = current();
		sched_prepare_block(timeout_us);
		unlock();
		enum wake_reason why = sched_wait();
		lock();
		if (sup_waiter == current())
			sup_waiter = NULL;
		unlock();
		if (why == WAKE_TIMEOUT)
			return -HK_ETIMEDOUT;
		if (why == WAKE_KILLED)
			return -HK_ESRCH;
	}
	unlock();
	return -HK_EAGAIN;
}

int proc_info(unsigned index, struct hk_proc_info *out)
{
	if (!man || index >= man->nprocs)
		return -HK_ENOENT;
	const struct man_proc *mp = &man->procs[index];
	memset(out, 0, sizeof(*out));
	memcpy(out->name, mp->name, sizeof(out->name));
	out->restart = mp->restart;
	out->max_restarts = mp->max_restarts;
	out->expect = mp->has_expect ? mp->expect : -1;
	out->claim = mp->claim;
	out->supervisor = (uint32_t)mp->supervisor;
	out->cores = mp->cores;
	out->halt_when_done = (uint32_t)man->halt_when_done;
	out->nprocs = man->nprocs;
	lock(); /* the pipeline fields change under it (proc_pipe_set) */
	out->pipe_next = mp->pipe_next;
	out->pipe_first = mp->pipe_first;
	out->flags = (mp->uplink ? HK_PI_UPLINK : 0) | (mp->forward ? HK_PI_FORWARD : 0) |
	             (mp->mgmt ? HK_PI_MGMT : 0);
	if (mp->pipe >= 0)
		memcpy(out->pipe, man->pipes[mp->pipe].name, sizeof(out->pipe));
	struct proc *p = instance_of(index);
	out->pid = p ? p->pid : -1;
	out->state = !p ? HK_PROC_FREE : p->state == P_ZOMBIE ? HK_PROC_ZOMBIE : HK_PROC_RUNNING;
	out->pages = p ? p->pages : 0;
	out->cycles = p ? ck_pr_load_64(&p->cycles) : 0;
	out->spawns = spawns[index];
	unlock();
	return 0;
}

int proc_pipe_set(const char *name, const uint8_t *st, unsigned n)
{
	uint64_t changed = 0;
	lock();
	/* the manifest is the kernel's own copy (main.c), written only here after boot */
	int rc = manifest_pipe_set((struct manifest *)man, name, st, n, &changed);
	for (unsigned i = 0; !rc && i < man->nprocs; i++) {
		struct proc *p = changed >> i & 1 ? instance_of(i) : NULL;
		if (p && p->kan)
			kan_set_forward(p, man->procs[i].forward);
	}
	unlock();
	return rc;
}

void proc_boot(const struct manifest *m, const void *img, size_t len, const struct kdev *devs,
               unsigned ndevs)
{
	man = m;
	image = img;
	image_len = len;
	kdevs = devs;
	nkdevs = ndevs;
	for (unsigned i = 0; i < m->nprocs; i++) {
		if (!m->procs[i].supervisor)
			continue;
		int pid, rc = proc_spawn(i, &pid);
		if (rc)
			boot_fail("cannot start the supervisor '%s': %s", m->procs[i].name,
			          hk_strerror(rc));
		kprintf("kernel: supervisor '%s' started as pid %d\n", m->procs[i].name, pid);
	}
}
