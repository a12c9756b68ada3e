// SPDX-License-Identifier: BSD-2-Clause
/*
 * newc cpio reader for the boot image.
 *
 * The archive is untrusted: every header field is checked to be ASCII hex,
 * every offset is compared against len before anything at it is read, and
 * the arithmetic is written so it cannot wrap (off <= len always holds, and
 * each addition is checked against what is left). Each entry occupies at
 * least HDR_LEN + 2 bytes, so walking an archive of len bytes takes at most
 * len / 112 steps.
 *
 * Layout of one entry, offsets relative to the start of the archive:
 *   110-byte header: "070701" then 13 fields of 8 hex digits
 *   name (namesize bytes, including its NUL), padded to a multiple of 4
 *   data (filesize bytes), padded to a multiple of 4
 * The last entry is named "TRAILER!!!".
 */
#include <hekate/cpio.h>
#include <hekate/errno.h>
#include <hekate/fmt.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define HDR_LEN   110
#define MAGIC     "070701"
#define MAGIC_LEN 6
#define TRAILER   "TRAILER!!!"

/* Field indexes in the header, after the magic. */
enum {
	F_INO,
	F_MODE,
	F_UID,
	F_GID,
	F_NLINK,
	F_MTIME,
	F_FILESIZE,
	F_DEVMAJOR,
	F_DEVMINOR,
	F_RDEVMAJOR,
	F_RDEVMINOR,
	F_NAMESIZE,
	F_CHECK,
	F_COUNT,
};

#define S_IFMT_  0170000u
#define S_IFREG_ 0100000u

static const char *field_names[F_COUNT] = {
    "ino",      "mode",     "uid",       "gid",       "nlink",    "mtime", "filesize",
    "devmajor", "devminor", "rdevmajor", "rdevminor", "namesize", "check",
};

#define FAIL(err, errlen, ...)                                                                     \
	((err) && (errlen) ? (void)fmt_snprintf((err), (errlen), __VA_ARGS__) : (void)0,           \
	 -HK_EBADMAN)

/* Eight hex digits at s into *v; -1 at the first non-hex digit. */
static int parse_hex8(const char *s, uint32_t *v)
{
	uint32_t x = 0;
	for (int i = 0; i < 8; i++) {
		int d = fmt_hex_digit(s[i]);
		if (d < 0)
			return -1;
		x = (x << 4) | (uint32_t)d;
	}
	*v = x;
	return 0;
}

/* Drop any number of leading "./" and "/" (bounded: each step shortens the name). */
static void strip_prefix(const char **name, size_t *len)
{
	for (;;) {
		if (*len >= 1 && (*name)[0] == '/') {
			(*name)++;
			(*len)--;
		} else if (*len >= 2 && (*name)[0] == '.' && (*name)[1] == '/') {
			*name += 2;
			*len -= 2;
		} else {
			return;
		}
	}
}

/* Round up to 4; the caller guarantees x <= SIZE_MAX - 3. */
static size_t align4(size_t x) { return (x + 3) & ~(size_t)3; }

/*
 * Contract beyond the header: at the trailer, 0 is returned and *off is left
 * pointing at the trailer, so calling again returns 0 again. Names with a NUL
 * before their end are rejected (names are compared as strings later).
 * For a non-trailer entry the padding after the data need not be inside the
 * buffer; the next call then reports the missing header.
 */
int cpio_next(const void *arch, size_t len, size_t *off, struct cpio_file *f, char *err,
              size_t errlen)
{
	const char *a = arch;
	size_t o = *off;
	uint32_t v[F_COUNT];

	if (o > len || len - o < HDR_LEN)
		return FAIL(err, errlen,
		            "cpio: no header at offset %zu (archive is %zu bytes, no " TRAILER ")",
		            o, len);
	if (memcmp(a + o, MAGIC, MAGIC_LEN))
		return FAIL(err, errlen, "cpio: bad magic at offset %zu (not newc " MAGIC ")", o);
	for (int i = 0; i < F_COUNT; i++) {
		if (parse_hex8(a + o + MAGIC_LEN + 8 * i, &v[i]))
			return FAIL(err, errlen, "cpio: non-hex digit in field %s at offset %zu",
			            field_names[i], o);
	}

	size_t namesize = v[F_NAMESIZE];
	size_t name_off = o + HDR_LEN; /* <= len: checked above */
	if (namesize == 0)
		return FAIL(err, errlen, "cpio: entry at offset %zu has namesize 0", o);
	if (namesize > len - name_off)
		return FAIL(err, errlen, "cpio: name at offset %zu (%zu bytes) runs past the end",
		            name_off, namesize);
	const char *name = a + name_off;
	size_t namelen = namesize - 1;
	if (name[namelen] != '\0')
		return FAIL(err, errlen, "cpio: name at offset %zu without its NUL", name_off);
	if (memchr(name, '\0', namelen))
		return FAIL(err, errlen, "cpio: name at offset %zu has a NUL inside", name_off);

	if (namelen == sizeof(TRAILER) - 1 && !memcmp(name, TRAILER, namelen))
		return 0;

	/* name_off + namesize <= len, so aligning it cannot wrap unless len is near SIZE_MAX. */
	size_t end = name_off + namesize;
	if (end > SIZE_MAX - 3 || align4(end) > len)
		return FAIL(err, errlen, "cpio: name padding at offset %zu runs past the end", end);
	size_t data_off = align4(end);
	size_t size = v[F_FILESIZE];
	/* "%.*s" of name is safe: name[namelen] is the NUL, inside the buffer. */
	if (size > len - data_off)
		return FAIL(err, errlen,
		            "cpio: '%.*s': %zu bytes of data at offset %zu run past the end (%zu)",
		            (int)(namelen > 64 ? 64 : namelen), name, size, data_off, len);
	end = data_off + size;
	if (end > SIZE_MAX - 3)
		return FAIL(err, errlen, "cpio: data at offset %zu too large", data_off);

	strip_prefix(&name, &namelen);
	f->name = name;
	f->namelen = namelen;
	f->data = a + data_off;
	f->size = size;
	f->mode = v[F_MODE];
	*off = align4(end);
	return 1;
}

int cpio_find(const void *arch, size_t len, const char *name, struct cpio_file *f, char *err,
              size_t errlen)
{
	size_t want = strlen(name), off = 0;
	struct cpio_file cur;
	int rc;

	strip_prefix(&name, &want);
	if (want == 0) {
		if (err && errlen)
			fmt_snprintf(err, errlen, "cpio: empty file name");
		return -HK_ENOENT;
	}
	/* Every entry advances off by at least HDR_LEN + 2 bytes, so this ends. */
	while ((rc = cpio_next(arch, len, &off, &cur, err, errlen)) == 1) {
		if ((cur.mode & S_IFMT_) != S_IFREG_ || cur.namelen != want)
			continue;
		if (!memcmp(cur.name, name, want)) {
			*f = cur;
			return 0;
		}
	}
	if (rc < 0)
		return rc;
	if (err && errlen)
		fmt_snprintf(err, errlen, "cpio: '%s' not found", name);
	return -HK_ENOENT;
}
