// SPDX-License-Identifier: BSD-2-Clause
/*
 * Says where it runs, uses malloc and errno, exits with the status given as
 * argv[1]. argv[2] "dev": its first device grant must be mapped (a virtio
 * magic readable there); "nodev": it must have no grant at all.
 */
#include <errno.h>
#include <hekate/user.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct hk_self s;
	if (hk_self(&s))
		hk_fail("self");
	int status = argc > 1 ? atoi(argv[1]) : 0;
	char *buf = malloc(100000);
	if (!buf)
		hk_fail("malloc");
	memset(buf, 'x', 100000);
	errno = 0;
	strtol("99999999999999999999999", NULL, 10);
	if (errno != ERANGE)
		hk_fail("errno not set through TLS");
	free(buf);
	struct hk_dev_info d;
	int64_t rc = hk_dev_info(0, &d);
	if (argc > 2 && !strcmp(argv[2], "dev")) {
		if (rc)
			hk_fail("dev_info: %s", hk_strerror((int)rc));
		uint32_t magic = *(volatile uint32_t *)(uintptr_t)d.va;
		printf("hello: device %s mapped at 0x%llx, irq %u, magic 0x%x: %s\n", d.name,
		       (unsigned long long)d.va, d.irq, magic,
		       magic == 0x74726976 ? "ok" : "WRONG");
		if (magic != 0x74726976)
			return 1;
	} else if (argc > 2 && !strcmp(argv[2], "nodev")) {
		if (rc != -HK_ENOENT)
			hk_fail("a process without grants got dev_info %lld", (long long)rc);
		printf("hello: no device granted: ok\n");
	}
	printf("hello: %s pid %d on core %u with %d args, exiting with status %d\n", s.name, s.pid,
	       s.core, argc - 1, status);
	return status;
}
