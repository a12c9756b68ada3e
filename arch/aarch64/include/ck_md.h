/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Concurrency Kit on aarch64. LSE atomics stay disabled: CK 0.7.1's
 * ck_pr_lse.h does not build, and LL/SC works on every ARMv8 core.
 */
#ifndef CK_MD_H
#define CK_MD_H
#include <ck_md_common.h>
#define CK_MD_RMO /* weakly ordered */
#define CK_MD_LSE_DISABLE
#define CK_PR_ENABLE_DOUBLE
#endif
