/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hekate's machine description for Concurrency Kit on aarch64 (replaces the
 * ck_md.h that CK's configure would generate). Weakly ordered (RMO), 64-byte
 * lines, 4 KiB pages. LSE atomics stay disabled: CK 0.7.1's ck_pr_lse.h does
 * not build, and LL/SC works on every ARMv8 core.
 */
#ifndef CK_MD_H
#define CK_MD_H

#define CK_MD_CACHELINE (64)
#define CK_MD_PAGESIZE  (4096)
#define CK_MD_RTM_DISABLE
#define CK_MD_LSE_DISABLE
#define CK_MD_POINTER_PACK_DISABLE
#define CK_MD_SSE_DISABLE
#define CK_MD_PPC32_LWSYNC_DISABLE
#define CK_MD_VMA_BITS_UNKNOWN
#define CK_MD_RMO
#define CK_PR_ENABLE_DOUBLE
#define CK_VERSION "0.7.1"
#define CK_GIT_SHA ""

#endif
