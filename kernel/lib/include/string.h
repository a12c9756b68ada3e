/* SPDX-License-Identifier: BSD-2-Clause */
/* The kernel's string.h: the few functions it and libfdt use (kernel/lib/string.c). */
#ifndef HEKATE_KLIB_STRING_H
#define HEKATE_KLIB_STRING_H
#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);

/*
 * Copies and fills of a size known at compile time (structs, ring entries,
 * addresses) become plain loads and stores; other sizes still call the
 * functions above. -ffreestanding stops the compiler doing this by itself.
 * kernel/lib/string.c #undefs these to define the functions.
 */
#define memcpy(d, s, n) __builtin_memcpy(d, s, n)
#define memset(d, c, n) __builtin_memset(d, c, n)

#endif
