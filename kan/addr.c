// SPDX-License-Identifier: BSD-2-Clause
/*
 * The address table (contracts in <kan/addr.h>): linear probing, at most
 * half full, backward-shift deletion so probes never cross tombstones.
 */
#include <ck_pr.h>
#include <hekate/errno.h>
#include <kan/addr.h>
#include <kan/ipv6.h>

/* The address as two words in memory order: equality and hashing need no byte swap. */
static uint64_t word(const struct hk_addr *a, unsigned i) { return kan_addr_word(a, i); }

/* splitmix64's finalizer over both words: every input bit reaches the low
 * bits the table index is taken from, wherever the varying bytes sit. */
static uint32_t hash(uint64_t hi, uint64_t lo)
{
	uint64_t x = lo ^ (hi * 0x9e3779b97f4a7c15ull);
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return (uint32_t)x;
}

void kan_atab_init(struct kan_atab *t, struct kan_atab_slot *slots, uint32_t cap)
{
	t->slots = slots;
	t->cap = cap;
	t->count = 0;
	ck_sequence_init(&t->seq);
}

/* Index of a's slot, or of the empty slot ending its probe run. */
static uint32_t find(const struct kan_atab *t, uint64_t hi, uint64_t lo)
{
	uint32_t m = t->cap - 1, i = hash(hi, lo) & m;
	while (t->slots[i].used && (t->slots[i].hi != hi || t->slots[i].lo != lo))
		i = (i + 1) & m;
	return i;
}

int kan_atab_insert(struct kan_atab *t, const struct hk_addr *a, uint32_t val)
{
	uint64_t hi = word(a, 0), lo = word(a, 1);
	uint32_t i = find(t, hi, lo);
	if (t->slots[i].used)
		return -HK_EEXIST;
	if (t->count + 1 > t->cap / 2)
		return -HK_ETOOMANY;
	ck_sequence_write_begin(&t->seq);
	t->slots[i] = (struct kan_atab_slot){.hi = hi, .lo = lo, .val = val, .used = 1};
	ck_sequence_write_end(&t->seq);
	t->count++;
	return 0;
}

int kan_atab_remove(struct kan_atab *t, const struct hk_addr *a)
{
	uint64_t hi = word(a, 0), lo = word(a, 1);
	uint32_t m = t->cap - 1, i = find(t, hi, lo);
	if (!t->slots[i].used)
		return -HK_ENOENT;
	ck_sequence_write_begin(&t->seq);
	/* Shift later members of the run back into the hole when their home allows it. */
	for (uint32_t j = (i + 1) & m; t->slots[j].used; j = (j + 1) & m) {
		uint32_t home = hash(t->slots[j].hi, t->slots[j].lo) & m;
		/* j may move to i iff home is not in the cyclic range (i, j]. */
		if (((j - home) & m) >= ((j - i) & m)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i] = (struct kan_atab_slot){0};
	ck_sequence_write_end(&t->seq);
	t->count--;
	return 0;
}

int kan_atab_lookup(struct kan_atab *t, const struct hk_addr *a, uint32_t *val)
{
	uint64_t hi = word(a, 0), lo = word(a, 1);
	uint32_t m = t->cap - 1, v = 0, version;
	int found;
	do {
		version = ck_sequence_read_begin(&t->seq);
		uint32_t i = hash(hi, lo) & m;
		found = 0;
		for (uint32_t n = 0; n < t->cap; n++, i = (i + 1) & m) {
			const struct kan_atab_slot *s = &t->slots[i];
			if (!ck_pr_load_32(&s->used))
				break;
			if (ck_pr_load_64(&s->hi) == hi && ck_pr_load_64(&s->lo) == lo) {
				v = ck_pr_load_32(&s->val);
				found = 1;
				break;
			}
		}
	} while (ck_sequence_read_retry(&t->seq, version));
	if (!found)
		return -HK_ENOENT;
	*val = v;
	return 0;
}
