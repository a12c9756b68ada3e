/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_PROC_H
#define HEKATE_PROC_H

/*
 * Processes, threads, CPUs and the scheduler (kernel/proc.c, sched.c,
 * vm.c, futex.c, syscall.c).
 *
 * Concurrency model: kernel code runs with interrupts masked and is never
 * preempted; interrupts are taken in user mode or in a CPU's idle loop.
 * Threads never migrate: each is bound to its home CPU for life, so only
 * that CPU switches to or from it. Locks, always taken in this order:
 *   proc_lock      process and thread tables, lifecycle, exit records
 *   futex_lock     futex wait queues
 *   cpu->lock      that CPU's run queue and sleep list, thread states
 * Page allocation has its own lock (mem.c) and may be taken under any.
 */
#include <arch.h>
#include <ck_spinlock.h>
#include <hekate/manifest.h>
#include <hekate/syscalls.h>
#include <stdint.h>

#define MAX_PROCS    MAN_MAX_PROCS
#define MAX_THREADS  128 /* all processes together */
#define KSTACK_PAGES 4
#define MAX_GRANTS   MAN_MAX_DEVS
#define TICK_US      10000u

enum tstate { T_FREE, T_RUNNABLE, T_RUNNING, T_BLOCKED, T_DEAD };
enum wake_reason { WAKE_NONE, WAKE_EVENT, WAKE_TIMEOUT, WAKE_KILLED };

struct proc;

struct thread {
	struct arch_ctx ctx;
	struct arch_fpstate fp;
	uint64_t tp;
	struct proc *proc; /* NULL for a CPU's idle thread */
	int tid;           /* index in proc->threads */
	unsigned cpu;      /* home CPU, fixed */
	enum tstate state;
	uint64_t kstack_pa;
	struct thread *next; /* run queue link (cpu->lock) */
	/* blocking (futex_lock / cpu->lock) */
	struct thread *wnext;    /* futex bucket or supervisor wait link */
	uint64_t wait_key;       /* futex: user address; 0 when not queued */
	uint64_t wake_at;        /* counter value; 0 = no timeout */
	struct thread *snext;    /* sleep list link (cpu->lock) */
	int sleeping;            /* on its CPU's sleep list */
	enum wake_reason reason; /* why it last woke */
	int claims;              /* holds its CPU exclusively */
};

struct grant {
	char name[MAN_DEV_MAX];
	uint64_t pa, size, va;
	uint32_t irq;
	uint32_t irq_flags; /* the DTB's trigger flags (kernel/irq.c) */
	uint64_t dev_pa;    /* the device's registers (pa is that rounded down to a page) */
	int dma;            /* a bus master (virtio): dma_addr allowed, reset when the holder ends */
};

enum pstate { P_FREE, P_LOADING, P_LIVE, P_ZOMBIE };

struct proc {
	enum pstate state;
	int pid;
	unsigned slot, asid;
	int index; /* manifest entry */
	char name[MAN_NAME_MAX];
	int supervisor;
	uint64_t cores; /* CPUs its threads may be placed on */
	int claim;      /* claimed CPU or -1 */
	/* address space (vm_lock serialises changes; lookups need no lock) */
	ck_spinlock_fas_t vm_lock;
	uint64_t root;
	uint64_t pages; /* pages owned: tables, segments, stacks, heap */
	uint64_t cycles; /* PMU cycles its threads ran, kernel work for them included (sched.c) */
	uint64_t heap_base, heap_end, heap_mapped;
	uint32_t stacks_mapped; /* bit i: thread slot i's stack is mapped */
	struct grant grants[MAX_GRANTS];
	unsigned ngrants;
	/* threads (proc_lock) */
	struct thread *threads[HK_MAX_THREADS];
	unsigned nthreads; /* not yet reaped */
	int dying;
	struct hk_exit_info exit;
	/* the KAN (kernel/kan.c) */
	struct kan_proc *kan;
	uint64_t cpumask; /* CPUs its threads were placed on (only grows) */
};

struct cpu {
	ck_spinlock_fas_t lock;
	unsigned id;
	int online;
	struct thread *cur, *idle;
	struct thread *rq_head, *rq_tail;
	struct thread *sleepers;
	struct thread *zombie; /* dead thread to reap after switching away */
	int need_resched;
	unsigned nthreads; /* threads placed here (proc_lock) */
	int claimed_by;    /* pid, or -1 (proc_lock) */
	struct hk_core_stat st;
	uint64_t last_switch; /* arch_cycles() at this CPU's last switch */
};

/* --- mem.c: the page allocator, locked --- */
uint64_t page_alloc_zeroed(void); /* PA or 0 */
int page_alloc_run(size_t n, uint64_t *pa);
void page_free(uint64_t pa);
void page_free_run(uint64_t pa, size_t n);
uint64_t pages_free(void);
uint64_t pages_total(void);
void mem_init(struct pmm *pmm);

/* --- sched.c --- */
extern struct cpu cpus[ARCH_MAX_CPUS];
extern unsigned ncpus_online;
static inline struct cpu *this_cpu(void) { return &cpus[arch_cpu_id()]; }
static inline struct thread *current(void) { return this_cpu()->cur; }
void sched_init_cpu(unsigned id, struct thread *idle);
void sched_idle_loop(void) __attribute__((noreturn));
void schedule(void);
/* Make t runnable on its CPU (from T_FREE or T_BLOCKED). Returns 1 if it was woken. */
int sched_wake(struct thread *t, enum wake_reason why);
/*
 * The KAN's hand-off to a receiver: wake t for an event; if t lives on this
 * CPU it runs next, ahead of the run queue, and the caller's return to user
 * switches to it (the direct switch of docs/kan.md). t was blocked, so
 * putting it first cannot starve the threads it passes.
 */
int sched_wake_direct(struct thread *t);
/*
 * Blocking is two steps so no wake-up is lost: sched_prepare_block marks the
 * current thread blocked (and arms its timeout) while the caller still holds
 * the lock under which it publishes the thread to its wakers; after
 * dropping that lock the caller calls sched_wait, which switches away
 * unless a wake already came.
 */
void sched_prepare_block(uint64_t timeout_us);
enum wake_reason sched_wait(void);
/*
 * Timer interrupt (kernel_irq_timer): wake this CPU's sleepers whose
 * timeout passed; returns the earliest timeout left (counter value,
 * UINT64_MAX if none). Interrupts masked, no lock held.
 */
uint64_t sched_expire_sleepers(void);
void sched_thread_dead(void) __attribute__((noreturn));
/* Home CPU for a new thread of process pid: its claim, else the least loaded allowed CPU. */
unsigned sched_place(uint64_t cores, int claim, int pid);
uint64_t time_us(void);

/* --- vm.c: user memory --- */
int vm_create(struct proc *p);
void vm_destroy(struct proc *p);
/* Map n fresh zeroed owned pages at va with prot (PT_R/W/X). */
int vm_map_anon(struct proc *p, uint64_t va, size_t n, unsigned prot);
int vm_map_device(struct proc *p, uint64_t va, uint64_t pa, uint64_t size);
/* Copy between kernel and user memory; -HK_EFAULT unless every byte is mapped for the access. */
int vm_copy_in(struct proc *p, void *dst, uint64_t uva, size_t len);
int vm_copy_out(struct proc *p, uint64_t uva, const void *src, size_t len);
int vm_check(struct proc *p, uint64_t uva, size_t len, unsigned need);
/* Write into a page of p that the kernel mapped (loader): bypasses the write check. */
int vm_poke(struct proc *p, uint64_t uva, const void *src, size_t len);
/* The last-level page-table entry of va, creating tables (counted in p->pages). */
uint64_t *vm_leaf(struct proc *p, uint64_t va);
/* A zeroed kernel page charged to p (p->pages), e.g. a receive ring; 0 if none. */
uint64_t vm_kernel_page(struct proc *p);
void vm_kernel_page_free(struct proc *p, uint64_t pa);

/* --- proc.c --- */
extern ck_spinlock_fas_t proc_lock;
extern struct proc procs[MAX_PROCS];
/* A device a manifest may grant (built from the DTB at boot). */
struct kdev {
	char name[MAN_DEV_MAX];
	uint64_t pa, size;
	uint32_t irq, irq_flags;
};
/* Keep the boot image and manifest (both live for the kernel's lifetime) and spawn the supervisor.
 */
void proc_boot(const struct manifest *m, const void *image, size_t image_len,
               const struct kdev *devs, unsigned ndevs);
int proc_spawn(unsigned index, int *pid);
int proc_kill(int pid, int cause);
int proc_thread_create(struct proc *p, uint64_t pc, uint64_t arg, uint64_t tp);
void proc_exit(int status) __attribute__((noreturn));
void proc_thread_exit(void) __attribute__((noreturn));
/* End the current process with the given exit record (first cause wins). */
void proc_end(const struct hk_exit_info *why) __attribute__((noreturn));
/* Reap a dead thread after its CPU switched away (sched.c). */
void proc_reap_thread(struct thread *t);
int proc_wait(uint64_t uout, uint64_t timeout_us);
int proc_info(unsigned index, struct hk_proc_info *out);
const struct manifest *proc_manifest(void);
/* manifest_pipe_set under proc_lock, then the forward right of each live
 * process whose entry changed follows its entry. */
int proc_pipe_set(const char *name, const uint8_t *st, unsigned n);

/* --- futex.c --- */
int futex_wait(struct proc *p, uint64_t uaddr, uint32_t expect, uint64_t timeout_us);
int futex_wake(struct proc *p, uint64_t uaddr, unsigned count);
/* Drop t from any futex queue (it is being killed or timed out). */
void futex_forget(struct thread *t);

#endif
