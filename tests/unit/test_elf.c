// SPDX-License-Identifier: BSD-2-Clause
/*
 * ELF64 validator on the host: plans of valid images, one refusal per rule (with its reason),
 * overflow cases, every truncation, unaligned input, 20000 mutations, and the real user programs
 * of the aarch64 build (directory in argv[1]).
 *
 * Images are built from the host's <elf.h> types, an independent check of the validator's own
 * struct layouts, and parsed from heap copies of exactly their length so that ASan catches any
 * read past the end.
 */
#include <dirent.h>
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include <hekate/elf.h>
#include <hekate/errno.h>

#define VA_LO  0x10000ull
#define VA_HI  0x8000000000ull
#define MAX_PH 70
#define PG     4096ull

/* Directory of real user programs (argv[1]), or NULL to skip that test. */
static const char *user_dir;

/* An image under construction: header, program headers (written at e_phoff), payload pattern. */
struct elfb {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[MAX_PH];
	unsigned n; /* program headers written (e_phnum may be set to lie) */
	size_t len;
};

/* Program header indices of the default image: deliberately not in vaddr order. */
enum { P_DATA, P_NOTE, P_TEXT, P_TLS, P_RODATA, P_STACK, P_COUNT };

static Elf64_Phdr phdr(uint32_t type, uint32_t flags, uint64_t off, uint64_t va, uint64_t filesz,
                       uint64_t memsz, uint64_t align)
{
	Elf64_Phdr p = {type, flags, off, va, va, filesz, memsz, align};
	return p;
}

/* A valid static aarch64 executable: text r-x, rodata r--, data+bss rw- with a TLS template,
 * plus a note and a GNU stack header that the validator must ignore. */
static void elfb_default(struct elfb *b)
{
	memset(b, 0, sizeof(*b));
	memcpy(b->eh.e_ident, ELFMAG, SELFMAG);
	b->eh.e_ident[EI_CLASS] = ELFCLASS64;
	b->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	b->eh.e_ident[EI_VERSION] = EV_CURRENT;
	b->eh.e_type = ET_EXEC;
	b->eh.e_machine = EM_AARCH64;
	b->eh.e_version = EV_CURRENT;
	b->eh.e_entry = 0x10010;
	b->eh.e_phoff = sizeof(Elf64_Ehdr);
	b->eh.e_ehsize = sizeof(Elf64_Ehdr);
	b->eh.e_phentsize = sizeof(Elf64_Phdr);
	b->ph[P_DATA] = phdr(PT_LOAD, PF_R | PF_W, 0x2000, 0x20000, 0x100, 0x3000, 0x1000);
	b->ph[P_NOTE] = phdr(PT_NOTE, PF_R, 0x1c00, 0x11c00, 0x20, 0x20, 4);
	b->ph[P_TEXT] = phdr(PT_LOAD, PF_R | PF_X, 0x1000, 0x10000, 0x800, 0x800, 0x1000);
	b->ph[P_TLS] = phdr(PT_TLS, PF_R, 0x2000, 0x20000, 0x10, 0x40, 0x10);
	b->ph[P_RODATA] = phdr(PT_LOAD, PF_R, 0x1800, 0x11800, 0x400, 0x400, 0x1000);
	b->ph[P_STACK] = phdr(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 0x10);
	b->n = P_COUNT;
	b->eh.e_phnum = P_COUNT;
	b->len = 0x2100; /* ends exactly with the data segment's file bytes */
}

/* Appends a program header (and counts it in e_phnum). */
static void elfb_add(struct elfb *b, Elf64_Phdr p)
{
	assert_true(b->n < MAX_PH);
	b->ph[b->n++] = p;
	b->eh.e_phnum = (uint16_t)b->n;
}

/* A heap copy of exactly b->len bytes (caller frees); headers are cut where they do not fit. */
static unsigned char *elfb_emit(const struct elfb *b)
{
	unsigned char *img = malloc(b->len ? b->len : 1);
	size_t phbytes = b->n * sizeof(Elf64_Phdr);

	assert_non_null(img);
	for (size_t i = 0; i < b->len; i++)
		img[i] = (unsigned char)(i * 7 + 3);
	memcpy(img, &b->eh, b->len < sizeof(b->eh) ? b->len : sizeof(b->eh));
	if (b->eh.e_phoff < b->len && phbytes <= b->len - b->eh.e_phoff)
		memcpy(img + b->eh.e_phoff, b->ph, phbytes);
	return img;
}

static int parse_b(const struct elfb *b, struct elf_image *im, char *err, size_t errlen)
{
	unsigned char *img = elfb_emit(b);
	int r = elf_parse(img, b->len, EM_AARCH64, VA_LO, VA_HI, im, err, errlen);
	free(img);
	return r;
}

/* The image must be refused with `code` and a reason containing `want`; the plan is zeroed. */
static void expect_refused(const struct elfb *b, int code, const char *want)
{
	static const struct elf_image zero;
	struct elf_image im;
	char err[200];
	int r = parse_b(b, &im, err, sizeof(err));

	if (r != code || !strstr(err, want))
		fail_msg("got %d \"%s\", want %d with \"%s\"", r, err, code, want);
	assert_int_equal(strncmp(err, "elf: ", 5), 0);
	assert_null(strchr(err, '\n'));
	assert_memory_equal(&im, &zero, sizeof(im));
}

static void expect_ok(const struct elfb *b, struct elf_image *im)
{
	char err[200];
	int r = parse_b(b, im, err, sizeof(err));

	if (r != 0)
		fail_msg("refused (%d): %s", r, err);
	assert_string_equal(err, "");
}

static uint64_t page_down(uint64_t a) { return a & ~(PG - 1); }
static uint64_t page_up(uint64_t a) { return page_down(a + PG - 1); }

/* Everything the loader relies on, for any plan elf_parse accepted. */
static void check_plan(const struct elf_image *im, uint64_t len, uint64_t lo, uint64_t hi)
{
	int entry_ok = 0, tls_ok = 0;

	assert_in_range(im->nseg, 1, ELF_MAX_SEGS);
	for (unsigned i = 0; i < im->nseg; i++) {
		const struct elf_seg *s = &im->seg[i];

		assert_true(s->memsz > 0);
		assert_true(s->filesz <= s->memsz);
		assert_true(s->offset <= len && s->filesz <= len - s->offset);
		assert_true(page_down(s->vaddr) >= lo);
		assert_true(s->vaddr < hi && s->memsz <= hi - s->vaddr &&
		            page_up(s->vaddr + s->memsz) <= hi);
		assert_true(s->prot != 0 && (s->prot & ~7u) == 0);
		assert_false((s->prot & ELF_PROT_W) && (s->prot & ELF_PROT_X));
		if (i > 0) /* sorted, and no page shared with the previous segment */
			assert_true(page_down(s->vaddr) >= page_up(s[-1].vaddr + s[-1].memsz));
		if ((s->prot & ELF_PROT_X) && im->entry >= s->vaddr &&
		    im->entry - s->vaddr < s->memsz)
			entry_ok = 1;
		if (im->tls_filesz == 0 ||
		    (im->tls_vaddr >= s->vaddr && im->tls_vaddr - s->vaddr <= s->memsz &&
		     im->tls_filesz <= s->memsz - (im->tls_vaddr - s->vaddr)))
			tls_ok = 1;
	}
	assert_true(entry_ok);
	if (im->tls_memsz) {
		assert_true(tls_ok);
		assert_true(im->tls_filesz <= im->tls_memsz);
		assert_true(im->tls_align >= 1 && im->tls_align <= PG);
		assert_int_equal(im->tls_align & (im->tls_align - 1), 0);
	} else {
		assert_int_equal(im->tls_vaddr | im->tls_filesz | im->tls_align, 0);
	}
}

static void test_valid_plan(void **state)
{
	(void)state;
	struct elfb b;
	struct elf_image im;

	elfb_default(&b);
	expect_ok(&b, &im);
	assert_int_equal(im.entry, 0x10010);
	assert_int_equal(im.nseg, 3);
	assert_int_equal(im.seg[0].vaddr, 0x10000);
	assert_int_equal(im.seg[0].offset, 0x1000);
	assert_int_equal(im.seg[0].filesz, 0x800);
	assert_int_equal(im.seg[0].memsz, 0x800);
	assert_int_equal(im.seg[0].prot, ELF_PROT_R | ELF_PROT_X);
	assert_int_equal(im.seg[1].vaddr, 0x11800);
	assert_int_equal(im.seg[1].offset, 0x1800);
	assert_int_equal(im.seg[1].prot, ELF_PROT_R);
	assert_int_equal(im.seg[2].vaddr, 0x20000);
	assert_int_equal(im.seg[2].offset, 0x2000);
	assert_int_equal(im.seg[2].filesz, 0x100);
	assert_int_equal(im.seg[2].memsz, 0x3000);
	assert_int_equal(im.seg[2].prot, ELF_PROT_R | ELF_PROT_W);
	assert_int_equal(im.tls_vaddr, 0x20000);
	assert_int_equal(im.tls_filesz, 0x10);
	assert_int_equal(im.tls_memsz, 0x40);
	assert_int_equal(im.tls_align, 0x10);
	check_plan(&im, b.len, VA_LO, VA_HI);
}

/* No TLS; a memsz 0 PT_LOAD is skipped even with flags and align that would be refused; other
 * types, X-only, (vaddr - offset) not page congruent, p_align 0/1/64K, a bss-only segment and a
 * segment ending exactly at va_hi are all accepted. */
static void test_valid_variants(void **state)
{
	(void)state;
	struct elfb b;
	struct elf_image im;

	elfb_default(&b);
	b.n = 1;
	b.eh.e_phnum = 1;
	b.ph[0] = phdr(PT_LOAD, PF_X, 0x1234, 0x10010, 0x100, 0x100, 0);
	elfb_add(&b, phdr(PT_LOAD, PF_W | PF_X, 0x10, 0x10000, 0, 0, 3));
	elfb_add(&b, phdr(PT_PHDR, PF_R, 64, 0x10040, 56, 56, 8));
	elfb_add(&b, phdr(PT_GNU_RELRO, PF_R, 0, 0, 0, 0, 1));
	elfb_add(&b, phdr(PT_GNU_EH_FRAME, PF_R, 0, 0x10, 8, 8, 4));
	elfb_add(&b, phdr(PT_LOPROC + 3 /* processor-specific */, 0, 0, 0, 0, 0, 1));
	elfb_add(&b, phdr(PT_NULL, 0, 0, 0, 0, 0, 0));
	elfb_add(&b, phdr(PT_LOAD, PF_R, 0x2000, VA_HI - 0x100, 0x100, 0x100, 1));
	elfb_add(&b, phdr(PT_LOAD, PF_R | PF_W, 0x2000, 0x400000, 0, 0x10000, 0x10000));
	expect_ok(&b, &im);
	assert_int_equal(im.nseg, 3);
	assert_int_equal(im.seg[0].vaddr, 0x10010);
	assert_int_equal(im.seg[0].offset, 0x1234);
	assert_int_equal(im.seg[0].prot, ELF_PROT_X);
	assert_int_equal(im.seg[1].vaddr, 0x400000);
	assert_int_equal(im.seg[1].filesz, 0);
	assert_int_equal(im.seg[2].vaddr, VA_HI - 0x100);
	assert_int_equal(im.tls_memsz, 0);
	check_plan(&im, b.len, VA_LO, VA_HI);

	/* EM_RISCV image for an EM_RISCV caller; 64 program headers is the limit. */
	elfb_default(&b);
	b.eh.e_machine = EM_RISCV;
	while (b.n < 64)
		elfb_add(&b, phdr(PT_NOTE, PF_R, 0, 0, 0, 0, 0));
	unsigned char *img = elfb_emit(&b);
	char err[200];
	assert_int_equal(elf_parse(img, b.len, EM_RISCV, VA_LO, VA_HI, &im, err, sizeof(err)), 0);
	assert_int_equal(im.nseg, 3);
	free(img);
}

static void test_too_short(void **state)
{
	(void)state;
	struct elfb b;
	struct elf_image im;
	char err[100];

	elfb_default(&b);
	b.len = 63;
	expect_refused(&b, -HK_ENOEXEC, "too short");
	assert_int_equal(elf_parse(NULL, 0, EM_AARCH64, VA_LO, VA_HI, &im, err, sizeof(err)),
	                 -HK_ENOEXEC);
	assert_non_null(strstr(err, "len 0,"));
}

static void test_ident(void **state)
{
	(void)state;
	struct elfb b;

	for (int i = 0; i < 4; i++) {
		elfb_default(&b);
		b.eh.e_ident[i] ^= 0x20;
		expect_refused(&b, -HK_ENOEXEC, "bad magic");
	}
	elfb_default(&b);
	b.eh.e_ident[EI_CLASS] = ELFCLASS32;
	expect_refused(&b, -HK_ENOEXEC, "class 1 is not ELFCLASS64");
	elfb_default(&b);
	b.eh.e_ident[EI_DATA] = ELFDATA2MSB;
	expect_refused(&b, -HK_ENOEXEC, "data encoding 2 is not ELFDATA2LSB");
	elfb_default(&b);
	b.eh.e_ident[EI_VERSION] = 2;
	expect_refused(&b, -HK_ENOEXEC, "version 2/1");
	elfb_default(&b);
	b.eh.e_version = 0;
	expect_refused(&b, -HK_ENOEXEC, "version 1/0");
}

static void test_type(void **state)
{
	(void)state;
	struct elfb b;

	elfb_default(&b);
	b.eh.e_type = ET_DYN;
	expect_refused(&b, -HK_ENOEXEC, "ET_DYN");
	elfb_default(&b);
	b.eh.e_type = ET_REL;
	expect_refused(&b, -HK_ENOEXEC, "e_type 1 is not ET_EXEC");
	elfb_default(&b);
	b.eh.e_type = ET_CORE;
	expect_refused(&b, -HK_ENOEXEC, "e_type 4 is not ET_EXEC");
}

static void test_wrong_machine(void **state)
{
	(void)state;
	struct elfb b;

	elfb_default(&b);
	b.eh.e_machine = EM_RISCV;
	expect_refused(&b, -HK_ENOEXEC, "e_machine 243, expected 183");
	elfb_default(&b);
	b.eh.e_machine = EM_X86_64;
	expect_refused(&b, -HK_ENOEXEC, "e_machine 62, expected 183");
}

static void test_header_sizes(void **state)
{
	(void)state;
	struct elfb b;

	elfb_default(&b);
	b.eh.e_ehsize = 52;
	expect_refused(&b, -HK_ENOEXEC, "e_ehsize 52");
	elfb_default(&b);
	b.eh.e_ehsize = 0xffff;
	expect_refused(&b, -HK_ENOEXEC, "e_ehsize 65535");
	elfb_default(&b);
	b.eh.e_phentsize = 32;
	expect_refused(&b, -HK_ENOEXEC, "e_phentsize 32");
	elfb_default(&b);
	b.eh.e_phentsize = 64;
	expect_refused(&b, -HK_ENOEXEC, "e_phentsize 64");
}

static void test_phnum(void **state)
{
	(void)state;
	struct elfb b;

	elfb_default(&b);
	b.eh.e_phnum = 0;
	expect_refused(&b, -HK_ENOEXEC, "e_phnum 0 not in 1..64");
	elfb_default(&b);
	while (b.n < 65)
		elfb_add(&b, phdr(PT_NOTE, PF_R, 0, 0, 0, 0, 0));
	expect_refused(&b, -HK_ENOEXEC, "e_phnum 65");
	elfb_default(&b);
	b.eh.e_phnum = 0xffff; /* PN_XNUM: the real count would be in a section header */
	expect_refused(&b, -HK_ENOEXEC, "e_phnum 65535");
}

static void test_phdr_table_outside(void **state)
{
	(void)state;
	struct elfb b;

	elfb_default(&b);
	b.eh.e_phoff = b.len; /* starts at the end */
	expect_refused(&b, -HK_ENOEXEC, "program header table 0x2100+0x150 runs past the image");
	elfb_default(&b);
	b.eh.e_phoff = b.len - 56 * P_COUNT + 1; /* last byte one past the end */
	expect_refused(&b, -HK_ENOEXEC, "program header table");
	elfb_default(&b);
	b.eh.e_phoff = UINT64_MAX - 100; /* phoff + phnum * 56 wraps to a small number */
	expect_refused(&b, -HK_ENOEXEC, "runs past the image (len 0x2100)");
	elfb_default(&b);
	b.eh.e_phoff = UINT64_MAX - 56 * P_COUNT + 1; /* wraps to exactly 0 */
	expect_refused(&b, -HK_ENOEXEC, "program header table");
}

static void test_interp_dynamic(void **state)
{
	(void)state;
	struct elfb b;

	elfb_default(&b);
	elfb_add(&b, phdr(PT_INTERP, PF_R, 0x1c00, 0x11c00, 0x10, 0x10, 1));
	expect_refused(&b, -HK_ENOEXEC, "segment 6 is PT_INTERP");
	elfb_default(&b);
	b.ph[P_NOTE] = phdr(PT_DYNAMIC, PF_R | PF_W, 0x2000, 0x20000, 0x80, 0x80, 8);
	expect_refused(&b, -HK_ENOEXEC, "segment 1 is PT_DYNAMIC");
}

static void test_filesz_gt_memsz(void **state)
{
	(void)state;
	struct elfb b;

	elfb_default(&b);
	b.ph[P_TEXT].p_filesz = 0x801;
	expect_refused(&b, -HK_ENOEXEC, "segment 2 filesz 0x801 > memsz 0x800");
	elfb_default(&b); /* memsz 0 is only skipped when filesz is 0 too */
	elfb_add(&b, phdr(PT_LOAD, PF_R, 0x1000, 0x50000, 0x10, 0, 1));
	expect_refused(&b, -HK_ENOEXEC, "segment 6 filesz 0x10 > memsz 0x0");
}

static void test_file_range(void **state)
{
	(void)state;
	struct elfb b;

	elfb_default(&b);
	b.ph[P_DATA].p_filesz = 0x101;
	expect_refused(&b, -HK_ENOEXEC,
	               "elf: segment 0 file range 0x2000+0x101 runs past the image (len 0x2100)");
	elfb_default(&b);
	b.ph[P_TEXT].p_offset = UINT64_MAX - 0x7ff; /* offset + filesz wraps to 1 */
	expect_refused(&b, -HK_ENOEXEC, "segment 2 file range 0xfffffffffffff800+0x800 runs past");
	elfb_default(&b);
	b.ph[P_TEXT].p_offset = UINT64_MAX;
	b.ph[P_TEXT].p_filesz = 0;
	expect_refused(&b, -HK_ENOEXEC, "segment 2 file range 0xffffffffffffffff+0x0 runs past");
	elfb_default(&b);
	b.ph[P_TEXT].p_offset = 0x2101; /* empty file part, but the offset is still outside */
	b.ph[P_TEXT].p_filesz = 0;
	expect_refused(&b, -HK_ENOEXEC, "segment 2 file range");
}

static void test_vaddr_wrap(void **state)
{
	(void)state;
	struct elfb b;

	elfb_default(&b);
	b.ph[P_TEXT].p_vaddr = UINT64_MAX - 0x10; /* vaddr + memsz wraps */
	expect_refused(&b, -HK_ENOEXEC, "segment 2 vaddr 0xffffffffffffffef + memsz 0x800 wraps");
	elfb_default(&b);
	b.ph[P_DATA].p_memsz = UINT64_MAX;
	expect_refused(&b, -HK_ENOEXEC, "segment 0 vaddr 0x20000 + memsz 0xffffffffffffffff wraps");
	elfb_default(&b); /* end does not wrap, but rounding it up to a page would */
	b.ph[P_TEXT].p_vaddr = UINT64_MAX - 0x1000;
	b.ph[P_TEXT].p_memsz = 0xf80;
	b.ph[P_TEXT].p_filesz = 0x80;
	expect_refused(&b, -HK_ENOEXEC, "segment 2 vaddr 0xffffffffffffefff + memsz 0xf80 wraps");
}

static void test_va_range(void **state)
{
	(void)state;
	struct elfb b;

	elfb_default(&b);
	b.ph[P_TEXT].p_vaddr = VA_LO - 1;
	b.eh.e_entry = VA_LO;
	expect_refused(
	    &b, -HK_ENOEXEC,
	    "segment 2 pages 0xf000-0x11000 outside the user range 0x10000-0x8000000000");
	elfb_default(&b);
	b.ph[P_TEXT].p_vaddr = 0;
	expect_refused(&b, -HK_ENOEXEC, "segment 2 pages 0x0-0x1000 outside");
	elfb_default(&b); /* the last byte is va_hi itself */
	b.ph[P_DATA].p_vaddr = VA_HI - 0x2fff;
	expect_refused(&b, -HK_ENOEXEC, "segment 0 pages 0x7fffffd000-0x8000001000 outside");
	elfb_default(&b);
	b.ph[P_DATA].p_vaddr = VA_HI;
	expect_refused(&b, -HK_ENOEXEC, "segment 0 pages 0x8000000000-0x8000003000 outside");
	elfb_default(&b);
	b.ph[P_DATA].p_vaddr = 0xffffffff00000000ull;
	expect_refused(&b, -HK_ENOEXEC, "outside the user range");
}

static void test_align(void **state)
{
	(void)state;
	struct elfb b;
	struct elf_image im;

	elfb_default(&b);
	b.ph[P_RODATA].p_align = 3;
	expect_refused(&b, -HK_ENOEXEC, "segment 4 p_align 0x3 is not a power of two");
	elfb_default(&b);
	b.ph[P_RODATA].p_align = 0x3000;
	expect_refused(&b, -HK_ENOEXEC, "p_align 0x3000");
	elfb_default(&b);
	b.ph[P_RODATA].p_align = 1ull << 63;
	expect_ok(&b, &im);
}

static void test_flags(void **state)
{
	(void)state;
	struct elfb b;
	struct elf_image im;

	elfb_default(&b);
	b.ph[P_TEXT].p_flags = PF_R | PF_W | PF_X;
	expect_refused(&b, -HK_ENOEXEC, "segment 2 is writable and executable (W+X)");
	elfb_default(&b);
	b.ph[P_DATA].p_flags = PF_W | PF_X;
	expect_refused(&b, -HK_ENOEXEC, "segment 0 is writable and executable");
	elfb_default(&b);
	b.ph[P_RODATA].p_flags = 0;
	expect_refused(&b, -HK_ENOEXEC, "segment 4 has no R/W/X flag");
	elfb_default(&b);
	b.ph[P_RODATA].p_flags = PF_MASKOS; /* only bits the validator does not know */
	expect_refused(&b, -HK_ENOEXEC, "segment 4 has no R/W/X flag");
	elfb_default(&b);
	b.ph[P_RODATA].p_flags = PF_R | PF_MASKPROC; /* unknown bits beside R are ignored */
	expect_ok(&b, &im);
	assert_int_equal(im.seg[1].prot, ELF_PROT_R);
	elfb_default(&b);
	b.ph[P_RODATA].p_flags = PF_W;
	expect_ok(&b, &im);
	assert_int_equal(im.seg[1].prot, ELF_PROT_W);
}

static void test_same_page(void **state)
{
	(void)state;
	struct elfb b;
	struct elf_image im;

	elfb_default(&b); /* rodata starts on the page where text ends */
	b.ph[P_RODATA].p_vaddr = 0x10900;
	expect_refused(&b, -HK_ENOEXEC,
	               "segments at 0x10000+0x800 and 0x10900+0x400 share a 4 KiB page");
	elfb_default(&b); /* same vaddr */
	b.ph[P_RODATA].p_vaddr = 0x10000;
	expect_refused(&b, -HK_ENOEXEC, "share a 4 KiB page");
	elfb_default(&b); /* listed before rodata, above it in memory: reported in sorted order */
	b.ph[P_NOTE] = phdr(PT_LOAD, PF_R, 0x1000, 0x11f00, 0x10, 0x200, 0x1000);
	expect_refused(&b, -HK_ENOEXEC, "segments at 0x11800+0x400 and 0x11f00+0x200 share");
	elfb_default(&b); /* data's bss reaches into the next page used by a later segment */
	elfb_add(&b, phdr(PT_LOAD, PF_R, 0x1000, 0x23000, 0x10, 0x10, 1));
	b.ph[P_DATA].p_memsz = 0x3001;
	expect_refused(&b, -HK_ENOEXEC, "segments at 0x20000+0x3001 and 0x23000+0x10 share");
	elfb_default(&b); /* adjacent pages are fine */
	b.ph[P_RODATA].p_vaddr = 0x11000;
	expect_ok(&b, &im);
}

static void test_too_many_segments(void **state)
{
	(void)state;
	struct elfb b;
	struct elf_image im;

	elfb_default(&b);
	for (unsigned i = 0; i < ELF_MAX_SEGS - 3; i++)
		elfb_add(&b, phdr(PT_LOAD, PF_R, 0x1000, 0x100000 + i * PG, 0x10, 0x10, 1));
	expect_ok(&b, &im);
	assert_int_equal(im.nseg, ELF_MAX_SEGS);
	for (unsigned i = 1; i < im.nseg; i++)
		assert_true(im.seg[i - 1].vaddr < im.seg[i].vaddr);
	elfb_add(&b, phdr(PT_LOAD, PF_R, 0x1000, 0x200000, 0x10, 0x10, 1));
	expect_refused(&b, -HK_ETOOMANY, "more than 8 PT_LOAD segments");
}

static void test_no_load(void **state)
{
	(void)state;
	struct elfb b;

	elfb_default(&b);
	b.ph[P_TEXT].p_type = PT_NOTE;
	b.ph[P_RODATA].p_type = PT_NOTE;
	b.ph[P_DATA].p_type = PT_NOTE;
	b.ph[P_TLS].p_type = PT_NOTE;
	expect_refused(&b, -HK_ENOEXEC, "no PT_LOAD segment");
	elfb_default(&b);
	b.ph[P_TEXT].p_memsz = b.ph[P_TEXT].p_filesz = 0;
	b.ph[P_RODATA].p_memsz = b.ph[P_RODATA].p_filesz = 0;
	b.ph[P_DATA].p_memsz = b.ph[P_DATA].p_filesz = 0;
	b.ph[P_TLS].p_type = PT_NOTE;
	expect_refused(&b, -HK_ENOEXEC, "no PT_LOAD segment with memsz > 0");
}

static void test_entry(void **state)
{
	(void)state;
	struct elfb b;
	struct elf_image im;

	elfb_default(&b);
	b.eh.e_entry = 0x20010; /* data: readable but not executable */
	expect_refused(&b, -HK_ENOEXEC, "entry 0x20010 is not inside an executable segment");
	elfb_default(&b);
	b.eh.e_entry = 0x10800; /* one past the end of text */
	expect_refused(&b, -HK_ENOEXEC, "entry 0x10800");
	elfb_default(&b);
	b.eh.e_entry = 0xffff; /* one before text */
	expect_refused(&b, -HK_ENOEXEC, "entry 0xffff");
	elfb_default(&b);
	b.eh.e_entry = 0;
	expect_refused(&b, -HK_ENOEXEC, "entry 0x0");
	elfb_default(&b);
	b.eh.e_entry = 0x107ff; /* last byte of text */
	expect_ok(&b, &im);
	assert_int_equal(im.entry, 0x107ff);
}

static void test_tls(void **state)
{
	(void)state;
	struct elfb b;
	struct elf_image im;

	elfb_default(&b);
	b.ph[P_TLS].p_filesz = 0x41;
	expect_refused(&b, -HK_ENOEXEC, "PT_TLS (segment 3) filesz 0x41 > memsz 0x40");
	elfb_default(&b);
	b.ph[P_TLS].p_offset = 0x20f8;
	expect_refused(&b, -HK_ENOEXEC, "PT_TLS (segment 3) file range 0x20f8+0x10 runs past");
	elfb_default(&b);
	b.ph[P_TLS].p_offset = UINT64_MAX - 1;
	expect_refused(&b, -HK_ENOEXEC, "PT_TLS (segment 3) file range 0xfffffffffffffffe+0x10");
	elfb_default(&b);
	b.ph[P_TLS].p_align = 24;
	expect_refused(&b, -HK_ENOEXEC, "PT_TLS (segment 3) align 0x18 is not a power of two");
	elfb_default(&b);
	b.ph[P_TLS].p_align = 8192;
	expect_refused(&b, -HK_ENOEXEC, "align 0x2000");
	elfb_default(&b); /* template straddles the end of data */
	b.ph[P_TLS].p_vaddr = 0x22ff8;
	expect_refused(&b, -HK_ENOEXEC, "template 0x22ff8+0x10 is not inside a PT_LOAD segment");
	elfb_default(&b); /* template in a hole between segments */
	b.ph[P_TLS].p_vaddr = 0x18000;
	expect_refused(&b, -HK_ENOEXEC, "template 0x18000+0x10");
	elfb_default(&b);
	b.ph[P_TLS].p_vaddr = UINT64_MAX - 0x20; /* vaddr + memsz wraps */
	expect_refused(&b, -HK_ENOEXEC, "PT_TLS (segment 3) memsz 0x40 is too large");
	elfb_default(&b);
	b.ph[P_TLS].p_memsz = VA_HI;
	expect_refused(&b, -HK_ENOEXEC, "too large");
	elfb_default(&b);
	elfb_add(&b, b.ph[P_TLS]);
	expect_refused(&b, -HK_ENOEXEC, "segment 6 is a second PT_TLS");

	elfb_default(&b); /* .tbss only: nothing to copy, align 0 reported as 1 */
	b.ph[P_TLS].p_filesz = 0;
	b.ph[P_TLS].p_vaddr = 0x30000;
	b.ph[P_TLS].p_align = 0;
	expect_ok(&b, &im);
	assert_int_equal(im.tls_vaddr, 0x30000);
	assert_int_equal(im.tls_filesz, 0);
	assert_int_equal(im.tls_memsz, 0x40);
	assert_int_equal(im.tls_align, 1);
	elfb_default(&b); /* template ending exactly at the end of text, max align */
	b.ph[P_TLS].p_vaddr = 0x107f0;
	b.ph[P_TLS].p_align = 4096;
	expect_ok(&b, &im);
	assert_int_equal(im.tls_vaddr, 0x107f0);
	assert_int_equal(im.tls_align, 4096);
}

/* Every proper prefix of a valid image is refused (the last segment's file bytes end the image),
 * from heap buffers of exactly that length. */
static void test_truncated_every_length(void **state)
{
	(void)state;
	struct elfb b;
	struct elf_image im;
	char err[200];
	unsigned char *full;

	elfb_default(&b);
	full = elfb_emit(&b);
	for (size_t len = 0; len < b.len; len++) {
		unsigned char *img = malloc(len ? len : 1);
		memcpy(img, full, len);
		err[0] = '\0';
		if (elf_parse(img, len, EM_AARCH64, VA_LO, VA_HI, &im, err, sizeof(err)) !=
		    -HK_ENOEXEC)
			fail_msg("truncated to %zu bytes: not refused", len);
		assert_true(err[0] != '\0');
		free(img);
	}
	assert_int_equal(elf_parse(full, b.len, EM_AARCH64, VA_LO, VA_HI, &im, err, sizeof(err)),
	                 0);
	free(full);
}

/* Headers are read with memcpy: an image at an odd address parses the same (UBSan would flag a
 * misaligned load). */
static void test_unaligned(void **state)
{
	(void)state;
	struct elfb b;
	struct elf_image im, ref;
	char err[200];
	unsigned char *img, *buf;

	elfb_default(&b);
	expect_ok(&b, &ref);
	img = elfb_emit(&b);
	for (size_t shift = 1; shift < 8; shift++) {
		buf = malloc(b.len + shift);
		memcpy(buf + shift, img, b.len);
		assert_int_equal(
		    elf_parse(buf + shift, b.len, EM_AARCH64, VA_LO, VA_HI, &im, err, sizeof(err)),
		    0);
		assert_memory_equal(&im, &ref, sizeof(im));
		free(buf);
	}
	free(img);
}

/* A NULL or tiny err buffer is fine: the reason is cut, never overflowed. */
static void test_err_buffer(void **state)
{
	(void)state;
	struct elfb b;
	struct elf_image im;
	char err[8];

	elfb_default(&b);
	b.eh.e_machine = EM_RISCV;
	assert_int_equal(parse_b(&b, &im, NULL, 0), -HK_ENOEXEC);
	assert_int_equal(parse_b(&b, &im, err, 0), -HK_ENOEXEC);
	assert_int_equal(parse_b(&b, &im, err, sizeof(err)), -HK_ENOEXEC);
	assert_string_equal(err, "elf: e_");
}

static uint64_t xorshift64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Values that sit on the edges the checks guard. */
static const uint64_t edge[] = {0,
                                1,
                                0xfff,
                                0x1000,
                                0x2100,
                                0x10000,
                                VA_HI,
                                VA_HI - 1,
                                1ull << 63,
                                UINT64_MAX,
                                UINT64_MAX - 0xfff,
                                UINT64_MAX - 55};

/* One mutation of the header/program headers: random bytes, a bit flip, or an edge value. */
static void mutate(unsigned char *img, size_t span, uint64_t *seed)
{
	unsigned n = 1 + xorshift64(seed) % 4;

	for (unsigned k = 0; k < n; k++) {
		uint64_t r = xorshift64(seed);
		size_t at = (size_t)(r >> 8) % span;

		switch (r % 4) {
		case 0: img[at] = (unsigned char)(r >> 40); break;
		case 1: img[at] ^= (unsigned char)(1u << ((r >> 32) % 8)); break;
		default:
			at &= ~(size_t)7;
			if (at + 8 <= span)
				memcpy(img + at,
				       &edge[(r >> 32) % (sizeof(edge) / sizeof(edge[0]))], 8);
		}
	}
}

static void test_fuzz(void **state)
{
	(void)state;
	struct elfb b;
	struct elf_image im;
	char err[200];
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned ok = 0, refused = 0;
	unsigned char *ref, *img;

	elfb_default(&b);
	ref = elfb_emit(&b);
	size_t span = sizeof(Elf64_Ehdr) + P_COUNT * sizeof(Elf64_Phdr);
	for (int i = 0; i < 20000; i++) {
		img = malloc(b.len);
		memcpy(img, ref, b.len);
		mutate(img, span, &seed);
		int r = elf_parse(img, b.len, EM_AARCH64, VA_LO, VA_HI, &im, err, sizeof(err));
		if (r == 0) {
			check_plan(&im, b.len, VA_LO, VA_HI);
			ok++;
		} else {
			assert_true(r == -HK_ENOEXEC || r == -HK_ETOOMANY);
			assert_int_equal(strncmp(err, "elf: ", 5), 0);
			refused++;
		}
		free(img);
	}
	print_message("fuzz: %u accepted, %u refused\n", ok, refused);
	assert_true(ok > 1000 && refused > 1000); /* both paths really exercised */
	free(ref);
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Reads a whole file into a malloc'd buffer of exactly its size. */
static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void check_real_binary(const char *path)
{
	struct elf_image im;
	char err[200];
	size_t len;
	unsigned char *img = read_file(path, &len);
	int r = elf_parse(img, len, EM_AARCH64, 0x10000, 0x8000000000, &im, err, sizeof(err));
	int has_x = 0;

	if (r != 0)
		fail_msg("%s refused (%d): %s", path, r, err);
	check_plan(&im, len, 0x10000, 0x8000000000);
	for (unsigned i = 0; i < im.nseg; i++)
		has_x |= !!(im.seg[i].prot & ELF_PROT_X);
	assert_true(has_x);
	print_message("%s: %u segments, entry 0x%llx, tls %llu bytes\n", path, im.nseg,
	              (unsigned long long)im.entry, (unsigned long long)im.tls_memsz);
	free(img);
}

/* Every *.elf the cross build produced must be accepted; an empty directory is a failure. */
static void test_real_binaries(void **state)
{
	(void)state;
	char path[4096];
	unsigned n = 0;
	DIR *d;
	struct dirent *e;

	if (!user_dir)
		skip();
	d = opendir(user_dir);
	if (!d)
		fail_msg("cannot open the user program directory %s", user_dir);
	while ((e = readdir(d)) != NULL) {
		if (!has_suffix(e->d_name, ".elf"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", user_dir, e->d_name);
		check_real_binary(path);
		n++;
	}
	closedir(d);
	if (n == 0)
		fail_msg("no *.elf file in %s: the user programs were not built", user_dir);
}

int main(int argc, char **argv)
{
	if (argc > 2) {
		fprintf(stderr, "usage: test_elf [USER_ELF_DIR]\n");
		return 2;
	}
	user_dir = argc == 2 ? argv[1] : NULL;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_plan),
	    cmocka_unit_test(test_valid_variants),
	    cmocka_unit_test(test_too_short),
	    cmocka_unit_test(test_ident),
	    cmocka_unit_test(test_type),
	    cmocka_unit_test(test_wrong_machine),
	    cmocka_unit_test(test_header_sizes),
	    cmocka_unit_test(test_phnum),
	    cmocka_unit_test(test_phdr_table_outside),
	    cmocka_unit_test(test_interp_dynamic),
	    cmocka_unit_test(test_filesz_gt_memsz),
	    cmocka_unit_test(test_file_range),
	    cmocka_unit_test(test_vaddr_wrap),
	    cmocka_unit_test(test_va_range),
	    cmocka_unit_test(test_align),
	    cmocka_unit_test(test_flags),
	    cmocka_unit_test(test_same_page),
	    cmocka_unit_test(test_too_many_segments),
	    cmocka_unit_test(test_no_load),
	    cmocka_unit_test(test_entry),
	    cmocka_unit_test(test_tls),
	    cmocka_unit_test(test_truncated_every_length),
	    cmocka_unit_test(test_unaligned),
	    cmocka_unit_test(test_err_buffer),
	    cmocka_unit_test(test_fuzz),
	    cmocka_unit_test(test_real_binaries),
	};
	return cmocka_run_group_tests_name("elf", tests, NULL, NULL);
}
