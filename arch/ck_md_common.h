/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Concurrency Kit machine description shared by Hekate's targets; each
 * arch/<arch>/include/ck_md.h (the file CK's configure would generate) sets
 * its own knobs and includes this.
 */
#ifndef HEKATE_CK_MD_COMMON_H
#define HEKATE_CK_MD_COMMON_H

#define CK_MD_CACHELINE (64)
#define CK_MD_PAGESIZE  (4096)
#define CK_MD_RMO       /* both targets are weakly ordered */
#define CK_MD_RTM_DISABLE
#define CK_MD_POINTER_PACK_DISABLE
#define CK_MD_SSE_DISABLE
#define CK_MD_PPC32_LWSYNC_DISABLE
#define CK_MD_VMA_BITS_UNKNOWN
#define CK_VERSION "0.7.1"
#define CK_GIT_SHA ""

#endif
