// SPDX-License-Identifier: BSD-2-Clause
/*
 * sbrk for picolibc's malloc over the kernel's bounded brk call (which maps
 * at most HK_BRK_STEP_MAX pages per call, so this loops). Callers hold
 * picolibc's malloc lock, or run before any second thread exists.
 */
#include <errno.h>
#include <hekate/user.h>
#include <stdint.h>
#include <unistd.h>

#define BRK_TRIES 100000 /* > HK_HEAP_MAX / (HK_BRK_STEP_MAX pages) */

static uintptr_t cur;

void *sbrk(ptrdiff_t incr)
{
	if (!cur)
		cur = (uintptr_t)hk_brk(0);
	if (incr < 0) {
		errno = EINVAL;
		return (void *)-1;
	}
	uintptr_t old = cur, want = cur + (uintptr_t)incr;
	for (int i = 0; i < BRK_TRIES && cur < want; i++) {
		int64_t r = hk_brk(want);
		if (r < 0 || (uintptr_t)r <= cur) {
			errno = ENOMEM;
			return (void *)-1;
		}
		cur = (uintptr_t)r;
	}
	return cur >= want ? (void *)old : (void *)-1;
}
