/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef KAN_ADDR_H
#define KAN_ADDR_H

/*
 * The address table: IPv6 address -> endpoint index, the lookup every send
 * makes. Open addressing with linear probing and backward-shift deletion
 * (no tombstones), at most half full, so a lookup is O(1) expected and its
 * cost does not grow with the number of endpoints.
 *
 * Concurrency: one writer at a time (the caller's lock); any number of
 * readers without a lock. Writers bump a ck_sequence around each change and
 * readers retry, so a reader racing a delete's shift never misses a key
 * that stayed.
 */
#include <ck_sequence.h>
#include <hekate/kan.h>
#include <stdint.h>

struct kan_atab_slot {
	uint64_t hi, lo; /* the address as two words in memory order */
	uint32_t val;
	uint32_t used;
};

struct kan_atab {
	struct kan_atab_slot *slots; /* cap entries, zeroed */
	uint32_t cap;                /* power of two */
	uint32_t count;
	ck_sequence_t seq;
};

/* slots: cap zeroed entries, cap a power of two >= 2. Holds up to cap/2 keys. */
void kan_atab_init(struct kan_atab *t, struct kan_atab_slot *slots, uint32_t cap);
/* 0, -HK_EEXIST (already present, unchanged) or -HK_ETOOMANY (half full). */
int kan_atab_insert(struct kan_atab *t, const struct hk_addr *a, uint32_t val);
/* 0 or -HK_ENOENT. */
int kan_atab_remove(struct kan_atab *t, const struct hk_addr *a);
/* 0 with *val, or -HK_ENOENT. Lock-free. */
int kan_atab_lookup(struct kan_atab *t, const struct hk_addr *a, uint32_t *val);

#endif
