/* SPDX-License-Identifier: BSD-2-Clause */
/* The kernel has no allocator or process exit: this header exists because libfdt includes it. */
#ifndef HEKATE_KLIB_STDLIB_H
#define HEKATE_KLIB_STDLIB_H
#include <stddef.h>
#endif
