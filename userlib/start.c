// SPDX-License-Identifier: BSD-2-Clause
/*
 * C start-up: give the first thread its TLS block (so errno and every
 * _Thread_local work), run constructors, call main, exit with its result.
 */
#include <hekate/user.h>
#include <picotls.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv);
extern void __libc_init_array(void);

/* Room for the TLS block plus alignment slack, taken from the heap before malloc runs. */
static void *tls_block(void)
{
	size_t align = _tls_align() < 16 ? 16 : _tls_align();
	char *p = sbrk((intptr_t)(_tls_size() + align));
	if (p == (void *)-1)
		_exit(127);
	return (void *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
}

void __hk_start(int argc, char **argv);
void __hk_start(int argc, char **argv)
{
	void *tls = tls_block();
	_init_tls(tls);
	_set_tls(tls);
	__libc_init_array();
	exit(main(argc, argv));
}

void _exit(int status)
{
	for (;;)
		hk_exit(status);
}
