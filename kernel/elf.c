// SPDX-License-Identifier: BSD-2-Clause
/*
 * ELF64 executable validator (contract in <hekate/elf.h>).
 *
 * The image is untrusted and may sit at any address, so every header is
 * copied out with memcpy before it is looked at, and every "start + size" is
 * checked for wrap-around before it is compared with a bound. Nothing outside
 * img[0..len) is ever read. Section headers are not looked at: the loader
 * needs only the program headers.
 */
#include <hekate/elf.h>
#include <hekate/errno.h>
#include <hekate/fmt.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Fields are copied in host order: correct because both the kernel's targets and the test hosts
 * are little-endian and only ELFDATA2LSB is accepted. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "elf.c reads LSB fields in host order");

#define EI_CLASS    4
#define EI_DATA     5
#define EI_VERSION  6
#define ELFCLASS64  2
#define ELFDATA2LSB 1
#define EV_CURRENT  1
#define ET_EXEC     2
#define ET_DYN      3

#define PT_LOAD    1
#define PT_DYNAMIC 2
#define PT_INTERP  3
#define PT_TLS     7

#define PF_X 1u
#define PF_W 2u
#define PF_R 4u

#define MAX_PHNUM 64 /* more program headers than any sane static executable has */
#define PG_SIZE   4096ull
#define PG_MASK   (PG_SIZE - 1)

/* ELF64 file header, laid out as in the file (no padding: 16 + 2*2 + 4 + 3*8 + 4 + 6*2 = 64). */
struct ehdr64 {
	unsigned char ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

/* ELF64 program header, laid out as in the file (2*4 + 6*8 = 56). */
struct phdr64 {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

_Static_assert(sizeof(struct ehdr64) == 64, "ELF64 header is 64 bytes");
_Static_assert(sizeof(struct phdr64) == 56, "ELF64 program header is 56 bytes");

/* One parse: the caller's inputs and the plan being built in *out. */
struct ctx {
	const unsigned char *img;
	uint64_t len;
	uint16_t machine;
	uint64_t va_lo, va_hi;
	struct elf_image *out;
	char *err;
	size_t errlen;
	unsigned ntls;      /* PT_TLS headers seen */
	unsigned tls_index; /* its program header index, for messages */
	struct phdr64 tls;  /* checked once all PT_LOADs are known */
};

/* %llx wants unsigned long long; uint64_t may be unsigned long on the host. */
static unsigned long long ull(uint64_t v) { return v; }

static uint64_t page_down(uint64_t a) { return a & ~PG_MASK; }

/* Only for a <= UINT64_MAX - PG_MASK (callers check that first). */
static uint64_t page_up(uint64_t a) { return page_down(a + PG_MASK); }

static int pow2_or_zero(uint64_t v) { return (v & (v - 1)) == 0; }

/* True iff [off, off + size) lies inside the image; cannot overflow. */
static int in_image(const struct ctx *c, uint64_t off, uint64_t size)
{
	return off <= c->len && size <= c->len - off;
}

/* Writes a one-line reason (if the caller gave a buffer) and returns code, so that a check can
 * end with `return refuse(...)`. */
static int refuse(struct ctx *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(struct ctx *c, int code, const char *fmt, ...)
{
	va_list ap;

	if (c->err && c->errlen) {
		va_start(ap, fmt);
		fmt_vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* e_ident: magic, 64-bit, little-endian, version 1 (and e_version 1). */
static int check_ident(struct ctx *c, const struct ehdr64 *eh)
{
	if (memcmp(eh->ident, "\177ELF", 4) != 0)
		return refuse(c, -HK_ENOEXEC, "elf: bad magic (not an ELF file)");
	if (eh->ident[EI_CLASS] != ELFCLASS64)
		return refuse(c, -HK_ENOEXEC, "elf: class %u is not ELFCLASS64",
		              eh->ident[EI_CLASS]);
	if (eh->ident[EI_DATA] != ELFDATA2LSB)
		return refuse(c, -HK_ENOEXEC, "elf: data encoding %u is not ELFDATA2LSB",
		              eh->ident[EI_DATA]);
	if (eh->ident[EI_VERSION] != EV_CURRENT || eh->version != EV_CURRENT)
		return refuse(c, -HK_ENOEXEC, "elf: version %u/%u (EI_VERSION/e_version) is not 1",
		              eh->ident[EI_VERSION], eh->version);
	return 0;
}

/* The file header; on success the program header table is known to lie inside the image. */
static int check_ehdr(struct ctx *c, const struct ehdr64 *eh)
{
	int r = check_ident(c, eh);

	if (r)
		return r;
	if (eh->type == ET_DYN)
		return refuse(c, -HK_ENOEXEC,
		              "elf: ET_DYN (PIE or shared object) refused: "
		              "static ET_EXEC only");
	if (eh->type != ET_EXEC)
		return refuse(c, -HK_ENOEXEC, "elf: e_type %u is not ET_EXEC", eh->type);
	if (eh->machine != c->machine)
		return refuse(c, -HK_ENOEXEC, "elf: e_machine %u, expected %u", eh->machine,
		              c->machine);
	if (eh->ehsize != sizeof(struct ehdr64))
		return refuse(c, -HK_ENOEXEC, "elf: e_ehsize %u, expected 64", eh->ehsize);
	if (eh->phentsize != sizeof(struct phdr64))
		return refuse(c, -HK_ENOEXEC, "elf: e_phentsize %u, expected 56", eh->phentsize);
	if (eh->phnum < 1 || eh->phnum > MAX_PHNUM)
		return refuse(c, -HK_ENOEXEC, "elf: e_phnum %u not in 1..%d", eh->phnum, MAX_PHNUM);
	if (!in_image(c, eh->phoff, (uint64_t)eh->phnum * sizeof(struct phdr64)))
		return refuse(
		    c, -HK_ENOEXEC,
		    "elf: program header table 0x%llx+0x%llx runs past the image (len 0x%llx)",
		    ull(eh->phoff), ull((uint64_t)eh->phnum * sizeof(struct phdr64)), ull(c->len));
	return 0;
}

/* Segment i's pages [vaddr & ~4095, roundup(vaddr + memsz)) must not wrap and must lie inside
 * [va_lo, va_hi). memsz > 0. */
static int check_va(struct ctx *c, unsigned i, uint64_t vaddr, uint64_t memsz)
{
	uint64_t lo, hi;

	if (vaddr > UINT64_MAX - PG_MASK || memsz > UINT64_MAX - PG_MASK - vaddr)
		return refuse(c, -HK_ENOEXEC, "elf: segment %u vaddr 0x%llx + memsz 0x%llx wraps",
		              i, ull(vaddr), ull(memsz));
	lo = page_down(vaddr);
	hi = page_up(vaddr + memsz);
	if (lo < c->va_lo || hi > c->va_hi)
		return refuse(c, -HK_ENOEXEC,
		              "elf: segment %u pages 0x%llx-0x%llx outside the user range "
		              "0x%llx-0x%llx",
		              i, ull(lo), ull(hi), ull(c->va_lo), ull(c->va_hi));
	return 0;
}

/* p_flags to ELF_PROT_*: at least one of R/W/X, never W with X (bits beyond RWX are ignored). */
static int prot_of(struct ctx *c, unsigned i, uint32_t flags, unsigned *prot)
{
	if ((flags & (PF_W | PF_X)) == (PF_W | PF_X))
		return refuse(c, -HK_ENOEXEC, "elf: segment %u is writable and executable (W+X)",
		              i);
	if (!(flags & (PF_R | PF_W | PF_X)))
		return refuse(c, -HK_ENOEXEC, "elf: segment %u has no R/W/X flag", i);
	*prot = (flags & PF_R ? ELF_PROT_R : 0) | (flags & PF_W ? ELF_PROT_W : 0) |
	        (flags & PF_X ? ELF_PROT_X : 0);
	return 0;
}

/* Checks PT_LOAD number i on its own and appends it to the plan. A memsz of 0 loads nothing
 * and is skipped (it neither counts toward ELF_MAX_SEGS nor makes the image loadable). Checks
 * involving other segments (sorting, shared pages, entry) come later. */
static int add_load(struct ctx *c, unsigned i, const struct phdr64 *ph)
{
	struct elf_seg *s;
	unsigned prot;
	int r;

	if (ph->filesz > ph->memsz)
		return refuse(c, -HK_ENOEXEC, "elf: segment %u filesz 0x%llx > memsz 0x%llx", i,
		              ull(ph->filesz), ull(ph->memsz));
	if (ph->memsz == 0)
		return 0;
	if (!in_image(c, ph->offset, ph->filesz))
		return refuse(c, -HK_ENOEXEC,
		              "elf: segment %u file range 0x%llx+0x%llx runs past the image "
		              "(len 0x%llx)",
		              i, ull(ph->offset), ull(ph->filesz), ull(c->len));
	r = check_va(c, i, ph->vaddr, ph->memsz);
	if (r)
		return r;
	if (!pow2_or_zero(ph->align))
		return refuse(c, -HK_ENOEXEC,
		              "elf: segment %u p_align 0x%llx is not a power of two", i,
		              ull(ph->align));
	r = prot_of(c, i, ph->flags, &prot);
	if (r)
		return r;
	if (c->out->nseg == ELF_MAX_SEGS)
		return refuse(c, -HK_ETOOMANY, "elf: more than %d PT_LOAD segments", ELF_MAX_SEGS);
	s = &c->out->seg[c->out->nseg++];
	s->vaddr = ph->vaddr;
	s->memsz = ph->memsz;
	s->offset = ph->offset;
	s->filesz = ph->filesz;
	s->prot = prot;
	return 0;
}

/* Dispatches program header i. Types the loader does not need (PT_NOTE, PT_PHDR, PT_GNU_STACK,
 * PT_GNU_RELRO, PT_GNU_EH_FRAME, ARM attributes, ...) are ignored. */
static int one_phdr(struct ctx *c, unsigned i, const struct phdr64 *ph)
{
	switch (ph->type) {
	case PT_LOAD: return add_load(c, i, ph);
	case PT_INTERP:
		return refuse(
		    c, -HK_ENOEXEC,
		    "elf: segment %u is PT_INTERP (dynamic linker): static executables only", i);
	case PT_DYNAMIC:
		return refuse(c, -HK_ENOEXEC,
		              "elf: segment %u is PT_DYNAMIC: static executables only", i);
	case PT_TLS:
		if (c->ntls++)
			return refuse(c, -HK_ENOEXEC, "elf: segment %u is a second PT_TLS", i);
		c->tls = *ph;
		c->tls_index = i;
		return 0;
	default: return 0;
	}
}

/* Walks the program header table (check_ehdr has put it inside the image). */
static int scan_phdrs(struct ctx *c, const struct ehdr64 *eh)
{
	struct phdr64 ph;
	int r;

	for (unsigned i = 0; i < eh->phnum; i++) {
		memcpy(&ph, c->img + (size_t)eh->phoff + (size_t)i * sizeof(ph), sizeof(ph));
		r = one_phdr(c, i, &ph);
		if (r)
			return r;
	}
	return 0;
}

/* Insertion sort by vaddr: at most ELF_MAX_SEGS entries. */
static void sort_segs(struct elf_image *im)
{
	for (unsigned i = 1; i < im->nseg; i++) {
		struct elf_seg s = im->seg[i];
		unsigned j = i;

		for (; j > 0 && im->seg[j - 1].vaddr > s.vaddr; j--)
			im->seg[j] = im->seg[j - 1];
		im->seg[j] = s;
	}
}

/* Sorted segments must not touch the same 4 KiB page: each page gets one protection, and the
 * loader maps each segment's pages on its own. page_up cannot wrap (check_va). */
static int check_disjoint(struct ctx *c)
{
	const struct elf_seg *s = c->out->seg;

	for (unsigned i = 1; i < c->out->nseg; i++) {
		if (page_down(s[i].vaddr) < page_up(s[i - 1].vaddr + s[i - 1].memsz))
			return refuse(c, -HK_ENOEXEC,
			              "elf: segments at 0x%llx+0x%llx and 0x%llx+0x%llx share a "
			              "4 KiB page",
			              ull(s[i - 1].vaddr), ull(s[i - 1].memsz), ull(s[i].vaddr),
			              ull(s[i].memsz));
	}
	return 0;
}

/* e_entry must be a byte of an executable segment. */
static int check_entry(struct ctx *c, uint64_t entry)
{
	for (unsigned i = 0; i < c->out->nseg; i++) {
		const struct elf_seg *s = &c->out->seg[i];

		if ((s->prot & ELF_PROT_X) && entry >= s->vaddr && entry - s->vaddr < s->memsz) {
			c->out->entry = entry;
			return 0;
		}
	}
	return refuse(c, -HK_ENOEXEC, "elf: entry 0x%llx is not inside an executable segment",
	              ull(entry));
}

/* True iff [va, va + size) lies inside one PT_LOAD segment's [vaddr, vaddr + memsz). */
static int in_load(const struct elf_image *im, uint64_t va, uint64_t size)
{
	for (unsigned i = 0; i < im->nseg; i++) {
		const struct elf_seg *s = &im->seg[i];

		if (va >= s->vaddr && va - s->vaddr <= s->memsz &&
		    size <= s->memsz - (va - s->vaddr))
			return 1;
	}
	return 0;
}

/* The PT_TLS template [vaddr, vaddr + filesz) is copied from the loaded segments, so it must lie
 * inside one of them (an empty template, .tbss only, copies nothing and may sit anywhere);
 * memsz sizes each thread's block, so it must not wrap nor exceed the user range. Run after the
 * PT_LOADs are collected (so va_lo < va_hi). */
static int check_tls(struct ctx *c, const struct phdr64 *t)
{
	unsigned i = c->tls_index;

	if (t->filesz > t->memsz)
		return refuse(c, -HK_ENOEXEC,
		              "elf: PT_TLS (segment %u) filesz 0x%llx > memsz 0x%llx", i,
		              ull(t->filesz), ull(t->memsz));
	if (!in_image(c, t->offset, t->filesz))
		return refuse(
		    c, -HK_ENOEXEC,
		    "elf: PT_TLS (segment %u) file range 0x%llx+0x%llx runs past the image "
		    "(len 0x%llx)",
		    i, ull(t->offset), ull(t->filesz), ull(c->len));
	if (!pow2_or_zero(t->align) || t->align > PG_SIZE)
		return refuse(c, -HK_ENOEXEC,
		              "elf: PT_TLS (segment %u) align 0x%llx is not a power of two <= 4096",
		              i, ull(t->align));
	if (t->memsz > UINT64_MAX - t->vaddr || t->memsz > c->va_hi - c->va_lo)
		return refuse(c, -HK_ENOEXEC, "elf: PT_TLS (segment %u) memsz 0x%llx is too large",
		              i, ull(t->memsz));
	if (t->filesz && !in_load(c->out, t->vaddr, t->filesz))
		return refuse(
		    c, -HK_ENOEXEC,
		    "elf: PT_TLS (segment %u) template 0x%llx+0x%llx is not inside a PT_LOAD "
		    "segment",
		    i, ull(t->vaddr), ull(t->filesz));
	if (t->memsz) {
		c->out->tls_vaddr = t->vaddr;
		c->out->tls_filesz = t->filesz;
		c->out->tls_memsz = t->memsz;
		c->out->tls_align = t->align ? t->align : 1;
	}
	return 0;
}

static int parse(struct ctx *c)
{
	struct ehdr64 eh;
	int r;

	if (c->len < sizeof(eh))
		return refuse(c, -HK_ENOEXEC,
		              "elf: image too short for the ELF header (len %llu, need 64)",
		              ull(c->len));
	memcpy(&eh, c->img, sizeof(eh));
	r = check_ehdr(c, &eh);
	if (!r)
		r = scan_phdrs(c, &eh);
	if (r)
		return r;
	if (c->out->nseg == 0)
		return refuse(c, -HK_ENOEXEC, "elf: no PT_LOAD segment with memsz > 0");
	sort_segs(c->out);
	r = check_disjoint(c);
	if (!r)
		r = check_entry(c, eh.entry);
	if (!r && c->ntls)
		r = check_tls(c, &c->tls);
	return r;
}

int elf_parse(const void *img, size_t len, uint16_t machine, uint64_t va_lo, uint64_t va_hi,
              struct elf_image *out, char *err, size_t errlen)
{
	struct ctx c = {
	    .img = img,
	    .len = len,
	    .machine = machine,
	    .va_lo = va_lo,
	    .va_hi = va_hi,
	    .out = out,
	    .err = err,
	    .errlen = errlen,
	};
	int r;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	r = parse(&c);
	if (r)
		memset(out, 0, sizeof(*out)); /* no half-built plan escapes */
	return r;
}
