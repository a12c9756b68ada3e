// SPDX-License-Identifier: BSD-2-Clause
/*
 * A supervisor that kills: starts each other manifest entry, lets it run,
 * kills it, and checks the exit record (cause killed, pages freed) and that
 * the kernel's free-page count is back to where it was. Twice each, so the
 * reused process slot and ASID are exercised too. Exits 0 only if all held.
 */
#include <hekate/user.h>
#include <stdio.h>

static uint64_t free_pages(void)
{
	struct hk_kstat k;
	return hk_kstat(&k) ? 0 : k.free_pages;
}

static int kill_one(unsigned index)
{
	struct hk_exit_info e;
	int64_t pid = hk_spawn(index);
	if (pid < 0)
		hk_fail("spawn %u: %s", index, hk_strerror((int)pid));
	hk_sleep_us(100000);
	int64_t rc = hk_kill((int)pid);
	int64_t w = hk_wait(&e, 2000000);
	int ok = rc == 0 && w == pid && e.cause == HK_CAUSE_KILLED && e.pages_freed > 0;
	printf("killer: pid %lld: kill %lld, wait %lld, cause %u, %llu pages freed: %s\n",
	       (long long)pid, (long long)rc, (long long)w, e.cause,
	       (unsigned long long)e.pages_freed, ok ? "ok" : "FAILED");
	return ok;
}

int main(void)
{
	struct hk_proc_info info;
	uint64_t base = free_pages();
	int ok = hk_kill(1) == -HK_EINVAL; /* itself */
	ok &= hk_kill(999) == -HK_ESRCH;
	hk_proc_info(0, &info);
	for (int round = 0; round < 2; round++)
		for (unsigned i = 1; i < info.nprocs; i++)
			ok &= kill_one(i);
	uint64_t now = free_pages();
	printf("killer: free pages %llu before, %llu after: %s\n", (unsigned long long)base,
	       (unsigned long long)now, now == base ? "same" : "LEAK");
	return ok && now == base ? 0 : 1;
}
