/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_ELF_H
#define HEKATE_ELF_H

/*
 * ELF64 executable validator (kernel/elf.c, host-testable: no hardware, no
 * allocation). It reads an untrusted image and either refuses it with a
 * one-line reason or returns a load plan whose every number has been checked
 * against the image bounds and the allowed user address range, so the loader
 * can copy and map without further checks.
 */
#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGS 8 /* PT_LOAD segments a user program may have */

#define EM_AARCH64 183
#define EM_RISCV   243

/* Segment protections (p_flags mapped to these) */
#define ELF_PROT_R 4
#define ELF_PROT_W 2
#define ELF_PROT_X 1

struct elf_seg {
	uint64_t vaddr;  /* first byte (not necessarily page aligned) */
	uint64_t memsz;  /* > 0 */
	uint64_t offset; /* file offset of the first byte */
	uint64_t filesz; /* <= memsz; bytes past filesz are zero */
	unsigned prot;   /* ELF_PROT_*; never W and X together */
};

struct elf_image {
	uint64_t entry;
	unsigned nseg; /* PT_LOAD segments, sorted by vaddr */
	struct elf_seg seg[ELF_MAX_SEGS];
	/*
	 * PT_TLS template if present (all zero when absent or tls_memsz is 0).
	 * [tls_vaddr, tls_vaddr + tls_filesz) lies inside one PT_LOAD segment
	 * (any tls_vaddr when tls_filesz is 0); tls_filesz <= tls_memsz;
	 * tls_align is a power of two in 1..4096 (a p_align of 0 reads as 1).
	 */
	uint64_t tls_vaddr, tls_filesz, tls_memsz, tls_align;
};

/*
 * Validate img[0..len) as a static ELF64 little-endian ET_EXEC for
 * `machine` whose loadable segments lie inside [va_lo, va_hi) (page aligned
 * bounds). Returns 0 and fills *out, or -HK_ENOEXEC (-HK_ETOOMANY for more
 * than ELF_MAX_SEGS loads) with a reason in err[errlen]. Never reads outside
 * img[0..len); img need not be aligned.
 */
int elf_parse(const void *img, size_t len, uint16_t machine, uint64_t va_lo, uint64_t va_hi,
              struct elf_image *out, char *err, size_t errlen);

#endif
