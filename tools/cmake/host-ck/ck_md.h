/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Concurrency Kit machine description for the host build (unit tests of
 * kan/ under ASan/UBSan), in place of the file CK's configure generates.
 */
#ifndef CK_MD_H
#define CK_MD_H
#include <ck_md_common.h>
#if defined(__x86_64__)
#define CK_MD_TSO
#else
#define CK_MD_RMO
#define CK_MD_LSE_DISABLE
#endif
#endif
