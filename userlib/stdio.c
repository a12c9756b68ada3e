// SPDX-License-Identifier: BSD-2-Clause
/*
 * stdout/stderr for picolibc's tiny stdio: bytes collect in a per-thread
 * line buffer and go to the kernel console one line (or one full buffer)
 * per console_write, so lines from different threads and processes do not
 * interleave mid-line.
 */
#include <hekate/user.h>
#include <stdio.h>

#define LINE_MAX_BYTES 256

static _Thread_local char line[LINE_MAX_BYTES];
static _Thread_local unsigned used;

static int flush_line(FILE *f)
{
	(void)f;
	if (used)
		hk_console_write(line, used);
	used = 0;
	return 0;
}

static int put(char c, FILE *f)
{
	line[used++] = c;
	if (c == '\n' || used == LINE_MAX_BYTES)
		flush_line(f);
	return (unsigned char)c;
}

static int get(FILE *f)
{
	(void)f;
	return EOF; /* no console input yet */
}

static FILE console = FDEV_SETUP_STREAM(put, get, flush_line, _FDEV_SETUP_RW);
FILE *const stdin = &console;
FILE *const stdout = &console;
FILE *const stderr = &console;
