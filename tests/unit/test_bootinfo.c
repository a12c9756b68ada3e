// SPDX-License-Identifier: BSD-2-Clause
/*
 * Boot-info parser on the host:
 *  - against every DTB QEMU produced in DTB_DIR (gen-dtbs.sh); the file name
 *    says what must be found (m<MiB>-smp<N>-<psci>[-initrd<BYTES>][-args]);
 *  - against corrupt, truncated and semantically broken variants, which must
 *    be rejected with an error and never read outside the blob (ASan).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include <hekate/bootinfo.h>
#include <hekate/errno.h>
#include <libfdt.h>

static const char *dtb_dir;
static char ref_path[1024]; /* one QEMU DTB used as the base for broken variants */
static struct bootinfo bi;  /* large: keep it off the stack */
static char err[256];

/* Read a file into an exactly-sized heap buffer (so ASan sees any overrun). */
static void *load(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	void *buf = malloc(*len);
	assert_int_equal(fread(buf, 1, *len, f), *len);
	fclose(f);
	return buf;
}

/* The reference DTB, packed and opened into `room` extra bytes for editing. */
static void *load_ref(size_t room, size_t *len)
{
	size_t n;
	void *raw = load(ref_path, &n);
	void *fdt = malloc(n + room);
	assert_int_equal(fdt_open_into(raw, fdt, (int)(n + room)), 0);
	free(raw);
	*len = n + room;
	return fdt;
}

struct expect {
	unsigned mem_mb, smp;
	char psci[4];
	unsigned initrd;
	int args;
};

static void expect_from_name(const char *name, struct expect *e)
{
	memset(e, 0, sizeof(*e));
	assert_int_equal(sscanf(name, "m%u-smp%u-%3s", &e->mem_mb, &e->smp, e->psci), 3);
	const char *ini = strstr(name, "-initrd");
	if (ini)
		e->initrd = (unsigned)strtoul(ini + 7, NULL, 10);
	e->args = strstr(name, "-args") != NULL;
}

static void check_qemu_dtb(const char *name, const struct bootinfo *b)
{
	struct expect e;
	expect_from_name(name, &e);
	assert_int_equal(b->nmem, 1);
	assert_int_equal(b->mem[0].base, 0x40000000);
	assert_int_equal(b->mem[0].size, (uint64_t)e.mem_mb << 20);
	assert_int_equal(b->ncpus, e.smp);
	for (unsigned i = 0; i < b->ncpus; i++) {
		assert_int_equal(b->cpus[i].hwid, i); /* QEMU virt: Aff0 = index below 16 */
		/* QEMU names PSCI as enable-method only when there are secondaries to start */
		assert_string_equal(b->cpus[i].enable_method, e.smp > 1 ? "psci" : "");
	}
	assert_string_equal(b->intc_compat, "arm,gic-v3");
	assert_int_equal(b->gicd.base, 0x08000000);
	assert_true(b->ngicr >= 1);
	assert_int_equal(b->gicr[0].base, 0x080a0000);
	assert_int_equal(b->timer_virt.intid, 27);
	assert_int_equal(b->timer_phys.intid, 30);
	assert_int_equal(b->uart.base, 0x09000000);
	assert_true(b->uart_from_stdout_path);
	assert_string_equal(b->psci_method, e.psci);
	assert_int_equal(b->nvirtio, 32);
	for (unsigned i = 0; i < 32; i++) {
		assert_int_equal(b->virtio[i].base, 0x0a000000 + 0x200ull * i);
		assert_int_equal(b->virtio[i].irq.intid, 48 + i);
		assert_int_equal(b->virtio[i].device_id, 0);
	}
	/* the PL031 RTC, a grantable device: SPI 2, level-high */
	assert_int_equal(b->rtc.base, 0x09010000);
	assert_int_equal(b->rtc.size, 0x1000);
	assert_int_equal(b->rtc_irq.intid, 34);
	assert_int_equal(b->rtc_irq.flags, 4);
	assert_int_equal(b->initrd_end - b->initrd_start, e.initrd);
	if (e.initrd)
		assert_true(b->initrd_start >= 0x40000000);
	char v[32];
	assert_int_equal(bootinfo_arg(b, "hekate.test", v, sizeof(v)), e.args);
	if (e.args) {
		assert_string_equal(v, "boot");
		assert_true(bootinfo_arg(b, "console", v, sizeof(v)));
		assert_string_equal(v, "pl011");
	}
	assert_int_equal(bootinfo_ram_bytes(b), (uint64_t)e.mem_mb << 20);
}

static void test_qemu_dtbs(void **state)
{
	(void)state;
	DIR *d = opendir(dtb_dir);
	assert_non_null(d);
	int seen = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t nl = strlen(de->d_name);
		if (nl < 5 || strcmp(de->d_name + nl - 4, ".dtb"))
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dtb_dir, de->d_name);
		size_t len;
		void *fdt = load(path, &len);
		int rc = bootinfo_parse(fdt, len, &bi, err, sizeof(err));
		if (rc)
			fail_msg("%s: %s", de->d_name, err);
		check_qemu_dtb(de->d_name, &bi);
		free(fdt);
		seen++;
	}
	closedir(d);
	assert_true(seen >= 5);
}

static void expect_reject(const void *fdt, size_t len, int code, const char *needle)
{
	int rc = bootinfo_parse(fdt, len, &bi, err, sizeof(err));
	if (rc != -code)
		fail_msg("expected -%d (%s), got %d: \"%s\"", code, needle, rc, err);
	if (!strstr(err, needle))
		fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
}

static void test_missing_and_truncated(void **state)
{
	(void)state;
	size_t len;
	char *fdt = load_ref(0, &len);
	expect_reject(NULL, 0, HK_EBADDTB, "missing");
	expect_reject(fdt, 16, HK_EBADDTB, "missing");
	expect_reject(fdt, fdt_totalsize(fdt) - 1, HK_EBADDTB, "exceeds");
	/* a copy really cut short: totalsize claims more than exists */
	size_t cut = fdt_off_dt_strings(fdt) / 2;
	char *shortbuf = malloc(cut);
	memcpy(shortbuf, fdt, cut);
	expect_reject(shortbuf, cut, HK_EBADDTB, "exceeds");
	free(shortbuf);
	free(fdt);
}

static void test_corrupt_header(void **state)
{
	(void)state;
	size_t len;
	char *fdt = load_ref(0, &len);
	struct fdt_header *h = (struct fdt_header *)fdt;
	struct fdt_header saved = *h;
	h->magic = cpu_to_fdt32(0xd00dfeee);
	expect_reject(fdt, len, HK_EBADDTB, "bad header");
	*h = saved;
	h->version = cpu_to_fdt32(1);
	expect_reject(fdt, len, HK_EBADDTB, "bad header");
	*h = saved;
	h->off_dt_struct = cpu_to_fdt32((uint32_t)len + 64);
	expect_reject(fdt, len, HK_EBADDTB, "bad header");
	*h = saved;
	h->size_dt_struct = cpu_to_fdt32(0x7ffffff0);
	expect_reject(fdt, len, HK_EBADDTB, "bad header");
	*h = saved;
	h->totalsize = cpu_to_fdt32(0xffffffff);
	expect_reject(fdt, len, HK_EBADDTB, "");
	free(fdt);
}

static void test_corrupt_structure(void **state)
{
	(void)state;
	size_t len;
	char *fdt = load_ref(0, &len);
	/* overwrite the first property tag after the root node with garbage */
	int off = fdt_first_property_offset(fdt, 0);
	assert_true(off > 0);
	fdt32_t *tag = (fdt32_t *)(fdt + fdt_off_dt_struct(fdt) + off);
	*tag = cpu_to_fdt32(0x12345678);
	expect_reject(fdt, len, HK_EBADDTB, "corrupt structure");
	free(fdt);
}

/* Mutate bytes all over a real DTB: every parse must end in 0 or an error, never a crash. */
static void test_mutations_never_crash(void **state)
{
	(void)state;
	size_t len;
	char *orig = load_ref(0, &len);
	fdt_pack(orig);
	len = fdt_totalsize(orig);
	char *fdt = malloc(len);
	srand(777);
	int rejected = 0;
	for (int i = 0; i < 3000; i++) {
		memcpy(fdt, orig, len);
		size_t pos = i < 256 ? (size_t)i / 4 * 4 : (size_t)rand() % len;
		uint32_t v = i < 256 ? 0xffffffffu >> (i % 4 * 8) : (uint32_t)rand();
		memcpy(fdt + (pos & ~(size_t)3), &v, pos + 4 <= len ? 4 : 1);
		int rc = bootinfo_parse(fdt, len, &bi, err, sizeof(err));
		assert_true(rc == 0 || rc == -HK_EBADDTB || rc == -HK_ETOOMANY);
		rejected += rc != 0;
	}
	assert_true(rejected > 0);
	free(fdt);
	free(orig);
}

static int node_by_compat(void *fdt, const char *c)
{
	int n = fdt_node_offset_by_compatible(fdt, -1, c);
	assert_true(n >= 0);
	return n;
}

static void set_cells(void *fdt, int node, const char *prop, const uint32_t *v, int n)
{
	fdt32_t cells[17 * 4];
	assert_true(n <= (int)(sizeof(cells) / sizeof(cells[0])));
	for (int i = 0; i < n; i++)
		cells[i] = cpu_to_fdt32(v[i]);
	assert_int_equal(fdt_setprop(fdt, node, prop, cells, n * 4), 0);
}

static int memory_node(void *fdt)
{
	return fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory", 7);
}

/* Each edit breaks one thing in an otherwise valid DTB. */
static void no_memory(void *fdt) { assert_int_equal(fdt_del_node(fdt, memory_node(fdt)), 0); }
static void short_memory_reg(void *fdt)
{
	set_cells(fdt, memory_node(fdt), "reg", (uint32_t[]){0, 0x40000000, 0}, 3);
}
static void seventeen_memory_ranges(void *fdt)
{
	uint32_t v[17 * 4];
	for (uint32_t i = 0; i < 17; i++) {
		v[4 * i] = 0, v[4 * i + 1] = 0x40000000u + i * 0x1000000;
		v[4 * i + 2] = 0, v[4 * i + 3] = 0x1000000;
	}
	set_cells(fdt, memory_node(fdt), "reg", v, 68);
}
static void no_gic(void *fdt)
{
	assert_int_equal(fdt_del_node(fdt, node_by_compat(fdt, "arm,gic-v3")), 0);
}
static void no_uart(void *fdt)
{
	assert_int_equal(fdt_del_node(fdt, node_by_compat(fdt, "arm,pl011")), 0);
}
static void tiny_uart(void *fdt)
{
	set_cells(fdt, node_by_compat(fdt, "arm,pl011"), "reg",
	          (uint32_t[]){0, 0x09000000, 0, 0x10}, 4);
}
static void bad_timer_irq_type(void *fdt)
{
	set_cells(fdt, node_by_compat(fdt, "arm,armv8-timer"), "interrupts", (uint32_t[]){7, 13, 4},
	          3);
}
static void no_cpus(void *fdt)
{
	assert_int_equal(fdt_del_node(fdt, fdt_path_offset(fdt, "/cpus")), 0);
}
static void bad_psci_method(void *fdt)
{
	assert_int_equal(
	    fdt_setprop_string(fdt, node_by_compat(fdt, "arm,psci-1.0"), "method", "svc"), 0);
}
static void three_address_cells(void *fdt)
{
	set_cells(fdt, 0, "#address-cells", (uint32_t[]){3}, 1);
}
static void long_bootargs(void *fdt)
{
	char big[300];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(fdt_setprop_string(fdt, fdt_path_offset(fdt, "/chosen"), "bootargs", big),
	                 0);
}
static void initrd_start_only(void *fdt)
{
	set_cells(fdt, fdt_path_offset(fdt, "/chosen"), "linux,initrd-start",
	          (uint32_t[]){0x48000000}, 1);
}
static void tiny_virtio_slot(void *fdt)
{
	set_cells(fdt, node_by_compat(fdt, "virtio,mmio"), "reg",
	          (uint32_t[]){0, 0x0a003e00, 0, 0x10}, 4);
}

static void tiny_rtc(void *fdt)
{
	set_cells(fdt, node_by_compat(fdt, "arm,pl031"), "reg",
	          (uint32_t[]){0, 0x09010000, 0, 0x10}, 4);
}
static void bad_rtc_irq(void *fdt)
{
	set_cells(fdt, node_by_compat(fdt, "arm,pl031"), "interrupts", (uint32_t[]){0, 5000, 4}, 3);
}

static const struct broken {
	const char *name;
	void (*edit)(void *fdt);
	int code;
	const char *needle; /* the error message must name the problem */
} broken[] = {
    {"no memory node", no_memory, HK_EBADDTB, "no memory"},
    {"memory reg not whole cells", short_memory_reg, HK_EBADDTB, "not a multiple"},
    {"17 memory ranges", seventeen_memory_ranges, HK_ETOOMANY, "at most 16"},
    {"no GIC", no_gic, HK_EBADDTB, "interrupt controller"},
    {"no UART", no_uart, HK_EBADDTB, "pl011"},
    {"UART reg too small", tiny_uart, HK_EBADDTB, "smaller than a PL011"},
    {"timer interrupt type 7", bad_timer_irq_type, HK_EBADDTB, "interrupt 0"},
    {"no /cpus", no_cpus, HK_EBADDTB, "/cpus"},
    {"PSCI method svc", bad_psci_method, HK_EBADDTB, "PSCI"},
    {"#address-cells 3", three_address_cells, HK_EBADDTB, "#address-cells"},
    {"300-byte bootargs", long_bootargs, HK_ETOOMANY, "bootargs"},
    {"initrd start without end", initrd_start_only, HK_EBADDTB, "initrd"},
    {"virtio slot too small", tiny_virtio_slot, HK_EBADDTB, "virtio-mmio"},
    {"RTC reg too small", tiny_rtc, HK_EBADDTB, "pl031"},
    {"RTC interrupt number 5000", bad_rtc_irq, HK_EBADDTB, "interrupt 0"},
};

static void test_semantic_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		size_t len;
		char *fdt = load_ref(4096, &len);
		broken[i].edit(fdt);
		print_message("broken DTB: %s\n", broken[i].name);
		expect_reject(fdt, len, broken[i].code, broken[i].needle);
		free(fdt);
	}
}

/* The RTC is optional: a DTB without one parses, with rtc.base 0 and no interrupt. */
static void test_rtc_optional(void **state)
{
	(void)state;
	size_t len;
	char *fdt = load_ref(4096, &len);
	assert_int_equal(fdt_del_node(fdt, node_by_compat(fdt, "arm,pl031")), 0);
	int rc = bootinfo_parse(fdt, len, &bi, err, sizeof(err));
	if (rc)
		fail_msg("without a pl031: %s", err);
	assert_int_equal(bi.rtc.base, 0);
	assert_int_equal(bi.rtc_irq.intid, 0);
	free(fdt);
}

static void test_bootargs_lookup(void **state)
{
	(void)state;
	struct bootinfo b;
	char v[8];
	memset(&b, 0, sizeof(b));
	strcpy(b.bootargs, "  hekate.testx=1 hekate.test=tick   empty= long=abcdefghijkl");
	assert_true(bootinfo_arg(&b, "hekate.test", v, sizeof(v)));
	assert_string_equal(v, "tick");
	assert_true(bootinfo_arg(&b, "empty", v, sizeof(v)));
	assert_string_equal(v, "");
	assert_true(bootinfo_arg(&b, "long", v, sizeof(v)));
	assert_string_equal(v, "abcdefg"); /* cut to the buffer, NUL-terminated */
	assert_false(bootinfo_arg(&b, "hekate", v, sizeof(v)));
	assert_false(bootinfo_arg(&b, "missing", v, sizeof(v)));
	assert_string_equal(bootinfo_virtio_name(1), "net");
	assert_string_equal(bootinfo_virtio_name(0), "empty");
	assert_string_equal(bootinfo_virtio_name(999), "unknown");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_bootinfo DTB_DIR\n");
		return 2;
	}
	dtb_dir = argv[1];
	snprintf(ref_path, sizeof(ref_path), "%s/m512-smp4-hvc.dtb", dtb_dir);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_qemu_dtbs),
	    cmocka_unit_test(test_missing_and_truncated),
	    cmocka_unit_test(test_corrupt_header),
	    cmocka_unit_test(test_corrupt_structure),
	    cmocka_unit_test(test_mutations_never_crash),
	    cmocka_unit_test(test_semantic_errors),
	    cmocka_unit_test(test_rtc_optional),
	    cmocka_unit_test(test_bootargs_lookup),
	};
	return cmocka_run_group_tests_name("bootinfo", tests, NULL, NULL);
}
