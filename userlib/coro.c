// SPDX-License-Identifier: BSD-2-Clause
/*
 * Cooperative coroutines (contracts in <hekate/coro.h>). The scheduler
 * runs on the stack of the thread that called hk_coro_run; each coroutine
 * has its own heap stack and an arch context (<hekate/arch_coro.h>),
 * switched by hk_coro_switch. The ready set is a bitmap of 64-bit words:
 * a round takes a word's bits and runs them lowest first, so a coroutine
 * made ready during a round runs in the next one and none is starved.
 * Nothing is locked: all of it belongs to one thread.
 */
#include <hekate/arch_coro.h>
#include <hekate/coro.h>
#include <hekate/queue.h>
#include <hekate/user.h>
#include <stdlib.h>

#define WORDS  ((HK_CORO_MAX + 63) / 64)
#define CANARY 0x6b616e636f726f21ull /* the stack's lowest word while it is intact */

enum coro_state { C_FREE = 0, C_READY, C_RUNNING, C_PARKED, C_DONE };

struct coro {
	struct hk_coro_ctx ctx;
	void (*fn)(void *);
	void *arg;
	uint64_t *stack; /* lowest word: the canary */
	size_t size;
	uint64_t deadline; /* parked: made ready by then (HK_TIMEOUT_FOREVER: no limit) */
	enum coro_state state;
};

static struct coro co[HK_CORO_MAX];
static uint64_t ready[WORDS];
static struct hk_coro_ctx sched_ctx; /* the scheduler, while a coroutine runs */
static int cur = -1;
static unsigned live, timed; /* alive; parked with a deadline */
static int running;
static struct hk_coro_stats st;

static void set_ready(unsigned id)
{
	co[id].state = C_READY;
	ready[id / 64] |= 1ull << (id % 64);
}

static int any_ready(void)
{
	uint64_t any = 0;
	for (unsigned w = 0; w < WORDS; w++)
		any |= ready[w];
	return any != 0;
}

/* Back to the scheduler; returns when it switches to cur again. */
static void to_scheduler(void) { hk_coro_switch(&co[cur].ctx, &sched_ctx); }

/* Every coroutine starts here (through the arch trampoline) and never returns. */
static void coro_main(void *self)
{
	struct coro *c = self;
	c->fn(c->arg);
	c->state = C_DONE;
	to_scheduler();
	hk_fail("coro: a finished coroutine was resumed");
}

/* --- hooks for the queue API -------------------------------------------------------- */

static int hook_self(void) { return cur; }

/* Park cur until woken or deadline. Only a coroutine parks. */
static void hook_park(uint64_t deadline)
{
	struct coro *c = &co[cur];
	c->state = C_PARKED;
	c->deadline = deadline;
	timed += deadline != HK_TIMEOUT_FOREVER;
	st.parks++;
	to_scheduler();
}

/* Make parked coroutine id ready; anything else is left alone. */
static void hook_wake(unsigned id)
{
	if (id >= HK_CORO_MAX || co[id].state != C_PARKED)
		return;
	timed -= co[id].deadline != HK_TIMEOUT_FOREVER;
	st.wakes++;
	set_ready(id);
}

static const struct hk_queue_sched hooks = {hook_self, hook_park, hook_wake};

/* --- spawning ------------------------------------------------------------------------ */

int hk_coro_spawn(void (*fn)(void *), void *arg, size_t stack_size)
{
	size_t size = stack_size ? stack_size : HK_CORO_STACK_DEF;
	if (!fn || size < HK_CORO_STACK_MIN)
		return -HK_EINVAL;
	if (size > HK_CORO_STACK_MAX)
		return -HK_E2BIG;
	unsigned id = 0;
	while (id < HK_CORO_MAX && co[id].state != C_FREE)
		id++;
	if (id == HK_CORO_MAX)
		return -HK_ETOOMANY;
	uint64_t *stack = malloc(size);
	if (!stack)
		return -HK_ENOMEM;
	stack[0] = CANARY;
	uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15; /* AAPCS64 and others: 16 */
	struct coro *c = &co[id];
	*c = (struct coro){.fn = fn, .arg = arg, .stack = stack, .size = size};
	hk_coro_ctx_init(&c->ctx, (void *)top, coro_main, c);
	hk_queue_set_sched(&hooks);
	live++;
	set_ready(id);
	return (int)id;
}

/* --- running ------------------------------------------------------------------------- */

/* Switch to coroutine id until it yields, parks or ends; reap it if it ended. */
static void run_one(unsigned id)
{
	struct coro *c = &co[id];
	cur = (int)id;
	c->state = C_RUNNING;
	st.switches++;
	hk_coro_switch(&sched_ctx, &c->ctx);
	cur = -1;
	if (c->stack[0] != CANARY)
		hk_fail("coro: coroutine %u overflowed its %zu-byte stack", id, c->size);
	if (c->state != C_DONE)
		return;
	free(c->stack);
	*c = (struct coro){0};
	live--;
}

/* Run every coroutine that is ready now, once, lowest id first. */
static void run_round(void)
{
	st.rounds++;
	for (unsigned w = 0; w < WORDS; w++) {
		uint64_t bits = ready[w];
		ready[w] = 0;
		while (bits) {
			run_one(w * 64 + (unsigned)__builtin_ctzll(bits));
			bits &= bits - 1;
		}
	}
}

/* Make ready every parked coroutine whose deadline has passed. */
static void wake_expired(void)
{
	if (!timed)
		return;
	uint64_t now = (uint64_t)hk_time_us();
	for (unsigned id = 0; id < HK_CORO_MAX; id++)
		if (co[id].state == C_PARKED && co[id].deadline <= now)
			hook_wake(id);
}

/* The earliest deadline of a parked coroutine, or HK_TIMEOUT_FOREVER. */
static uint64_t next_deadline(void)
{
	uint64_t d = HK_TIMEOUT_FOREVER;
	for (unsigned id = 0; timed && id < HK_CORO_MAX; id++)
		if (co[id].state == C_PARKED && co[id].deadline < d)
			d = co[id].deadline;
	return d;
}

/* One turn of the loop: a round, expired deadlines, a poll, and after
 * `spin` empty turns in a row an idle. 0 or the poller's error. */
static int turn(unsigned *empty)
{
	if (any_ready())
		run_round();
	wake_expired();
	int rc = hk_queue_poll();
	if (rc < 0)
		return rc;
	if (rc > 0 || any_ready() || !live) {
		*empty = 0;
		return 0;
	}
	if (++*empty < hk_queue_spin())
		return 0;
	*empty = 0;
	rc = hk_queue_idle(next_deadline());
	return rc < 0 ? rc : 0;
}

int hk_coro_run(void)
{
	if (running)
		return -HK_EBUSY;
	running = 1;
	unsigned empty = 0;
	int rc = 0;
	while (live && !rc)
		rc = turn(&empty);
	running = 0;
	return rc;
}

void hk_coro_yield(void)
{
	if (cur < 0)
		return;
	set_ready((unsigned)cur);
	to_scheduler();
}

void hk_coro_sleep_us(uint64_t us)
{
	if (cur < 0) {
		hk_sleep_us(us);
		return;
	}
	uint64_t now = (uint64_t)hk_time_us();
	uint64_t deadline = us < HK_TIMEOUT_FOREVER - now ? now + us : HK_TIMEOUT_FOREVER - 1;
	while ((uint64_t)hk_time_us() < deadline)
		hook_park(deadline);
}

int hk_coro_self(void) { return cur; }

unsigned hk_coro_live(void) { return live; }

void hk_coro_get_stats(struct hk_coro_stats *out) { *out = st; }
