// SPDX-License-Identifier: BSD-2-Clause
/* Says where it runs, uses malloc and errno, exits with the status given as argv[1]. */
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
	printf("hello: %s pid %d on core %u with %d args, exiting with status %d\n", s.name, s.pid,
	       s.core, argc - 1, status);
	return status;
}
