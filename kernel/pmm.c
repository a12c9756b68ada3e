// SPDX-License-Identifier: BSD-2-Clause
#include <hekate/errno.h>
#include <hekate/pmm.h>
#include <string.h>

#define BITS 64u

static uint64_t page_round_down(uint64_t a) { return a & ~(uint64_t)(PAGE_SIZE - 1); }
static uint64_t page_round_up(uint64_t a) { return page_round_down(a + PAGE_SIZE - 1); }

static int test_bit(const struct pmm *p, size_t i) { return (p->map[i / BITS] >> (i % BITS)) & 1; }
static void set_bit(struct pmm *p, size_t i) { p->map[i / BITS] |= 1ull << (i % BITS); }
static void clear_bit(struct pmm *p, size_t i) { p->map[i / BITS] &= ~(1ull << (i % BITS)); }

size_t pmm_map_bytes(size_t npages) { return (npages + BITS - 1) / BITS * sizeof(uint64_t); }

void pmm_init(struct pmm *p, uint64_t base, size_t npages, uint64_t *map)
{
	p->base = base;
	p->npages = npages;
	p->map = map;
	p->nfree = 0;
	p->hint = 0;
	memset(map, 0, pmm_map_bytes(npages));
}

/* Page index of pa, or -1 if pa is not a page inside the span. */
static long page_index(const struct pmm *p, uint64_t pa)
{
	if (pa < p->base || (pa - p->base) / PAGE_SIZE >= p->npages)
		return -1;
	return (long)((pa - p->base) / PAGE_SIZE);
}

int pmm_add_free(struct pmm *p, uint64_t pa, uint64_t len)
{
	uint64_t start = page_round_up(pa), end = page_round_down(pa + len);
	if (pa + len < pa || start < p->base || end > p->base + (uint64_t)p->npages * PAGE_SIZE)
		return -HK_ERANGE;
	for (uint64_t a = start; a < end; a += PAGE_SIZE) {
		size_t i = (size_t)((a - p->base) / PAGE_SIZE);
		if (!test_bit(p, i)) {
			set_bit(p, i);
			p->nfree++;
		}
	}
	p->hint = 0;
	return 0;
}

void pmm_reserve(struct pmm *p, uint64_t pa, uint64_t len)
{
	uint64_t span_end = p->base + (uint64_t)p->npages * PAGE_SIZE;
	uint64_t start = page_round_down(pa), end = page_round_up(pa + len);
	if (len == 0 || end <= p->base || start >= span_end)
		return;
	if (start < p->base)
		start = p->base;
	if (end > span_end || end < start)
		end = span_end;
	for (uint64_t a = start; a < end; a += PAGE_SIZE) {
		size_t i = (size_t)((a - p->base) / PAGE_SIZE);
		if (test_bit(p, i)) {
			clear_bit(p, i);
			p->nfree--;
		}
	}
}

int pmm_alloc(struct pmm *p, uint64_t *pa)
{
	size_t words = (p->npages + BITS - 1) / BITS;
	for (size_t w = p->hint; w < words; w++) {
		if (!p->map[w])
			continue;
		size_t i = w * BITS + (size_t)__builtin_ctzll(p->map[w]);
		clear_bit(p, i);
		p->nfree--;
		p->hint = w;
		*pa = p->base + (uint64_t)i * PAGE_SIZE;
		return 0;
	}
	p->hint = words;
	return -HK_ENOMEM;
}

static int run_free(const struct pmm *p, size_t i, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (!test_bit(p, i + k))
			return 0;
	return 1;
}

int pmm_alloc_run(struct pmm *p, size_t n, size_t align_pages, uint64_t *pa)
{
	if (n == 0 || align_pages == 0 || (align_pages & (align_pages - 1)))
		return -HK_EINVAL;
	if (n > p->nfree)
		return -HK_ENOMEM;
	/* Align in physical addresses, not span indices. */
	uint64_t align = (uint64_t)align_pages * PAGE_SIZE;
	uint64_t first = (p->base + align - 1) & ~(align - 1);
	for (size_t i = (size_t)((first - p->base) / PAGE_SIZE); i + n <= p->npages;
	     i += align_pages) {
		if (!run_free(p, i, n))
			continue;
		for (size_t k = 0; k < n; k++)
			clear_bit(p, i + k);
		p->nfree -= n;
		*pa = p->base + (uint64_t)i * PAGE_SIZE;
		return 0;
	}
	return -HK_ENOMEM;
}

static int check_free(const struct pmm *p, uint64_t pa, size_t n)
{
	if (pa & (PAGE_SIZE - 1))
		return -HK_EINVAL;
	long i = page_index(p, pa);
	if (i < 0 || n > p->npages - (size_t)i)
		return -HK_ERANGE;
	for (size_t k = 0; k < n; k++)
		if (test_bit(p, (size_t)i + k))
			return -HK_EDOUBLE;
	return 0;
}

int pmm_free_run(struct pmm *p, uint64_t pa, size_t n)
{
	int rc = check_free(p, pa, n);
	if (rc)
		return rc;
	size_t i = (size_t)page_index(p, pa);
	for (size_t k = 0; k < n; k++)
		set_bit(p, i + k);
	p->nfree += n;
	if (i / BITS < p->hint)
		p->hint = i / BITS;
	return 0;
}

int pmm_free(struct pmm *p, uint64_t pa) { return pmm_free_run(p, pa, 1); }

size_t pmm_free_count(const struct pmm *p) { return p->nfree; }

int pmm_is_free(const struct pmm *p, uint64_t pa)
{
	long i = page_index(p, pa);
	return i >= 0 && test_bit(p, (size_t)i);
}

static int overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

int pmm_find_hole(const struct pmm_region *ram, unsigned nram, const struct pmm_region *avoid,
                  unsigned navoid, uint64_t bytes, uint64_t limit, uint64_t *pa)
{
	bytes = page_round_up(bytes);
	for (unsigned r = 0; r < nram; r++) {
		uint64_t a = page_round_up(ram[r].base), end = ram[r].base + ram[r].size;
		while (a + bytes <= end && a + bytes <= limit && a + bytes > a) {
			unsigned k;
			for (k = 0; k < navoid; k++)
				if (overlaps(a, bytes, avoid[k].base, avoid[k].size))
					break;
			if (k == navoid) {
				*pa = a;
				return 0;
			}
			/* jump past the region we collided with */
			a = page_round_up(avoid[k].base + avoid[k].size);
		}
	}
	return -HK_ENOMEM;
}
