/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_AARCH64_INTERNAL_H
#define HEKATE_AARCH64_INTERNAL_H
/* Calls between the aarch64 files (not part of arch.h). */
#include <stdint.h>

void aarch64_boot(uint64_t dtb_pa, uint64_t entry_el) __attribute__((noreturn));
void aarch64_console_remap(void);
void aarch64_handle_irq(void);
struct trap_frame;
void trap_entry(struct trap_frame *f, uint64_t kind);

#endif
