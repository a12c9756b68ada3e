/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Concurrency Kit on riscv64. CK has no riscv64 port: its generic
 * gcc/ck_pr.h (compiler builtins, full fences) is used, which has no
 * double-width CAS.
 */
#ifndef CK_MD_H
#define CK_MD_H
#include <ck_md_common.h>
#define CK_MD_RMO /* weakly ordered */
#define CK_MD_LSE_DISABLE
#define CK_PR_DISABLE_DOUBLE
#endif
