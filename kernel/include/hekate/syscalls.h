/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_SYSCALLS_H
#define HEKATE_SYSCALLS_H

/*
 * The system call list: the single source of truth. The kernel's dispatch
 * table (kernel/syscall.c) and the user stubs (userlib/include/hekate/sys.h)
 * are both generated from HK_SYSCALLS; docs/syscalls.md documents each entry.
 *
 * ABI (aarch64): `svc #0`, number in x8, arguments in x0..x5, result in x0.
 * A result >= 0 is success; a negative result is -HK_E* (<hekate/errno.h>).
 * Every pointer argument is a user virtual address that the kernel checks
 * page by page against the caller's page tables; every length has a
 * documented limit and a call over it fails with -HK_E2BIG, never truncates.
 * Unknown numbers return -HK_ENOSYS. Every call is O(1) (bounded by the
 * constants below) except spawn, which is bounded by the binary's size.
 *
 * X(nr, name, rights, nargs, (params), (args))
 *   rights: HK_R_ANY (every process) or HK_R_SUPERVISOR (manifest `supervisor`)
 */
#include <hekate/kan.h>
#include <stddef.h>
#include <stdint.h>

#define HK_R_ANY        0
#define HK_R_SUPERVISOR 1

#define HK_SYSCALLS(X)                                                                             \
	X(0, exit, HK_R_ANY, 1, (int status), (status))                                            \
	X(1, thread_exit, HK_R_ANY, 0, (void), ())                                                 \
	X(2, console_write, HK_R_ANY, 2, (const void *buf, size_t len), (buf, len))                \
	X(3, yield, HK_R_ANY, 0, (void), ())                                                       \
	X(4, self, HK_R_ANY, 1, (struct hk_self * out), (out))                                     \
	X(5, thread_create, HK_R_ANY, 3, (uintptr_t pc, uintptr_t arg, uintptr_t tp),              \
	  (pc, arg, tp))                                                                           \
	X(6, futex_wait, HK_R_ANY, 3,                                                              \
	  (const uint32_t *addr, uint32_t expect, uint64_t timeout_us),                            \
	  (addr, expect, timeout_us))                                                              \
	X(7, futex_wake, HK_R_ANY, 2, (const uint32_t *addr, unsigned count), (addr, count))       \
	X(8, sleep_us, HK_R_ANY, 1, (uint64_t us), (us))                                           \
	X(9, brk, HK_R_ANY, 1, (uintptr_t end), (end))                                             \
	X(10, core_stat, HK_R_ANY, 2, (unsigned core, struct hk_core_stat *out), (core, out))      \
	X(11, kstat, HK_R_ANY, 1, (struct hk_kstat * out), (out))                                  \
	X(12, proc_info, HK_R_ANY, 2, (unsigned index, struct hk_proc_info *out), (index, out))    \
	X(13, dev_info, HK_R_ANY, 2, (unsigned index, struct hk_dev_info *out), (index, out))      \
	X(14, spawn, HK_R_SUPERVISOR, 1, (unsigned index), (index))                                \
	X(15, kill, HK_R_SUPERVISOR, 1, (int pid), (pid))                                          \
	X(16, wait, HK_R_SUPERVISOR, 2, (struct hk_exit_info * out, uint64_t timeout_us),          \
	  (out, timeout_us))                                                                       \
	X(17, time_us, HK_R_ANY, 0, (void), ())                                                    \
	X(18, kan_self, HK_R_ANY, 1, (struct hk_kan_self * out), (out))                            \
	X(19, kan_bind, HK_R_ANY, 2, (unsigned n, unsigned depth), (n, depth))                     \
	X(20, kan_close, HK_R_ANY, 1, (unsigned ep), (ep))                                         \
	X(21, kan_alloc, HK_R_ANY, 2, (struct hk_pkt * out, unsigned n), (out, n))                 \
	X(22, kan_free, HK_R_ANY, 2, (const struct hk_pkt *pkts, unsigned n), (pkts, n))           \
	X(23, kan_send, HK_R_ANY, 3, (const struct hk_pkt *pkts, unsigned n, unsigned flags),      \
	  (pkts, n, flags))                                                                        \
	X(24, kan_recv, HK_R_ANY, 5,                                                               \
	  (const uint32_t *eps, unsigned neps, struct hk_pkt *out, unsigned n,                     \
	   uint64_t timeout_us),                                                                   \
	  (eps, neps, out, n, timeout_us))                                                         \
	X(25, kan_alloc1, HK_R_ANY, 0, (void), ())                                                 \
	X(26, kan_free1, HK_R_ANY, 1, (uint64_t pkt), (pkt))                                       \
	X(27, kan_send1, HK_R_ANY, 2, (uint64_t pkt, unsigned flags), (pkt, flags))                \
	X(28, kan_recv1, HK_R_ANY, 2, (unsigned ep, uint64_t timeout_us), (ep, timeout_us))        \
	X(29, kan_stat, HK_R_ANY, 3, (unsigned kind, unsigned id, void *out), (kind, id, out))    \
	X(30, timer_arm, HK_R_ANY, 4,                                                              \
	  (unsigned ep, unsigned id, uint64_t first_us, uint64_t period_us),                       \
	  (ep, id, first_us, period_us))                                                           \
	X(31, timer_cancel, HK_R_ANY, 1, (unsigned id), (id))                                      \
	X(32, irq_bind, HK_R_ANY, 2, (unsigned grant, unsigned ep), (grant, ep))                   \
	X(33, irq_ack, HK_R_ANY, 1, (unsigned grant), (grant))                                     \
	X(34, kan_join, HK_R_ANY, 2, (const struct hk_addr *group, unsigned depth), (group, depth))  \
	X(35, dma_addr, HK_R_ANY, 4,                                                               \
	  (unsigned grant, const struct hk_pkt *pkts, unsigned n, uint64_t *pa),                   \
	  (grant, pkts, n, pa))

#define HK_NR_SYSCALLS 36

/* Limits the calls check (a larger value is -HK_E2BIG or -HK_EINVAL). */
#define HK_CONSOLE_MAX     4096u          /* bytes per console_write */
#define HK_MAX_THREADS     16u            /* threads per process */
#define HK_MAX_PROCS       32u            /* manifest entries (= MAN_MAX_PROCS) */
#define HK_FUTEX_WAKE_MAX  HK_MAX_THREADS /* count above this is clamped: all waiters */
#define HK_BRK_STEP_MAX    64u            /* pages brk maps per call (userlib loops) */
#define HK_HEAP_MAX        (64ull << 20)  /* heap bytes per process */
#define HK_TIMEOUT_FOREVER UINT64_MAX

/* Timers (timer_arm / timer_cancel; docs/kan.md "The clock") */
#define HK_TIMER_MAX           32u              /* timers per process: ids 0..31 */
#define HK_TIMER_MIN_PERIOD_US 100u             /* shortest period of a periodic timer */
#define HK_TIMER_MAX_US        (1ull << 40)     /* longest first delay or period (~12.7 days) */
#define HK_TIMER_RETRY_US      1000u            /* retry after a delivery failed (ring or pool full) */

/* User address space (identical in every process; see docs/syscalls.md) */
#define HK_USER_BASE     0x10000ull      /* nothing mapped below: NULL faults */
#define HK_USER_LOAD_MAX 0x1000000000ull /* ELF segments must end below 64 GiB */
#define HK_DEVICE_BASE   0x2000000000ull /* granted MMIO windows, 1 GiB apart */
#define HK_STACK_TOP     0x4000000000ull /* thread i's stack ends at TOP - i*SLOT */
#define HK_STACK_SLOT    0x100000ull     /* 1 MiB per thread: stack + guard + gap */
#define HK_STACK_PAGES   16u             /* 64 KiB of stack, guard page below */
#define HK_USER_END      0x8000000000ull /* 39-bit user half */

/* Exit causes in hk_exit_info.cause */
enum hk_cause {
	HK_CAUSE_EXIT = 0,  /* called exit (status valid) */
	HK_CAUSE_FAULT = 1, /* killed by the kernel after a fault (fault fields valid) */
	HK_CAUSE_KILLED = 2 /* killed by the supervisor */
};

/* Fault kinds in hk_exit_info.fault */
enum hk_fault {
	HK_FAULT_NONE = 0,
	HK_FAULT_NULL,     /* access below HK_USER_BASE */
	HK_FAULT_UNMAPPED, /* access to an unmapped user address */
	HK_FAULT_WRITE_RO, /* write to a read-only page (e.g. its own text) */
	HK_FAULT_EXEC_NX,  /* execute from a non-executable page */
	HK_FAULT_KERNEL,   /* access to a kernel (upper-half) address */
	HK_FAULT_UNDEF,    /* undefined or privileged instruction */
	HK_FAULT_ALIGN,    /* alignment fault (data, PC or SP) */
	HK_FAULT_STACK,    /* ran into a thread's stack guard page */
	HK_FAULT_OTHER,
	HK_FAULT_COUNT
};

struct hk_self {
	int32_t pid;
	int32_t tid;   /* 0 for the first thread */
	uint32_t core; /* core the caller runs on now */
	int32_t index; /* manifest index */
	char name[24];
};

struct hk_core_stat {
	uint64_t switches;    /* context switches on this core */
	uint64_t ticks;       /* timer ticks taken on this core */
	uint64_t preemptions; /* threads preempted by the tick */
	uint64_t idle_wakeups;
	int32_t claimed_by; /* pid claiming this core, or -1 */
	uint32_t online;
	/* The PMU cycle counter now (read by the caller's core) and the part of
	 * it this core spent waiting in its idle loop. Under QEMU -icount the
	 * counter counts guest instructions of every core, warps included, so
	 * on a one-core node cycles - idle_cycles is the work done (make bench). */
	uint64_t cycles;
	uint64_t idle_cycles;
};

struct hk_kstat {
	uint64_t free_pages;
	uint64_t total_pages;
	uint32_t ncpus;
	uint32_t nprocs;
	uint64_t ticks;
};

enum hk_proc_state { HK_PROC_FREE = 0, HK_PROC_RUNNING = 1, HK_PROC_ZOMBIE = 2 };

/* A manifest entry and its current instance (pid -1 when not running). */
struct hk_proc_info {
	char name[24];
	int32_t pid;
	uint32_t state;   /* enum hk_proc_state of the current instance */
	uint32_t restart; /* 0 never, 1 on-failure, 2 always */
	uint32_t max_restarts;
	int32_t expect; /* -1 when the manifest sets none */
	int32_t claim;  /* -1 when none */
	uint32_t supervisor;
	uint64_t cores;
	uint64_t pages;  /* pages the instance holds now */
	uint32_t spawns; /* times this entry was started (restarts = spawns - 1) */
	int32_t pipe_next; /* the entry its pipeline stage forwards to, or -1 (docs/pipelines.md) */
	uint32_t halt_when_done; /* node setting, same in every entry */
	uint32_t nprocs;         /* entries in the manifest */
	int32_t pipe_first;      /* the first stage of its pipeline, or -1 */
	uint32_t flags;          /* HK_PI_* */
	char pipe[24];           /* its pipeline's name, "" if none */
	uint64_t cycles; /* PMU cycles the instance's threads ran, kernel work for them included
	                  * (guest instructions under -icount on one core: make bench) */
};
#define HK_PI_UPLINK  1u /* receives off-prefix traffic (the router) */
#define HK_PI_FORWARD 2u /* may send from off-prefix sources */
#define HK_PI_MGMT    4u /* the management service (manifest key mgmt) */

struct hk_exit_info {
	int32_t pid;
	int32_t index;  /* manifest index */
	uint32_t cause; /* enum hk_cause */
	int32_t status; /* exit status (cause EXIT) */
	uint32_t fault; /* enum hk_fault */
	int32_t tid;
	uint64_t pc, addr;
	uint64_t pages_freed;
};

struct hk_dev_info {
	char name[32];
	uint64_t va; /* where it is mapped in the caller */
	uint64_t size;
	uint32_t irq; /* interrupt ID, 0 if none */
	uint32_t pad;
};

#endif
