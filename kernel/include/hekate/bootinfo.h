/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_BOOTINFO_H
#define HEKATE_BOOTINFO_H

/*
 * Boot information extracted from the flattened device tree.
 *
 * This is a plain data contract between the DTB parser (kernel/bootinfo.c,
 * host-testable) and its users (kernel/, arch/). Every table has a fixed
 * capacity; a DTB with more entries than a table holds is rejected with
 * HK_ETOOMANY rather than silently truncated.
 */
#include <stddef.h>
#include <stdint.h>

#define BI_MAX_MEM        16
#define BI_MAX_CPUS       256
#define BI_MAX_REDIST     8
#define BI_MAX_VIRTIO     64
#define BI_MAX_STR        256
#define BI_PL031_MIN_SIZE 0x20 /* its registers DR..ICR */

struct bi_range {
	uint64_t base;
	uint64_t size;
};

/* An interrupt as the GIC binding encodes it: SPI n is INTID 32+n, PPI n is 16+n. */
struct bi_irq {
	uint32_t intid; /* 0 = absent */
	uint32_t flags; /* binding's trigger flags */
};

/* Trigger flags (low 4 bits): 1 edge rising, 2 edge falling, 4 level high, 8 level low. */
static inline int bi_irq_is_edge(uint32_t flags) { return (flags & 3u) != 0; }

struct bi_cpu {
	uint64_t hwid; /* reg: MPIDR affinity (aarch64) or hart id */
	char enable_method[16];
};

struct bi_virtio {
	uint64_t base;
	uint64_t size;
	struct bi_irq irq;
	uint32_t device_id; /* filled by the kernel from the MMIO register; 0 = empty slot */
};

struct bootinfo {
	char model[64];
	struct bi_range mem[BI_MAX_MEM];
	unsigned nmem;

	struct bi_cpu cpus[BI_MAX_CPUS];
	unsigned ncpus;

	/* interrupt controller */
	char intc_compat[32];
	struct bi_range gicd;
	struct bi_range gicr[BI_MAX_REDIST];
	unsigned ngicr;

	/* architected timer: PPIs in the order of the arm,armv8-timer binding */
	struct bi_irq timer_sec_phys, timer_phys, timer_virt, timer_hyp;
	uint32_t timer_freq; /* clock-frequency if the DTB gives one, else 0 */

	/* console UART */
	char uart_compat[32];
	char uart_path[64];
	struct bi_range uart;
	int uart_from_stdout_path; /* 1 if /chosen stdout-path named it */

	/* PSCI */
	char psci_method[8]; /* "hvc", "smc" or "" when absent */
	char psci_compat[32];

	/* /chosen */
	char bootargs[BI_MAX_STR];
	uint64_t initrd_start, initrd_end; /* both 0 when absent */

	struct bi_virtio virtio[BI_MAX_VIRTIO];
	unsigned nvirtio;

	/* PL031 real-time clock ("arm,pl031"): rtc.base 0 when the DTB has none */
	struct bi_range rtc;
	struct bi_irq rtc_irq;
};

/*
 * Parse the DTB at fdt. maxlen bounds how many bytes may be read (the blob's
 * own totalsize must fit in it). On failure returns -HK_EBADDTB or
 * -HK_ETOOMANY and writes a one-line reason into err[errlen]; *bi is then
 * unspecified. Never reads outside [fdt, fdt+maxlen).
 */
int bootinfo_parse(const void *fdt, size_t maxlen, struct bootinfo *bi, char *err, size_t errlen);

/* Total bytes of RAM over all memory ranges. */
uint64_t bootinfo_ram_bytes(const struct bootinfo *bi);

/* Look up "key=value" in bootargs; copies value (NUL-terminated) and returns 1 if found. */
int bootinfo_arg(const struct bootinfo *bi, const char *key, char *val, size_t vallen);

/* Name of a virtio device ID ("net", "block", ...), "empty" for 0, "unknown" otherwise. */
const char *bootinfo_virtio_name(uint32_t device_id);

#endif
