// SPDX-License-Identifier: BSD-2-Clause
/*
 * newc cpio reader on the host: archives written here and by the real
 * mkinitrd (argv[1]), truncated at every length, corrupted field by field and
 * mutated at random; every entry returned must lie inside the buffer. Also
 * mkinitrd's refusals (nothing left behind) and its reproducibility.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include <hekate/cpio.h>
#include <hekate/errno.h>

static const char *mkinitrd_path;

/* ---- a small newc writer ---- */

struct abuf {
	unsigned char *p;
	size_t len, cap;
};

static void ab_put(struct abuf *b, const void *src, size_t n)
{
	if (!n)
		return;
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, src, n);
	b->len += n;
}

static void ab_pad(struct abuf *b)
{
	while (b->len % 4)
		ab_put(b, "", 1);
}

/* An entry with explicit namesize and filesize fields (which may lie). */
static void ab_entry_raw(struct abuf *b, const char *name, uint32_t mode, const void *data,
                         size_t size, uint32_t namesize, uint32_t filesize)
{
	char hdr[111];
	snprintf(hdr, sizeof(hdr), "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x", 7u,
	         mode, 0u, 0u, 1u, 0u, filesize, 0u, 0u, 0u, 0u, namesize, 0u);
	ab_put(b, hdr, 110);
	ab_put(b, name, strlen(name) + 1);
	ab_pad(b);
	ab_put(b, data, size);
	ab_pad(b);
}

static void ab_entry(struct abuf *b, const char *name, uint32_t mode, const void *data, size_t size)
{
	ab_entry_raw(b, name, mode, data, size, (uint32_t)strlen(name) + 1, (uint32_t)size);
}

static void ab_trailer(struct abuf *b) { ab_entry(b, "TRAILER!!!", 0, NULL, 0); }

static const char echo_data[] = "#!/bin/echo\n";

/* The reference archive: every kind of name and an empty file. */
static struct abuf sample(void)
{
	struct abuf b = {0};
	ab_entry(&b, "manifest", 0100644, "proc init bin=bin/init supervisor\n", 34);
	ab_entry(&b, "bin", 040755, NULL, 0);
	ab_entry(&b, "./bin/echo", 0100755, echo_data, sizeof(echo_data) - 1);
	ab_entry(&b, "/etc/motd", 0100644, "hi", 2);
	ab_entry(&b, "empty", 0100644, NULL, 0);
	ab_trailer(&b);
	return b;
}

/* A copy in a buffer of exactly len bytes, so ASan sees any read past it. */
static unsigned char *exact_copy(const void *src, size_t len)
{
	unsigned char *p = malloc(len ? len : 1);
	assert_non_null(p);
	if (len)
		memcpy(p, src, len);
	return p;
}

static int name_is(const struct cpio_file *f, const char *want)
{
	return f->namelen == strlen(want) && !memcmp(f->name, want, f->namelen);
}

static void assert_inside(const void *buf, size_t len, const struct cpio_file *f)
{
	uintptr_t lo = (uintptr_t)buf, hi = lo + len;
	uintptr_t n = (uintptr_t)f->name, d = (uintptr_t)f->data;
	assert_true(n >= lo && n <= hi && f->namelen <= hi - n);
	assert_true(d >= lo && d <= hi && f->size <= hi - d);
}

/* ---- the reader on hand-made archives ---- */

static void test_walk(void **state)
{
	(void)state;
	struct abuf b = sample();
	struct cpio_file f;
	char err[128] = "";
	size_t off = 0;

	assert_int_equal(cpio_next(b.p, b.len, &off, &f, err, sizeof(err)), 1);
	assert_true(name_is(&f, "manifest"));
	assert_int_equal(f.size, 34);
	assert_memory_equal(f.data, "proc init bin=bin/init supervisor\n", 34);
	assert_int_equal(f.mode, 0100644);
	assert_int_equal(off % 4, 0);

	assert_int_equal(cpio_next(b.p, b.len, &off, &f, err, sizeof(err)), 1);
	assert_true(name_is(&f, "bin"));
	assert_int_equal(f.mode, 040755);
	assert_int_equal(f.size, 0);

	assert_int_equal(cpio_next(b.p, b.len, &off, &f, err, sizeof(err)), 1);
	assert_true(name_is(&f, "bin/echo")); /* "./" dropped */
	assert_int_equal(f.mode, 0100755);
	assert_int_equal(f.size, sizeof(echo_data) - 1);
	assert_memory_equal(f.data, echo_data, f.size);

	assert_int_equal(cpio_next(b.p, b.len, &off, &f, err, sizeof(err)), 1);
	assert_true(name_is(&f, "etc/motd")); /* "/" dropped */
	assert_memory_equal(f.data, "hi", 2);

	assert_int_equal(cpio_next(b.p, b.len, &off, &f, err, sizeof(err)), 1);
	assert_true(name_is(&f, "empty"));
	assert_int_equal(f.size, 0);

	size_t at = off;
	assert_int_equal(cpio_next(b.p, b.len, &off, &f, err, sizeof(err)), 0);
	assert_int_equal(off, at); /* stays at the trailer */
	assert_int_equal(cpio_next(b.p, b.len, &off, &f, err, sizeof(err)), 0);
	free(b.p);
}

static void test_find(void **state)
{
	(void)state;
	struct abuf b = sample();
	struct cpio_file f;
	char err[128];

	assert_int_equal(cpio_find(b.p, b.len, "bin/echo", &f, err, sizeof(err)), 0);
	assert_int_equal(f.size, sizeof(echo_data) - 1);
	assert_memory_equal(f.data, echo_data, f.size);
	assert_int_equal(cpio_find(b.p, b.len, "./bin/echo", &f, err, sizeof(err)), 0);
	assert_int_equal(cpio_find(b.p, b.len, "/bin/echo", &f, err, sizeof(err)), 0);
	assert_int_equal(cpio_find(b.p, b.len, "etc/motd", &f, err, sizeof(err)), 0);
	assert_memory_equal(f.data, "hi", 2);
	assert_int_equal(cpio_find(b.p, b.len, "./manifest", &f, err, sizeof(err)), 0);
	assert_int_equal(f.size, 34);
	assert_int_equal(cpio_find(b.p, b.len, "empty", &f, err, sizeof(err)), 0);
	assert_int_equal(f.size, 0);

	assert_int_equal(cpio_find(b.p, b.len, "nope", &f, err, sizeof(err)), -HK_ENOENT);
	assert_int_equal(cpio_find(b.p, b.len, "bin", &f, err, sizeof(err)), -HK_ENOENT); /* dir */
	assert_int_equal(cpio_find(b.p, b.len, "bin/ech", &f, err, sizeof(err)), -HK_ENOENT);
	assert_int_equal(cpio_find(b.p, b.len, "bin/echo2", &f, err, sizeof(err)), -HK_ENOENT);
	assert_int_equal(cpio_find(b.p, b.len, "", &f, err, sizeof(err)), -HK_ENOENT);
	assert_int_equal(cpio_find(b.p, b.len, "TRAILER!!!", &f, err, sizeof(err)), -HK_ENOENT);
	free(b.p);
}

/* An archive that is only the trailer holds nothing. */
static void test_empty_archive(void **state)
{
	(void)state;
	struct abuf b = {0};
	struct cpio_file f;
	char err[128];
	size_t off = 0;

	ab_trailer(&b);
	assert_int_equal(cpio_next(b.p, b.len, &off, &f, err, sizeof(err)), 0);
	assert_int_equal(cpio_find(b.p, b.len, "x", &f, err, sizeof(err)), -HK_ENOENT);
	assert_int_equal(cpio_next(b.p, 0, &off, &f, err, sizeof(err)), -HK_EBADMAN);
	free(b.p);
}

/*
 * Walk a whole archive; return the final code (0 at the trailer, < 0 on an
 * error) and check every entry lies inside the buffer.
 */
static int walk(const unsigned char *p, size_t len, unsigned *entries)
{
	struct cpio_file f;
	char err[128];
	size_t off = 0;
	int rc;

	*entries = 0;
	for (unsigned i = 0; i < len / 112 + 2; i++) {
		err[0] = '\0';
		rc = cpio_next(p, len, &off, &f, err, sizeof(err));
		if (rc <= 0) {
			if (rc < 0) {
				assert_int_equal(rc, -HK_EBADMAN);
				assert_true(strncmp(err, "cpio: ", 6) == 0);
			}
			return rc;
		}
		assert_inside(p, len, &f);
		(*entries)++;
	}
	fail_msg("walk did not end");
	return -1;
}

/* Every prefix of a valid archive either ends at a complete trailer or is refused. */
static void test_truncation(void **state)
{
	(void)state;
	struct abuf b = sample();
	unsigned n;
	/* The trailer header starts 124 bytes before the end: name "TRAILER!!!\0" + pad. */
	size_t trailer_name_end = b.len - 124 + 110 + 11;

	assert_int_equal(walk(b.p, b.len, &n), 0);
	assert_int_equal(n, 5);
	for (size_t cut = 0; cut < b.len; cut++) {
		unsigned char *p = exact_copy(b.p, cut);
		int rc = walk(p, cut, &n);
		if (cut >= trailer_name_end)
			assert_int_equal(rc, 0);
		else
			assert_int_equal(rc, -HK_EBADMAN);
		free(p);
	}
	free(b.p);
}

static void expect_bad(const struct abuf *b, const char *needle)
{
	struct cpio_file f;
	char err[128] = "";
	size_t off = 0;
	unsigned char *p = exact_copy(b->p, b->len);

	assert_int_equal(cpio_next(p, b->len, &off, &f, err, sizeof(err)), -HK_EBADMAN);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not mention '%s'", err, needle);
	free(p);
}

static void test_corrupt_header(void **state)
{
	(void)state;
	struct abuf b = sample();

	b.p[5] = '2'; /* 070702, the crc variant, is not accepted */
	expect_bad(&b, "magic");
	b.p[5] = '1';
	b.p[0] = 'x';
	expect_bad(&b, "magic");
	b.p[0] = '0';
	for (size_t i = 6; i < 110; i++) {
		unsigned char keep = b.p[i];
		b.p[i] = (i % 2) ? 'g' : ' ';
		expect_bad(&b, "non-hex");
		b.p[i] = keep;
	}
	unsigned n;
	assert_int_equal(walk(b.p, b.len, &n), 0); /* restored */
	free(b.p);
}

static void test_bad_sizes(void **state)
{
	(void)state;
	struct abuf b = {0};

	ab_entry_raw(&b, "a", 0100644, "x", 1, 0, 1);
	ab_trailer(&b);
	expect_bad(&b, "namesize 0");
	b.len = 0;

	ab_entry_raw(&b, "a", 0100644, "x", 1, 0xffffffffu, 1);
	ab_trailer(&b);
	expect_bad(&b, "past the end");
	b.len = 0;

	ab_entry_raw(&b, "a", 0100644, "x", 1, 2, 0xffffffffu);
	ab_trailer(&b);
	expect_bad(&b, "past the end");
	b.len = 0;

	/* namesize 1 covers only "a": the name has no NUL */
	ab_entry_raw(&b, "a", 0100644, "x", 1, 1, 1);
	ab_trailer(&b);
	expect_bad(&b, "NUL");
	b.len = 0;

	/* namesize 4 covers "ab\0" and a padding byte: a NUL inside the name */
	ab_entry_raw(&b, "ab", 0100644, "x", 1, 4, 1);
	ab_trailer(&b);
	expect_bad(&b, "NUL");
	free(b.p);
}

/* Entries and then the end of the buffer, without TRAILER!!!. */
static void test_missing_trailer(void **state)
{
	(void)state;
	struct abuf b = {0};
	struct cpio_file f;
	char err[128];
	unsigned n;

	ab_entry(&b, "first", 0100644, "1", 1);
	ab_entry(&b, "second", 0100644, "22", 2);
	unsigned char *p = exact_copy(b.p, b.len);
	assert_int_equal(walk(p, b.len, &n), -HK_EBADMAN);
	assert_int_equal(n, 2);
	/* found before the damage: fine; looked for past it: the damage is reported */
	assert_int_equal(cpio_find(p, b.len, "first", &f, err, sizeof(err)), 0);
	assert_int_equal(cpio_find(p, b.len, "absent", &f, err, sizeof(err)), -HK_EBADMAN);
	assert_non_null(strstr(err, "TRAILER"));
	free(p);
	free(b.p);
}

static uint64_t rng_state;

static uint64_t xorshift(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

/* Random bytes, hex digits and field-sized values at random places, then maybe a cut. */
static void test_fuzz(void **state)
{
	(void)state;
	struct abuf b = sample();
	static const char bytes[] = "0123456789abcdefABCDEFgx\0\xff";
	unsigned ok = 0, bad = 0;

	rng_state = 0x9e3779b97f4a7c15ull;
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = b.len;
		unsigned char *p = exact_copy(b.p, len);
		unsigned nmut = 1 + (unsigned)(xorshift() % 4);
		for (unsigned k = 0; k < nmut; k++) {
			size_t at = (size_t)(xorshift() % len);
			if (xorshift() % 2)
				p[at] = (unsigned char)bytes[xorshift() % (sizeof(bytes) - 1)];
			else
				p[at] = (unsigned char)xorshift();
		}
		if (xorshift() % 4 == 0)
			len = (size_t)(xorshift() % (len + 1));
		unsigned n;
		struct cpio_file f;
		char err[128];
		if (walk(p, len, &n) == 0)
			ok++;
		else
			bad++;
		if (cpio_find(p, len, "bin/echo", &f, err, sizeof(err)) == 0)
			assert_inside(p, len, &f);
		free(p);
	}
	assert_true(ok > 0 && bad > 0); /* the mutations hit both outcomes */
	free(b.p);
}

/* ---- the real mkinitrd ---- */

struct tmpdir {
	char path[64];
};

static void td_make(struct tmpdir *t)
{
	strcpy(t->path, "/tmp/hekate-cpio-XXXXXX");
	assert_non_null(mkdtemp(t->path));
}

static const char *td_file(const struct tmpdir *t, const char *name)
{
	static char buf[4][256];
	static int next;
	char *p = buf[next++ % 4];
	snprintf(p, 256, "%s/%s", t->path, name);
	return p;
}

static void write_file(const char *path, const void *data, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	unsigned char *p = malloc(n ? (size_t)n : 1);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* Remove everything in the directory (flat), then the directory. */
static void td_remove(struct tmpdir *t)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->path);
	assert_int_equal(system(cmd), 0);
}

/* Run mkinitrd with args (NULL-terminated); its exit status, stderr silenced. */
static int run_mkinitrd(const char *const *args)
{
	char *argv[32];
	int n = 0, status;
	argv[n++] = (char *)mkinitrd_path;
	while (*args && n < 31)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 2);
		execv(mkinitrd_path, argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static unsigned char big[3001];

static void make_inputs(const struct tmpdir *t)
{
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7 + 3);
	write_file(td_file(t, "manifest"), "proc init bin=bin/init supervisor\n", 34, 0644);
	write_file(td_file(t, "init"), big, sizeof(big), 0755);
	write_file(td_file(t, "empty"), "", 0, 0644);
	write_file(td_file(t, "three"), "abc", 3, 0600);
}

/* Header field i (0 = ino) of the entry at off, as a number. */
static unsigned long field(const unsigned char *p, size_t off, int i)
{
	char s[9];
	memcpy(s, p + off + 6 + 8 * i, 8);
	s[8] = '\0';
	return strtoul(s, NULL, 16);
}

static void test_mkinitrd_roundtrip(void **state)
{
	(void)state;
	struct tmpdir t;
	char a0[300], a1[300], a2[300], a3[300], out[256];
	td_make(&t);
	make_inputs(&t);
	snprintf(out, sizeof(out), "%s", td_file(&t, "out.cpio"));
	snprintf(a0, sizeof(a0), "manifest=%s", td_file(&t, "manifest"));
	snprintf(a1, sizeof(a1), "./bin/init=%s", td_file(&t, "init"));
	snprintf(a2, sizeof(a2), "/empty=%s", td_file(&t, "empty"));
	snprintf(a3, sizeof(a3), "data/three=%s", td_file(&t, "three"));
	const char *args[] = {out, a0, a1, a2, a3, NULL};
	assert_int_equal(run_mkinitrd(args), 0);
	assert_false(exists(td_file(&t, "out.cpio.tmp")));

	size_t len, off = 0;
	unsigned char *p = read_file(out, &len);
	struct cpio_file f;
	char err[128];
	static const struct {
		const char *name;
		uint32_t mode;
		size_t size;
	} want[] = {
	    {"manifest", 0100644, 34},
	    {"bin/init", 0100755, sizeof(big)},
	    {"empty", 0100644, 0},
	    {"data/three", 0100644, 3},
	};
	assert_int_equal(len % 4, 0);
	for (unsigned i = 0; i < 4; i++) {
		size_t hdr = off;
		assert_int_equal(cpio_next(p, len, &off, &f, err, sizeof(err)), 1);
		assert_true(name_is(&f, want[i].name));
		assert_int_equal(f.mode, want[i].mode);
		assert_int_equal(f.size, want[i].size);
		assert_int_equal(field(p, hdr, 0), i + 1); /* ino */
		assert_int_equal(field(p, hdr, 4), 1);     /* nlink */
		assert_int_equal(field(p, hdr, 5), 0);     /* mtime */
		assert_int_equal(p[hdr + 110 + field(p, hdr, 11) - 1], 0);
	}
	size_t trailer = off;
	assert_int_equal(cpio_next(p, len, &off, &f, err, sizeof(err)), 0);
	assert_int_equal(trailer + 124, len); /* the archive ends with the trailer */

	assert_int_equal(cpio_find(p, len, "bin/init", &f, err, sizeof(err)), 0);
	assert_memory_equal(f.data, big, sizeof(big));
	assert_int_equal(cpio_find(p, len, "manifest", &f, err, sizeof(err)), 0);
	assert_memory_equal(f.data, "proc init bin=bin/init supervisor\n", 34);
	assert_int_equal(cpio_find(p, len, "data/three", &f, err, sizeof(err)), 0);
	assert_memory_equal(f.data, "abc", 3);
	assert_int_equal(cpio_find(p, len, "/empty", &f, err, sizeof(err)), 0);
	assert_int_equal(f.size, 0);

	/* every prefix of a real image is refused or ends cleanly */
	for (size_t cut = 0; cut < len; cut++) {
		unsigned char *c = exact_copy(p, cut);
		unsigned n;
		assert_int_equal(walk(c, cut, &n), cut >= len - 3 ? 0 : -HK_EBADMAN);
		free(c);
	}
	free(p);
	td_remove(&t);
}

static void test_mkinitrd_reproducible(void **state)
{
	(void)state;
	struct tmpdir t;
	char a0[300], a1[300], o1[256], o2[256];
	td_make(&t);
	make_inputs(&t);
	snprintf(o1, sizeof(o1), "%s", td_file(&t, "one.cpio"));
	snprintf(o2, sizeof(o2), "%s", td_file(&t, "two.cpio"));
	snprintf(a0, sizeof(a0), "manifest=%s", td_file(&t, "manifest"));
	snprintf(a1, sizeof(a1), "bin/init=%s", td_file(&t, "init"));
	const char *args1[] = {o1, a0, a1, NULL};
	assert_int_equal(run_mkinitrd(args1), 0);
	/* a different mtime on an input must not change the output */
	struct timespec ts[2] = {{1000, 0}, {1000, 0}};
	assert_int_equal(utimensat(AT_FDCWD, td_file(&t, "init"), ts, 0), 0);
	const char *args2[] = {o2, a0, a1, NULL};
	assert_int_equal(run_mkinitrd(args2), 0);

	size_t l1, l2;
	unsigned char *p1 = read_file(o1, &l1), *p2 = read_file(o2, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(p1, p2, l1);
	free(p1);
	free(p2);
	td_remove(&t);
}

/* Each bad invocation fails and leaves neither OUT nor OUT.tmp. */
static void test_mkinitrd_errors(void **state)
{
	(void)state;
	struct tmpdir t;
	char ok[300], ok2[300], miss[300], longname[400], out[256], tmp[256];
	td_make(&t);
	make_inputs(&t);
	snprintf(out, sizeof(out), "%s", td_file(&t, "out.cpio"));
	snprintf(tmp, sizeof(tmp), "%s", td_file(&t, "out.cpio.tmp"));
	snprintf(ok, sizeof(ok), "a=%s", td_file(&t, "three"));
	snprintf(ok2, sizeof(ok2), "./a=%s", td_file(&t, "empty"));
	snprintf(miss, sizeof(miss), "b=%s", td_file(&t, "no-such-file"));
	const char *dir = t.path;
	char dirarg[300];
	snprintf(dirarg, sizeof(dirarg), "d=%s", dir);

	const char *cases[][5] = {
	    {out, ok, miss, NULL},       /* missing file, after a good one */
	    {out, ok, ok, NULL},         /* duplicate name */
	    {out, ok, ok2, NULL},        /* duplicate once "./" is dropped */
	    {out, "no-equals", NULL},    /* bad argument */
	    {out, ok, "=x", NULL},       /* empty name */
	    {out, "./=x", NULL},         /* empty once "./" is dropped */
	    {out, dirarg, NULL},         /* not a regular file */
	    {out, longname, NULL},       /* 256-byte name */
	    {out, "TRAILER!!!=x", NULL}, /* reserved */
	    {NULL},                      /* no output named */
	};
	memset(longname, 'n', 256);
	snprintf(longname + 256, sizeof(longname) - 256, "=%s", td_file(&t, "three"));

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_not_equal(run_mkinitrd(cases[i]), 0);
		assert_false(exists(out));
		assert_false(exists(tmp));
	}

	/* a 255-byte name is fine */
	longname[255] = '=';
	snprintf(longname + 256, sizeof(longname) - 256, "%s", td_file(&t, "three"));
	const char *fine[] = {out, longname, NULL};
	assert_int_equal(run_mkinitrd(fine), 0);
	assert_true(exists(out));
	assert_false(exists(tmp));

	/* a failed run leaves an existing output as it was */
	size_t l1, l2;
	unsigned char *before = read_file(out, &l1);
	const char *bad[] = {out, ok, miss, NULL};
	assert_int_not_equal(run_mkinitrd(bad), 0);
	unsigned char *after = read_file(out, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(before, after, l1);
	assert_false(exists(tmp));
	free(before);
	free(after);
	td_remove(&t);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_cpio PATH-TO-MKINITRD\n");
		return 2;
	}
	mkinitrd_path = argv[1];
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_walk),
	    cmocka_unit_test(test_find),
	    cmocka_unit_test(test_empty_archive),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_corrupt_header),
	    cmocka_unit_test(test_bad_sizes),
	    cmocka_unit_test(test_missing_trailer),
	    cmocka_unit_test(test_fuzz),
	    cmocka_unit_test(test_mkinitrd_roundtrip),
	    cmocka_unit_test(test_mkinitrd_reproducible),
	    cmocka_unit_test(test_mkinitrd_errors),
	};
	return cmocka_run_group_tests_name("cpio", tests, NULL, NULL);
}
