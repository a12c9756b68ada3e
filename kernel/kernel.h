/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_KERNEL_H
#define HEKATE_KERNEL_H

/* State kmain builds at boot, shared with the self-tests. Boot CPU only. */
#include <arch.h>
#include <hekate/bootinfo.h>
#include <hekate/pmm.h>

#define HEKATE_VERSION "0.1.0"
#define MIN_RAM_MB     64u
#define TICK_HZ        100u
#define MAX_RESERVED   8

struct reserved {
	const char *what;
	struct pmm_region r;
};

struct kstate {
	const struct arch_boot_args *args;
	struct bootinfo bi;
	uint64_t dtb_pa, dtb_size;
	struct pmm pmm;
	struct reserved resv[MAX_RESERVED];
	unsigned nresv;
};

/* Ticks of CPU 0 since the timer started (updated from its tick IRQ). */
uint64_t kernel_ticks(void);
void kernel_tick_count(void);

/* Print the one-screen boot summary (kernel/summary.c). */
void summary_print(const struct kstate *ks);

/* Run the self-test named by hekate.test=NAME; returns an hk_exit status. */
int selftest_run(const char *name, struct kstate *ks);

#endif
