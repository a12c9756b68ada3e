/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Concurrency Kit machine description for the host build (unit tests of
 * kan/ under ASan/UBSan), in place of the file CK's configure generates.
 */
#ifndef CK_MD_H
#define CK_MD_H
#define CK_MD_CACHELINE (64)
#define CK_MD_PAGESIZE  (4096)
#if defined(__x86_64__)
#define CK_MD_TSO
#else
#define CK_MD_RMO
#define CK_MD_LSE_DISABLE
#endif
#define CK_MD_RTM_DISABLE
#define CK_MD_POINTER_PACK_DISABLE
#define CK_MD_SSE_DISABLE
#define CK_MD_PPC32_LWSYNC_DISABLE
#define CK_MD_VMA_BITS_UNKNOWN
#define CK_VERSION "0.7.1"
#define CK_GIT_SHA ""
#endif
