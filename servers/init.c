// SPDX-License-Identifier: BSD-2-Clause
/*
 * init, the supervisor. Starts every manifest process, then collects exit
 * records from the kernel: reports each (status, or the fault the kernel
 * named), checks expected exit statuses, and restarts per the manifest's
 * policy within its restart limit. With `set halt=when-done` it ends the
 * node once nothing is left running: status 0 if every expectation held
 * and the kernel's free-page count is back to what it was before any
 * process started, 1 otherwise. (The supervisor's exit halts the node.)
 */
#include <hekate/pkt.h>
#include <hekate/user.h>
#include <stdio.h>
#include <string.h>

#define IDLE_POLL_US 1000000u

static struct hk_proc_info info[HK_MAX_PROCS];
static unsigned restarts[HK_MAX_PROCS];
static unsigned nprocs, failures, idle_said;

static void start(unsigned i)
{
	int64_t pid = hk_spawn(i);
	if (pid < 0) {
		printf("init: cannot start %s: %s\n", info[i].name, hk_strerror((int)pid));
		failures++;
		return;
	}
	printf("init: started %s as pid %d\n", info[i].name, (int)pid);
}

static void report(const struct hk_exit_info *e)
{
	const char *name = info[e->index].name;
	if (e->cause == HK_CAUSE_EXIT)
		printf("init: %s (pid %d) exited with status %d, %llu pages freed\n", name, e->pid,
		       e->status, (unsigned long long)e->pages_freed);
	else if (e->cause == HK_CAUSE_FAULT)
		printf("init: %s (pid %d) killed by a fault: %s, thread %d pc 0x%llx addr 0x%llx, "
		       "%llu pages freed\n",
		       name, e->pid, hk_fault_name(e->fault), e->tid, (unsigned long long)e->pc,
		       (unsigned long long)e->addr, (unsigned long long)e->pages_freed);
	else
		printf("init: %s (pid %d) killed, %llu pages freed\n", name, e->pid,
		       (unsigned long long)e->pages_freed);
	if (info[e->index].expect >= 0 &&
	    (e->cause != HK_CAUSE_EXIT || e->status != info[e->index].expect)) {
		printf("init: %s: expected exit status %d: FAILED\n", name, info[e->index].expect);
		failures++;
	}
}

static void maybe_restart(const struct hk_exit_info *e)
{
	const struct hk_proc_info *p = &info[e->index];
	int failed = e->cause != HK_CAUSE_EXIT || e->status != 0;
	if (p->restart == 0 || (p->restart == 1 && !failed))
		return;
	if (restarts[e->index] >= p->max_restarts) {
		printf("init: %s: restart limit %u reached, not restarting\n", p->name,
		       p->max_restarts);
		return;
	}
	restarts[e->index]++;
	printf("init: restarting %s (restart %u of %u)\n", p->name, restarts[e->index],
	       p->max_restarts);
	start(e->index);
}

static uint64_t free_pages(void)
{
	struct hk_kstat k;
	return hk_kstat(&k) ? 0 : k.free_pages;
}

/* The packet pool as the kernel counts it: every page back means nothing leaked. */
static struct hk_kan_node pool_now(void)
{
	struct hk_kan_node n = {0};
	if (hk_kan_stat(HK_STAT_NODE, 0, &n))
		hk_fail("kan_stat(node) failed");
	return n;
}

int main(void)
{
	if (hk_proc_info(0, &info[0]) || info[0].nprocs > HK_MAX_PROCS)
		hk_fail("cannot read the manifest");
	nprocs = info[0].nprocs;
	for (unsigned i = 1; i < nprocs; i++)
		if (hk_proc_info(i, &info[i]))
			hk_fail("cannot read manifest entry %u", i);
	uint64_t base = free_pages();
	struct hk_kan_node pool0 = pool_now();
	printf("init: supervisor up: %u processes in the manifest, %llu free pages\n", nprocs,
	       (unsigned long long)base);
	for (unsigned i = 0; i < nprocs; i++)
		if (!info[i].supervisor)
			start(i);
	for (;;) {
		struct hk_exit_info e;
		int64_t r = hk_wait(&e, HK_TIMEOUT_FOREVER);
		if (r > 0) {
			report(&e);
			maybe_restart(&e);
		} else if (r == -HK_ECHILD && info[0].halt_when_done) {
			break;
		} else if (r == -HK_ECHILD) {
			if (!idle_said++)
				printf("init: nothing left running; the node idles. QEMU: Ctrl-A X "
				       "quits.\n");
			hk_sleep_us(IDLE_POLL_US);
		} else {
			hk_fail("wait: %s", hk_strerror((int)r));
		}
	}
	uint64_t now = free_pages();
	printf("init: all processes done: free pages %llu before, %llu now: %s\n",
	       (unsigned long long)base, (unsigned long long)now, base == now ? "same" : "LEAK");
	if (base != now)
		failures++;
	struct hk_kan_node pool1 = pool_now();
	int pool_same = pool1.pool_free == pool0.pool_free && !pool1.held && !pool1.in_flight;
	printf("init: packet pool: %llu of %llu free before, %llu now, %llu held, %llu in flight: "
	       "%s\n",
	       (unsigned long long)pool0.pool_free, (unsigned long long)pool0.pool_pages,
	       (unsigned long long)pool1.pool_free, (unsigned long long)pool1.held,
	       (unsigned long long)pool1.in_flight, pool_same ? "same" : "LEAK");
	if (!pool_same)
		failures++;
	printf("init: halting the node: %u failures\n", failures);
	return failures ? 1 : 0;
}
