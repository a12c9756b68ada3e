/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Concurrency Kit machine description shared by Hekate's targets and the
 * host build; each arch/<arch>/include/ck_md.h (the file CK's configure
 * would generate) and tools/cmake/host-ck/ck_md.h set their own knobs,
 * including the memory model, and include this.
 */
#ifndef HEKATE_CK_MD_COMMON_H
#define HEKATE_CK_MD_COMMON_H

#define CK_MD_CACHELINE (64)
#define CK_MD_PAGESIZE  (4096)
#define CK_MD_RTM_DISABLE
#define CK_MD_POINTER_PACK_DISABLE
#define CK_MD_SSE_DISABLE
#define CK_MD_PPC32_LWSYNC_DISABLE
#define CK_MD_VMA_BITS_UNKNOWN
#define CK_VERSION "0.7.1"
#define CK_GIT_SHA ""

#endif
