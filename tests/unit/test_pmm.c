// SPDX-License-Identifier: BSD-2-Clause
/* Page allocator on the host: all/none, double free, bad frees, holes, fragmentation, model check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include <hekate/errno.h>
#include <hekate/pmm.h>

#define BASE   0x40000000ull /* 1 GiB: page aligned, not 64 KiB-run aligned below */
#define NPAGES 1024u

struct fixture {
	struct pmm p;
	uint64_t *map;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->map = malloc(pmm_map_bytes(NPAGES));
	pmm_init(&f->p, BASE, NPAGES, f->map);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	free(f->map);
	free(f);
	return 0;
}

static uint64_t page(unsigned i) { return BASE + (uint64_t)i * PAGE_SIZE; }

static void test_starts_reserved(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	assert_int_equal(pmm_free_count(&f->p), 0);
	assert_int_equal(pmm_alloc(&f->p, &pa), -HK_ENOMEM);
}

static void test_alloc_all_free_all(void **state)
{
	struct fixture *f = *state;
	static uint64_t got[NPAGES];
	uint64_t pa;
	assert_int_equal(pmm_add_free(&f->p, BASE, NPAGES * PAGE_SIZE), 0);
	assert_int_equal(pmm_free_count(&f->p), NPAGES);
	for (unsigned i = 0; i < NPAGES; i++) {
		assert_int_equal(pmm_alloc(&f->p, &got[i]), 0);
		assert_int_equal(got[i], page(i)); /* lowest first, each once */
	}
	assert_int_equal(pmm_free_count(&f->p), 0);
	assert_int_equal(pmm_alloc(&f->p, &pa), -HK_ENOMEM);
	for (unsigned i = 0; i < NPAGES; i++)
		assert_int_equal(pmm_free(&f->p, got[i]), 0);
	assert_int_equal(pmm_free_count(&f->p), NPAGES);
}

static void test_double_free_detected(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	pmm_add_free(&f->p, BASE, NPAGES * PAGE_SIZE);
	assert_int_equal(pmm_alloc(&f->p, &pa), 0);
	assert_int_equal(pmm_free(&f->p, pa), 0);
	assert_int_equal(pmm_free(&f->p, pa), -HK_EDOUBLE);
	assert_int_equal(pmm_free_count(&f->p), NPAGES);
	/* a run containing one already-free page changes nothing */
	uint64_t run;
	assert_int_equal(pmm_alloc_run(&f->p, 4, 1, &run), 0);
	assert_int_equal(pmm_free(&f->p, run + PAGE_SIZE), 0);
	assert_int_equal(pmm_free_run(&f->p, run, 4), -HK_EDOUBLE);
	assert_int_equal(pmm_free_count(&f->p), NPAGES - 3);
	assert_false(pmm_is_free(&f->p, run));
}

static void test_bad_frees(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(pmm_free(&f->p, BASE + 1), -HK_EINVAL);
	assert_int_equal(pmm_free(&f->p, BASE - PAGE_SIZE), -HK_ERANGE);
	assert_int_equal(pmm_free(&f->p, page(NPAGES)), -HK_ERANGE);
	assert_int_equal(pmm_free_run(&f->p, page(NPAGES - 2), 3), -HK_ERANGE);
	assert_int_equal(pmm_free(&f->p, UINT64_MAX & ~0xfffull), -HK_ERANGE);
	assert_int_equal(pmm_add_free(&f->p, BASE - PAGE_SIZE, 2 * PAGE_SIZE), -HK_ERANGE);
	assert_int_equal(pmm_add_free(&f->p, UINT64_MAX - PAGE_SIZE, 2 * PAGE_SIZE), -HK_ERANGE);
	assert_int_equal(pmm_free_count(&f->p), 0);
}

static void test_holes_and_reserved(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	/* two RAM ranges with a hole, a reserved region straddling a page edge */
	pmm_add_free(&f->p, page(0), 100 * PAGE_SIZE);
	pmm_add_free(&f->p, page(200), 100 * PAGE_SIZE);
	pmm_reserve(&f->p, page(10) + 100, 2 * PAGE_SIZE);       /* touches pages 10, 11, 12 */
	pmm_reserve(&f->p, BASE - 5 * PAGE_SIZE, 6 * PAGE_SIZE); /* clipped: page 0 */
	assert_int_equal(pmm_free_count(&f->p), 200 - 4);
	size_t n = 0;
	while (pmm_alloc(&f->p, &pa) == 0) {
		unsigned i = (unsigned)((pa - BASE) / PAGE_SIZE);
		assert_true((i >= 1 && i < 100) || (i >= 200 && i < 300));
		assert_true(i < 10 || i > 12);
		n++;
	}
	assert_int_equal(n, 196);
}

static void test_fragmentation(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	pmm_add_free(&f->p, BASE, NPAGES * PAGE_SIZE);
	for (unsigned i = 0; i < NPAGES; i++)
		pmm_alloc(&f->p, &pa);
	for (unsigned i = 0; i < NPAGES; i += 2)
		assert_int_equal(pmm_free(&f->p, page(i)), 0);
	assert_int_equal(pmm_free_count(&f->p), NPAGES / 2);
	/* half the memory is free, yet no two pages are adjacent */
	assert_int_equal(pmm_alloc_run(&f->p, 2, 1, &pa), -HK_ENOMEM);
	assert_int_equal(pmm_alloc(&f->p, &pa), 0);
	assert_int_equal(pa, page(0));
	for (unsigned i = 1; i < NPAGES; i += 2)
		assert_int_equal(pmm_free(&f->p, page(i)), 0);
	/* coalesced again: a long run fits, and alignment is in physical addresses */
	assert_int_equal(pmm_alloc_run(&f->p, 512, 1, &pa), 0);
	assert_int_equal(pa, page(1));
	assert_int_equal(pmm_alloc_run(&f->p, 16, 16, &pa), 0);
	assert_int_equal(pa % (16 * PAGE_SIZE), 0);
	assert_int_equal(pmm_alloc_run(&f->p, 0, 1, &pa), -HK_EINVAL);
	assert_int_equal(pmm_alloc_run(&f->p, 1, 3, &pa), -HK_EINVAL);
	assert_int_equal(pmm_alloc_run(&f->p, NPAGES, 1, &pa), -HK_ENOMEM);
}

static void test_lowest_free_after_free(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	pmm_add_free(&f->p, BASE, NPAGES * PAGE_SIZE);
	for (unsigned i = 0; i < 700; i++)
		pmm_alloc(&f->p, &pa);
	pmm_free(&f->p, page(3));
	assert_int_equal(pmm_alloc(&f->p, &pa), 0);
	assert_int_equal(pa, page(3));
	assert_int_equal(pmm_alloc(&f->p, &pa), 0);
	assert_int_equal(pa, page(700));
}

/* Random alloc/free sequence checked against a plain array model. */
static void test_model(void **state)
{
	struct fixture *f = *state;
	static unsigned char owned[NPAGES];
	memset(owned, 0, sizeof(owned));
	pmm_add_free(&f->p, BASE, NPAGES * PAGE_SIZE);
	srand(12345);
	size_t held = 0;
	for (int op = 0; op < 20000; op++) {
		uint64_t pa;
		unsigned i = (unsigned)rand() % NPAGES;
		if (rand() % 2) {
			int rc = pmm_alloc(&f->p, &pa);
			assert_int_equal(rc, held == NPAGES ? -HK_ENOMEM : 0);
			if (rc == 0) {
				unsigned k = (unsigned)((pa - BASE) / PAGE_SIZE);
				assert_false(owned[k]);
				owned[k] = 1;
				held++;
			}
		} else {
			assert_int_equal(pmm_free(&f->p, page(i)), owned[i] ? 0 : -HK_EDOUBLE);
			held -= owned[i];
			owned[i] = 0;
		}
		assert_int_equal(pmm_free_count(&f->p), NPAGES - held);
	}
}

static void test_find_hole(void **state)
{
	(void)state;
	struct pmm_region ram[] = {{0x40000000, 0x100000}, {0x80000000, 0x1000000}};
	struct pmm_region avoid[] = {{0x40000000, 0x2000}, {0x40003000, 0x1000}};
	uint64_t pa;
	assert_int_equal(pmm_find_hole(ram, 2, avoid, 2, 0x1000, UINT64_MAX, &pa), 0);
	assert_int_equal(pa, 0x40002000);
	assert_int_equal(pmm_find_hole(ram, 2, avoid, 2, 0x1001, UINT64_MAX, &pa), 0);
	assert_int_equal(pa, 0x40004000);
	assert_int_equal(pmm_find_hole(ram, 2, avoid, 2, 0x200000, UINT64_MAX, &pa), 0);
	assert_int_equal(pa, 0x80000000);
	assert_int_equal(pmm_find_hole(ram, 2, avoid, 2, 0x200000, 0x80000000, &pa), -HK_ENOMEM);
	assert_int_equal(pmm_find_hole(ram, 2, avoid, 2, 0x2000000, UINT64_MAX, &pa), -HK_ENOMEM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_starts_reserved, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alloc_all_free_all, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_double_free_detected, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_frees, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_holes_and_reserved, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fragmentation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lowest_free_after_free, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_model, setup, teardown),
	    cmocka_unit_test(test_find_hole),
	};
	return cmocka_run_group_tests_name("pmm", tests, NULL, NULL);
}
