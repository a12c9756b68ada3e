// SPDX-License-Identifier: BSD-2-Clause
/*
 * init, the supervisor. Starts every manifest process, then collects exit
 * records from the kernel: reports each (status, or the fault the kernel
 * named), checks expected exit statuses, and restarts per the manifest's
 * policy within its restart limit. With `set halt=when-done` it ends the
 * node once nothing is left running: status 0 if every expectation held
 * and the kernel's free-page count is back to what it was before any
 * process started, 1 otherwise. (The supervisor's exit halts the node.)
 *
 * A second thread serves the management service over the KAN
 * (docs/mgmt-protocol.md, port MGMT_INNER_PORT of init's address): the
 * process table as the supervisor knows it (restarts, last exit or fault,
 * held), and KILL and RESTART from the service's address only. Both threads
 * share info[], restarts[], last[] and the held/again flags under `mu`.
 */
#include <hekate/mgmt.h>
#include <hekate/pkt.h>
#include <hekate/user.h>
#include <kan/ipv6.h>
#include <stdio.h>
#include <string.h>

#define IDLE_POLL_US 1000000u

static struct hk_proc_info info[HK_MAX_PROCS];
static unsigned restarts[HK_MAX_PROCS];
static unsigned nprocs, failures, idle_said;
static struct hk_exit_info last[HK_MAX_PROCS]; /* each entry's last end (cause 0: none yet) */
static uint8_t has_last[HK_MAX_PROCS];
static uint8_t held[HK_MAX_PROCS];  /* killed through management: not restarted */
static uint8_t again[HK_MAX_PROCS]; /* restart through management: start when it ends */
static hk_mutex_t mu = HK_MUTEX_INIT;

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

/* mu held. */
static void maybe_restart(const struct hk_exit_info *e)
{
	const struct hk_proc_info *p = &info[e->index];
	last[e->index] = *e;
	has_last[e->index] = 1;
	if (held[e->index]) {
		printf("init: %s held (killed through management)\n", p->name);
		return;
	}
	if (again[e->index]) {
		again[e->index] = 0;
		restarts[e->index]++;
		printf("init: restarting %s (through management)\n", p->name);
		start(e->index);
		return;
	}
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

/* --- management (mu held in each op) ------------------------------------------------------ */

static uint8_t cause_of(uint32_t c)
{
	return c == HK_CAUSE_EXIT ? MGMT_CAUSE_EXIT : c == HK_CAUSE_FAULT ? MGMT_CAUSE_FAULT
	                                                                 : MGMT_CAUSE_KILLED;
}

static void record(unsigned i, struct mgmt_proc *m)
{
	struct hk_proc_info pi;
	memset(m, 0, sizeof(*m));
	if (hk_proc_info(i, &pi))
		pi = info[i];
	memcpy(m->name, pi.name, MGMT_NAME);
	m->pid = pi.state == HK_PROC_FREE ? -1 : pi.pid;
	m->index = (uint16_t)i;
	m->state = pi.state == HK_PROC_RUNNING ? MGMT_PS_RUNNING
	           : pi.state == HK_PROC_ZOMBIE ? MGMT_PS_EXITING
	           : held[i]                    ? MGMT_PS_HELD
	                                        : MGMT_PS_STOPPED;
	m->flags = (uint8_t)((pi.supervisor ? MGMT_PF_SUPERVISOR : 0) |
	                     (pi.flags & HK_PI_UPLINK ? MGMT_PF_UPLINK : 0) |
	                     (pi.flags & HK_PI_MGMT ? MGMT_PF_MGMT : 0) |
	                     (pi.flags & HK_PI_FORWARD ? MGMT_PF_FORWARD : 0));
	m->cores = pi.cores;
	m->restarts = restarts[i];
	if (has_last[i]) {
		m->last_cause = cause_of(last[i].cause);
		m->last_fault = (uint8_t)last[i].fault;
		m->last_status = last[i].status;
		m->last_pc = last[i].pc;
		m->last_addr = last[i].addr;
	}
	m->pages = pi.pages;
	m->cycles = pi.cycles;
	memcpy(m->pipe, pi.pipe, MGMT_NAME);
	m->pipe_next = (int16_t)pi.pipe_next;
}

static int entry_named(const char *name, char *detail)
{
	for (unsigned i = 0; i < nprocs; i++)
		if (!strncmp(info[i].name, name, sizeof(info[i].name)))
			return (int)i;
	snprintf(detail, MGMT_DETAIL_MAX, "no process '%s' in the manifest", name);
	return -1;
}

/* KILL (restart = 0) or RESTART (1) of entry i. */
static int kill_or_restart(unsigned i, int restart, char *detail)
{
	struct hk_proc_info pi;
	if (info[i].supervisor || (info[i].flags & HK_PI_MGMT)) {
		snprintf(detail, MGMT_DETAIL_MAX, "'%s' is the %s", info[i].name,
		         info[i].supervisor ? "supervisor" : "management service");
		return MGMT_E_PERM;
	}
	if (hk_proc_info(i, &pi) || pi.state == HK_PROC_ZOMBIE || again[i]) {
		snprintf(detail, MGMT_DETAIL_MAX, "'%s' is still ending", info[i].name);
		return MGMT_E_BUSY;
	}
	if (pi.state == HK_PROC_FREE && !restart) {
		snprintf(detail, MGMT_DETAIL_MAX, "'%s' is not running", info[i].name);
		return MGMT_E_BUSY;
	}
	held[i] = !restart;
	if (pi.state == HK_PROC_FREE) { /* a restart of a stopped or held process: start it */
		restarts[i]++;
		start(i);
		return MGMT_OK;
	}
	again[i] = (uint8_t)restart;
	int64_t rc = hk_kill(pi.pid);
	if (rc) { /* it ended on its own meanwhile: its exit record comes through wait */
		again[i] = 0;
		held[i] = 0;
		snprintf(detail, MGMT_DETAIL_MAX, "kill: %s", hk_strerror((int)rc));
		return MGMT_E_BUSY;
	}
	printf("init: %s %s (pid %d) through management\n", restart ? "restarting" : "killing",
	       info[i].name, pi.pid);
	return MGMT_OK;
}

static int serve_op(void *ctx, const struct mgmt_req *q, const struct hk_addr *src,
                    struct mgmt_w *w, char *detail)
{
	struct hk_addr mgmt;
	struct mgmt_proc m;
	(void)ctx;
	if (q->h.op == MGMT_OP_PS) {
		mgmt_put16(w, (uint16_t)nprocs);
		mgmt_put16(w, 0);
		for (unsigned i = 0; i < nprocs; i++) {
			record(i, &m);
			mgmt_proc_put(w, &m);
		}
		return MGMT_OK;
	}
	if (q->h.op != MGMT_OP_KILL && q->h.op != MGMT_OP_RESTART)
		return MGMT_E_OP;
	if (hk_mgmt_addr(&mgmt) || !kan_addr_eq(src, &mgmt)) {
		snprintf(detail, MGMT_DETAIL_MAX, "processes change only through the management service");
		return MGMT_E_FORBIDDEN;
	}
	int i = entry_named(q->u.name, detail);
	return i < 0 ? MGMT_E_NOENT : kill_or_restart((unsigned)i, q->h.op == MGMT_OP_RESTART, detail);
}

/* The management thread: answer requests on our primary endpoint, forever. */
static void *serve(void *arg)
{
	uint32_t ep = hk_kan()->ep;
	(void)arg;
	for (;;) {
		struct hk_pkt p;
		int64_t n = hk_kan_recv(&ep, 1, &p, 1, HK_TIMEOUT_FOREVER);
		if (n < 0)
			return NULL;
		hk_mutex_lock(&mu);
		if (!hk_mgmt_serve(&p, serve_op, NULL))
			hk_kan_free(&p, 1); /* nothing else is served here */
		hk_mutex_unlock(&mu);
	}
}

int main(void)
{
	if (hk_proc_info(0, &info[0]) || info[0].nprocs > HK_MAX_PROCS)
		hk_fail("cannot read the manifest");
	nprocs = info[0].nprocs;
	for (unsigned i = 1; i < nprocs; i++)
		if (hk_proc_info(i, &info[i]))
			hk_fail("cannot read manifest entry %u", i);
	/* before the baseline: the thread's stack is ours until the node halts */
	hk_thread_t *t;
	if (hk_thread_start(&t, serve, NULL))
		printf("init: no management thread: the process table is not served\n");
	uint64_t base = free_pages();
	struct hk_kan_node pool0 = pool_now();
	printf("init: supervisor up: %u processes in the manifest, %llu free pages\n", nprocs,
	       (unsigned long long)base);
	hk_mutex_lock(&mu);
	for (unsigned i = 0; i < nprocs; i++)
		if (!info[i].supervisor)
			start(i);
	hk_mutex_unlock(&mu);
	for (;;) {
		struct hk_exit_info e;
		int64_t r = hk_wait(&e, HK_TIMEOUT_FOREVER);
		if (r > 0) {
			hk_mutex_lock(&mu);
			report(&e);
			maybe_restart(&e);
			hk_mutex_unlock(&mu);
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
