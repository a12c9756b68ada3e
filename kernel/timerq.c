// SPDX-License-Identifier: BSD-2-Clause
/*
 * The timer queue (a binary min-heap of timer pointers, each timer knowing
 * its own index) and the schedule rules: see <hekate/timerq.h>.
 */
#include <hekate/timerq.h>
#include <stddef.h>

static uint32_t sat32(uint64_t v) { return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v; }

/* Heap order: earlier `at` first, then earlier insertion. */
static int before(const struct tq_timer *a, const struct tq_timer *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void place(struct timerq *q, uint32_t i, struct tq_timer *t)
{
	q->heap[i] = t;
	t->pos = i + 1;
}

/* Move the timer at index i towards the root until its parent is earlier. */
static void sift_up(struct timerq *q, uint32_t i)
{
	struct tq_timer *t = q->heap[i];
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;
		if (!before(t, q->heap[parent]))
			break;
		place(q, i, q->heap[parent]);
		i = parent;
	}
	place(q, i, t);
}

/* Move the timer at index i towards the leaves until both children are later. */
static void sift_down(struct timerq *q, uint32_t i)
{
	struct tq_timer *t = q->heap[i];
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= q->n)
			break;
		if (c + 1 < q->n && before(q->heap[c + 1], q->heap[c]))
			c++;
		if (!before(q->heap[c], t))
			break;
		place(q, i, q->heap[c]);
		i = c;
	}
	place(q, i, t);
}

void tq_set(struct tq_timer *t, uint64_t due, uint64_t period)
{
	t->at = due;
	t->due = due;
	t->period = period;
	t->pos = 0;
}

int tq_insert(struct timerq *q, struct tq_timer *t)
{
	if (t->pos || q->n >= TIMERQ_CAP)
		return -1;
	t->seq = q->seq++;
	q->heap[q->n] = t;
	sift_up(q, q->n++);
	return 0;
}

int tq_remove(struct timerq *q, struct tq_timer *t)
{
	uint32_t i = t->pos - 1;
	if (!t->pos || i >= q->n || q->heap[i] != t)
		return -1;
	t->pos = 0;
	struct tq_timer *last = q->heap[--q->n];
	if (i == q->n)
		return 0;
	place(q, i, last);
	if (i > 0 && before(last, q->heap[(i - 1) / 2]))
		sift_up(q, i);
	else
		sift_down(q, i);
	return 0;
}

uint64_t tq_next(const struct timerq *q) { return q->n ? q->heap[0]->at : UINT64_MAX; }

struct tq_timer *tq_pop_expired(struct timerq *q, uint64_t now)
{
	if (!q->n || q->heap[0]->at > now)
		return NULL;
	struct tq_timer *t = q->heap[0];
	tq_remove(q, t);
	return t;
}

void tq_expiry(const struct tq_timer *t, uint64_t now, struct tq_expiry *e)
{
	e->due = t->due;
	e->missed = t->period && now > t->due ? sat32((now - t->due) / t->period) : 0;
}

int tq_delivered(struct tq_timer *t, const struct tq_expiry *e)
{
	if (!t->period)
		return 0;
	uint64_t n = 1 + (uint64_t)e->missed; /* grid points e stood for */
	uint64_t step = t->period > UINT64_MAX / n ? UINT64_MAX : n * t->period;
	t->due = tq_add_sat(e->due, step);
	t->at = t->due;
	return 1;
}

void tq_undelivered(struct tq_timer *t, uint64_t now, uint64_t retry)
{
	t->at = tq_add_sat(now, retry);
}
