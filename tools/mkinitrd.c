// SPDX-License-Identifier: BSD-2-Clause
/*
 * mkinitrd: pack the boot image, a newc cpio archive (host tool).
 *
 *   mkinitrd OUT.cpio ARCHIVE_NAME=HOST_PATH ...
 *
 * Entries are written in argument order: a 110-byte header ("070701" and 13
 * fields of 8 hex digits), the name and its NUL padded to 4 bytes, the data
 * padded to 4 bytes; then the TRAILER!!! entry. Inodes count up from 1, mode
 * is 0100755 for an executable host file and 0100644 otherwise, nlink 1,
 * uid/gid/mtime/devices 0, so identical inputs give identical bytes.
 *
 * Archive names lose any leading "./" and "/" (as the kernel's reader does)
 * and must be 1..NAME_LIMIT bytes, unique, without control characters, and
 * not TRAILER!!!. Everything is checked and read before OUT.tmp is written;
 * OUT.tmp is renamed to OUT only when complete, and removed on any failure.
 * Exits 0 on success, 1 with a message otherwise.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NAME_LIMIT 255
#define TRAILER    "TRAILER!!!"

struct entry {
	const char *name; /* into argv, prefix stripped */
	size_t namelen;
	const char *path;
	unsigned char *data;
	size_t size;
	uint32_t mode;
};

static const char *tmp_path; /* removed by die() once created */

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "mkinitrd: %s: %s\n", what, detail);
	if (tmp_path)
		remove(tmp_path);
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: mkinitrd OUT.cpio ARCHIVE_NAME=HOST_PATH ...\n");
	exit(1);
}

/* Split "NAME=PATH" into e->name / e->path and check the name. */
static void parse_arg(char *arg, struct entry *e)
{
	char *eq = strchr(arg, '=');
	if (!eq)
		die(arg, "expected ARCHIVE_NAME=HOST_PATH (no '=')");
	*eq = '\0';
	e->path = eq + 1;
	e->name = arg;
	for (;;) {
		if (e->name[0] == '/')
			e->name++;
		else if (e->name[0] == '.' && e->name[1] == '/')
			e->name += 2;
		else
			break;
	}
	e->namelen = strlen(e->name);
	if (!e->namelen)
		die(arg, "empty archive name");
	if (e->namelen > NAME_LIMIT)
		die(e->name, "archive name longer than 255 bytes");
	for (size_t i = 0; i < e->namelen; i++) {
		if ((unsigned char)e->name[i] < 0x20 || e->name[i] == 0x7f)
			die(e->name, "control character in archive name");
	}
	if (!strcmp(e->name, TRAILER))
		die(e->name, "reserved archive name");
	if (!*e->path)
		die(e->name, "empty host path");
}

/* Read the whole host file; it must be a regular file below 4 GiB. */
static void load(struct entry *e)
{
	struct stat st;
	FILE *f = fopen(e->path, "rb");
	if (!f)
		die(e->path, strerror(errno));
	if (fstat(fileno(f), &st))
		die(e->path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		die(e->path, "not a regular file");
	if ((uintmax_t)st.st_size > 0xffffffffu)
		die(e->path, "larger than 4 GiB - 1 (newc limit)");
	e->size = (size_t)st.st_size;
	e->data = malloc(e->size ? e->size : 1);
	if (!e->data)
		die(e->path, "out of memory");
	if (fread(e->data, 1, e->size, f) != e->size || fgetc(f) != EOF || ferror(f))
		die(e->path, "read failed or the file changed size");
	fclose(f);
	e->mode = (st.st_mode & 0111) ? 0100755 : 0100644;
}

static void put(FILE *out, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, out) != n)
		die(tmp_path, "write failed");
}

static void pad4(FILE *out, size_t n)
{
	static const char zeros[4];
	put(out, zeros, (4 - n % 4) % 4);
}

/* One entry; *pos is the archive offset, kept to pad relative to the start. */
static void write_entry(FILE *out, size_t *pos, uint32_t ino, uint32_t mode, uint32_t nlink,
                        const char *name, size_t namelen, const void *data, size_t size)
{
	char hdr[111];
	snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
	         ino, mode, 0u, 0u, nlink, 0u, (unsigned)size, 0u, 0u, 0u, 0u,
	         (unsigned)(namelen + 1), 0u);
	put(out, hdr, 110);
	put(out, name, namelen);
	put(out, "", 1);
	*pos += 110 + namelen + 1;
	pad4(out, *pos);
	*pos += (4 - *pos % 4) % 4;
	put(out, data, size);
	*pos += size;
	pad4(out, *pos);
	*pos += (4 - *pos % 4) % 4;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	size_t n = (size_t)argc - 2;
	struct entry *e = calloc(n ? n : 1, sizeof(*e));
	if (!e)
		die("mkinitrd", "out of memory");
	for (size_t i = 0; i < n; i++) {
		parse_arg(argv[i + 2], &e[i]);
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(e[i].name, e[j].name))
				die(e[i].name, "duplicate archive name");
		}
	}
	for (size_t i = 0; i < n; i++)
		load(&e[i]);

	const char *outp = argv[1];
	size_t tlen = strlen(outp) + sizeof(".tmp");
	char *tmp = malloc(tlen);
	if (!tmp)
		die("mkinitrd", "out of memory");
	snprintf(tmp, tlen, "%s.tmp", outp);
	FILE *out = fopen(tmp, "wb");
	if (!out)
		die(tmp, strerror(errno));
	tmp_path = tmp;

	size_t pos = 0;
	for (size_t i = 0; i < n; i++)
		write_entry(out, &pos, (uint32_t)(i + 1), e[i].mode, 1, e[i].name, e[i].namelen,
		            e[i].data, e[i].size);
	write_entry(out, &pos, 0, 0, 1, TRAILER, strlen(TRAILER), NULL, 0);
	if (fflush(out) || ferror(out) || fclose(out))
		die(tmp, "write failed");
	if (rename(tmp, outp))
		die(outp, strerror(errno));
	tmp_path = NULL;
	for (size_t i = 0; i < n; i++)
		free(e[i].data);
	free(e);
	free(tmp);
	return 0;
}
