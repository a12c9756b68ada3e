/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_CPIO_H
#define HEKATE_CPIO_H

/*
 * Reader for the boot image: a cpio archive in the "newc" format (magic
 * 070701, as the Linux initramfs and `cpio -H newc` write it), ended by the
 * TRAILER!!! entry. Host-testable; reads only inside [arch, arch+len).
 * Names are returned without a leading "./" or "/".
 */
#include <stddef.h>
#include <stdint.h>

struct cpio_file {
	const char *name; /* points into the archive; NOT NUL-terminated in general */
	size_t namelen;   /* without the terminating NUL */
	const void *data; /* points into the archive */
	size_t size;
	uint32_t mode; /* st_mode from the header */
};

/*
 * Read the entry at *off. Returns 1 and *f (advancing *off to the next
 * entry), 0 at the trailer, or -HK_EBADMAN with a reason (bad magic, a
 * header, name or body running past len, a name without its NUL, a
 * non-hex digit) in err[errlen]. Start with *off = 0.
 */
int cpio_next(const void *arch, size_t len, size_t *off, struct cpio_file *f, char *err,
              size_t errlen);

/*
 * Find a regular file by name (a leading "/" or "./" on either side is
 * ignored). 0 and *f, -HK_ENOENT if absent, -HK_EBADMAN if the archive is
 * malformed before the file is found (reason in err).
 */
int cpio_find(const void *arch, size_t len, const char *name, struct cpio_file *f, char *err,
              size_t errlen);

#endif
