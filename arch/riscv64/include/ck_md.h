/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hekate's machine description for Concurrency Kit on riscv64. CK has no
 * riscv64 port: its generic gcc/ck_pr.h (compiler builtins, full fences) is
 * used, which has no double-width CAS, hence CK_PR_DISABLE_DOUBLE.
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
#define CK_PR_DISABLE_DOUBLE
#define CK_VERSION "0.7.1"
#define CK_GIT_SHA ""

#endif
