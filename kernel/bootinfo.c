// SPDX-License-Identifier: BSD-2-Clause
/*
 * DTB -> struct bootinfo, with libfdt.
 *
 * The blob is untrusted input: every property length is checked before it is
 * read, and fdt_* calls never run before fdt_check_header() and the totalsize
 * bound have passed. This file has no hardware access so it is unit-tested on
 * the host against DTBs that QEMU produced, and against corrupt ones.
 */
#include <hekate/bootinfo.h>
#include <hekate/errno.h>
#include <hekate/fmt.h>
#include <libfdt.h>
#include <string.h>

struct parse {
	const void *fdt;
	struct bootinfo *bi;
	char *err;
	size_t errlen;
};

#define FAIL(p, code, ...) (fmt_snprintf((p)->err, (p)->errlen, __VA_ARGS__), -(code))

static void copy_str(char *dst, size_t n, const char *src, int srclen)
{
	size_t len = 0;
	while (len + 1 < n && (int)len < srclen && src[len])
		len++;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static uint64_t read_cells(const fdt32_t *p, int cells)
{
	uint64_t v = 0;
	for (int i = 0; i < cells; i++)
		v = (v << 32) | fdt32_to_cpu(p[i]);
	return v;
}

/* Cell counts of node's parent; 0 on success. */
static int parent_cells(struct parse *p, int node, int *ac, int *sc)
{
	int parent = fdt_parent_offset(p->fdt, node);
	if (parent < 0)
		return FAIL(p, HK_EBADDTB, "dtb: %s: no parent (%s)",
		            fdt_get_name(p->fdt, node, NULL), fdt_strerror(parent));
	*ac = fdt_address_cells(p->fdt, parent);
	*sc = fdt_size_cells(p->fdt, parent);
	if (*ac < 1 || *ac > 2 || *sc < 0 || *sc > 2)
		return FAIL(p, HK_EBADDTB,
		            "dtb: %s: unsupported #address-cells %d / #size-cells %d",
		            fdt_get_name(p->fdt, node, NULL), *ac, *sc);
	return 0;
}

/*
 * Read up to max (base,size) pairs of node's "reg". *n gets the count; a reg
 * whose length is not a whole number of pairs is an error; more than max is
 * HK_ETOOMANY.
 */
static int read_reg(struct parse *p, int node, struct bi_range *out, unsigned max, unsigned *n)
{
	int ac, sc, len, rc = parent_cells(p, node, &ac, &sc);
	if (rc)
		return rc;
	const char *name = fdt_get_name(p->fdt, node, NULL);
	const fdt32_t *reg = fdt_getprop(p->fdt, node, "reg", &len);
	int pair = (ac + sc) * 4;
	if (!reg || len <= 0 || len % pair)
		return FAIL(p, HK_EBADDTB,
		            "dtb: %s: 'reg' missing or %d bytes, not a multiple of %d", name,
		            reg ? len : 0, pair);
	unsigned count = (unsigned)(len / pair);
	if (count > max)
		return FAIL(p, HK_ETOOMANY, "dtb: %s: %u reg entries, at most %u supported", name,
		            count, max);
	for (unsigned i = 0; i < count; i++) {
		out[i].base = read_cells(reg + i * (ac + sc), ac);
		out[i].size = read_cells(reg + i * (ac + sc) + ac, sc);
		if (out[i].base + out[i].size < out[i].base)
			return FAIL(p, HK_EBADDTB, "dtb: %s: reg entry %u wraps around", name, i);
	}
	*n = count;
	return 0;
}

/* Read interrupt number idx of node (3-cell GIC binding); absent -> intid 0. */
static int read_irq(struct parse *p, int node, int idx, struct bi_irq *irq)
{
	int len;
	const fdt32_t *v = fdt_getprop(p->fdt, node, "interrupts", &len);
	irq->intid = 0;
	irq->flags = 0;
	if (!v || len < (idx + 1) * 12)
		return 0;
	uint32_t type = fdt32_to_cpu(v[idx * 3]);
	uint32_t num = fdt32_to_cpu(v[idx * 3 + 1]);
	if (type > 1 || num > 987)
		return FAIL(p, HK_EBADDTB, "dtb: %s: interrupt %d has type %u number %u",
		            fdt_get_name(p->fdt, node, NULL), idx, type, num);
	irq->intid = num + (type == 0 ? 32 : 16);
	irq->flags = fdt32_to_cpu(v[idx * 3 + 2]);
	return 0;
}

static int parse_memory(struct parse *p)
{
	struct bootinfo *bi = p->bi;
	int node = -1;
	while ((node = fdt_node_offset_by_prop_value(p->fdt, node, "device_type", "memory",
	                                             sizeof("memory"))) >= 0) {
		unsigned n;
		int rc = read_reg(p, node, bi->mem + bi->nmem, BI_MAX_MEM - bi->nmem, &n);
		if (rc)
			return rc;
		bi->nmem += n;
	}
	if (node != -FDT_ERR_NOTFOUND)
		return FAIL(p, HK_EBADDTB, "dtb: scanning memory nodes: %s", fdt_strerror(node));
	if (bi->nmem == 0 || bootinfo_ram_bytes(bi) == 0)
		return FAIL(p, HK_EBADDTB, "dtb: no memory node with a non-empty range");
	return 0;
}

static int parse_cpus(struct parse *p)
{
	struct bootinfo *bi = p->bi;
	int cpus = fdt_path_offset(p->fdt, "/cpus");
	if (cpus < 0)
		return FAIL(p, HK_EBADDTB, "dtb: no /cpus node");
	int node;
	fdt_for_each_subnode(node, p->fdt, cpus)
	{
		int len;
		const char *type = fdt_getprop(p->fdt, node, "device_type", &len);
		if (!type || len != sizeof("cpu") || memcmp(type, "cpu", 4) != 0)
			continue;
		if (bi->ncpus == BI_MAX_CPUS)
			return FAIL(p, HK_ETOOMANY, "dtb: more than %d CPUs", BI_MAX_CPUS);
		struct bi_range r;
		unsigned n;
		int rc = read_reg(p, node, &r, 1, &n);
		if (rc)
			return rc;
		struct bi_cpu *c = &bi->cpus[bi->ncpus++];
		c->hwid = r.base;
		const char *em = fdt_getprop(p->fdt, node, "enable-method", &len);
		copy_str(c->enable_method, sizeof(c->enable_method), em ? em : "", em ? len : 0);
	}
	if (bi->ncpus == 0)
		return FAIL(p, HK_EBADDTB, "dtb: /cpus lists no cpu");
	return 0;
}

/* First node compatible with any of compat[]; returns offset or <0. */
static int find_compat(const void *fdt, const char *const *compat, const char **which)
{
	for (; *compat; compat++) {
		int node = fdt_node_offset_by_compatible(fdt, -1, *compat);
		if (node >= 0) {
			*which = *compat;
			return node;
		}
	}
	return -FDT_ERR_NOTFOUND;
}

static int parse_gic(struct parse *p)
{
	static const char *const compat[] = {"arm,gic-v3", "arm,cortex-a15-gic", "arm,gic-400",
	                                     NULL};
	struct bootinfo *bi = p->bi;
	const char *which;
	int node = find_compat(p->fdt, compat, &which);
	if (node < 0)
		return FAIL(p, HK_EBADDTB, "dtb: no interrupt controller (GIC) node");
	copy_str(bi->intc_compat, sizeof(bi->intc_compat), which, BI_MAX_STR);
	struct bi_range r[1 + BI_MAX_REDIST];
	unsigned n;
	int rc = read_reg(p, node, r, 1 + BI_MAX_REDIST, &n);
	if (rc)
		return rc;
	if (n < 2)
		return FAIL(p, HK_EBADDTB,
		            "dtb: GIC 'reg' has %u entries, need distributor and redistributor", n);
	bi->gicd = r[0];
	bi->ngicr = n - 1;
	for (unsigned i = 1; i < n; i++)
		bi->gicr[i - 1] = r[i];
	return 0;
}

static int parse_timer(struct parse *p)
{
	struct bootinfo *bi = p->bi;
	int node = fdt_node_offset_by_compatible(p->fdt, -1, "arm,armv8-timer");
	if (node < 0)
		return FAIL(p, HK_EBADDTB, "dtb: no arm,armv8-timer node");
	int rc = read_irq(p, node, 0, &bi->timer_sec_phys);
	rc = rc ? rc : read_irq(p, node, 1, &bi->timer_phys);
	rc = rc ? rc : read_irq(p, node, 2, &bi->timer_virt);
	rc = rc ? rc : read_irq(p, node, 3, &bi->timer_hyp);
	if (rc)
		return rc;
	if (!bi->timer_virt.intid)
		return FAIL(p, HK_EBADDTB, "dtb: timer has no virtual-timer interrupt");
	int len;
	const fdt32_t *f = fdt_getprop(p->fdt, node, "clock-frequency", &len);
	bi->timer_freq = (f && len == 4) ? fdt32_to_cpu(*f) : 0;
	return 0;
}

/* The node /chosen/stdout-path names (options after ':' dropped), or <0. */
static int stdout_node(const void *fdt)
{
	int chosen = fdt_path_offset(fdt, "/chosen");
	if (chosen < 0)
		return chosen;
	int len;
	const char *path = fdt_getprop(fdt, chosen, "stdout-path", &len);
	if (!path || len < 2)
		return -FDT_ERR_NOTFOUND;
	int plen = 0;
	while (plen < len && path[plen] && path[plen] != ':')
		plen++;
	return fdt_path_offset_namelen(fdt, path, plen);
}

static int parse_uart(struct parse *p)
{
	struct bootinfo *bi = p->bi;
	int node = stdout_node(p->fdt);
	bi->uart_from_stdout_path =
	    node >= 0 && fdt_node_check_compatible(p->fdt, node, "arm,pl011") == 0;
	if (!bi->uart_from_stdout_path)
		node = fdt_node_offset_by_compatible(p->fdt, -1, "arm,pl011");
	if (node < 0)
		return FAIL(p, HK_EBADDTB, "dtb: no arm,pl011 UART");
	copy_str(bi->uart_compat, sizeof(bi->uart_compat), "arm,pl011", BI_MAX_STR);
	if (fdt_get_path(p->fdt, node, bi->uart_path, sizeof(bi->uart_path)) < 0)
		bi->uart_path[0] = '\0';
	unsigned n;
	int rc = read_reg(p, node, &bi->uart, 1, &n);
	if (rc)
		return rc;
	if (bi->uart.size < 0x1000)
		return FAIL(p, HK_EBADDTB, "dtb: UART %s 'reg' size 0x%llx is smaller than a PL011",
		            bi->uart_path, (unsigned long long)bi->uart.size);
	return 0;
}

static int parse_psci(struct parse *p)
{
	static const char *const compat[] = {"arm,psci-1.0", "arm,psci-0.2", "arm,psci", NULL};
	struct bootinfo *bi = p->bi;
	const char *which;
	int node = find_compat(p->fdt, compat, &which);
	if (node < 0)
		return 0; /* no PSCI: secondaries cannot be started, reported in the summary */
	copy_str(bi->psci_compat, sizeof(bi->psci_compat), which, BI_MAX_STR);
	int len;
	const char *m = fdt_getprop(p->fdt, node, "method", &len);
	if (!m || (strncmp(m, "hvc", (size_t)len) != 0 && strncmp(m, "smc", (size_t)len) != 0))
		return FAIL(p, HK_EBADDTB, "dtb: PSCI node without method hvc or smc");
	copy_str(bi->psci_method, sizeof(bi->psci_method), m, len);
	return 0;
}

/* linux,initrd-start/end may be 32 or 64 bits wide. */
static int read_u32_or_u64(const void *fdt, int node, const char *name, uint64_t *v)
{
	int len;
	const fdt32_t *c = fdt_getprop(fdt, node, name, &len);
	if (!c)
		return 0;
	if (len != 4 && len != 8)
		return -1;
	*v = read_cells(c, len / 4);
	return 1;
}

static int parse_chosen(struct parse *p)
{
	struct bootinfo *bi = p->bi;
	int node = fdt_path_offset(p->fdt, "/chosen");
	if (node < 0)
		return 0;
	int len;
	const char *args = fdt_getprop(p->fdt, node, "bootargs", &len);
	if (args && len > BI_MAX_STR)
		return FAIL(p, HK_ETOOMANY, "dtb: bootargs is %d bytes, at most %d supported", len,
		            BI_MAX_STR);
	if (args)
		copy_str(bi->bootargs, sizeof(bi->bootargs), args, len);
	int s = read_u32_or_u64(p->fdt, node, "linux,initrd-start", &bi->initrd_start);
	int e = read_u32_or_u64(p->fdt, node, "linux,initrd-end", &bi->initrd_end);
	if (s < 0 || e < 0 || s != e || bi->initrd_end < bi->initrd_start)
		return FAIL(p, HK_EBADDTB, "dtb: /chosen initrd range malformed");
	return 0;
}

static int parse_virtio(struct parse *p)
{
	struct bootinfo *bi = p->bi;
	int node = -1;
	while ((node = fdt_node_offset_by_compatible(p->fdt, node, "virtio,mmio")) >= 0) {
		if (bi->nvirtio == BI_MAX_VIRTIO)
			return FAIL(p, HK_ETOOMANY, "dtb: more than %d virtio-mmio slots",
			            BI_MAX_VIRTIO);
		struct bi_virtio *v = &bi->virtio[bi->nvirtio];
		struct bi_range r;
		unsigned n;
		int rc = read_reg(p, node, &r, 1, &n);
		rc = rc ? rc : read_irq(p, node, 0, &v->irq);
		if (rc)
			return rc;
		if (r.size < 0x100)
			return FAIL(p, HK_EBADDTB,
			            "dtb: virtio-mmio slot at 0x%llx is only 0x%llx bytes",
			            (unsigned long long)r.base, (unsigned long long)r.size);
		v->base = r.base;
		v->size = r.size;
		v->device_id = 0;
		bi->nvirtio++;
	}
	/* QEMU lists slots from the highest address down; keep them in address order. */
	for (unsigned i = 1; i < bi->nvirtio; i++)
		for (unsigned j = i; j > 0 && bi->virtio[j - 1].base > bi->virtio[j].base; j--) {
			struct bi_virtio t = bi->virtio[j];
			bi->virtio[j] = bi->virtio[j - 1];
			bi->virtio[j - 1] = t;
		}
	return 0;
}

/* The PL031 RTC is optional (a grantable device); one that is present must be whole. */
static int parse_rtc(struct parse *p)
{
	struct bootinfo *bi = p->bi;
	int node = fdt_node_offset_by_compatible(p->fdt, -1, "arm,pl031");
	if (node < 0)
		return 0;
	struct bi_range r;
	unsigned n;
	int rc = read_reg(p, node, &r, 1, &n);
	rc = rc ? rc : read_irq(p, node, 0, &bi->rtc_irq);
	if (rc)
		return rc;
	if (r.size < BI_PL031_MIN_SIZE)
		return FAIL(p, HK_EBADDTB, "dtb: pl031 at 0x%llx is only 0x%llx bytes",
		            (unsigned long long)r.base, (unsigned long long)r.size);
	bi->rtc = r;
	return 0;
}

static int check_blob(struct parse *p, size_t maxlen)
{
	if (!p->fdt || maxlen < sizeof(struct fdt_header))
		return FAIL(p, HK_EBADDTB, "dtb: missing (no %s bytes)",
		            p->fdt ? "header" : "blob");
	int rc = fdt_check_header(p->fdt);
	if (rc)
		return FAIL(p, HK_EBADDTB, "dtb: bad header: %s", fdt_strerror(rc));
	if (fdt_totalsize(p->fdt) > maxlen)
		return FAIL(p, HK_EBADDTB, "dtb: totalsize %u exceeds the %zu bytes available",
		            fdt_totalsize(p->fdt), maxlen);
	/* Walk every node once so a corrupt structure block fails here, cleanly. */
	/* fdt_next_node() leaves depth < 0 once the root node has ended. */
	int node = 0, depth = 0, count = 0;
	while (node >= 0 && depth >= 0 && count++ < 100000)
		node = fdt_next_node(p->fdt, node, &depth);
	if (node < 0 && node != -FDT_ERR_NOTFOUND)
		return FAIL(p, HK_EBADDTB, "dtb: corrupt structure block: %s", fdt_strerror(node));
	if (node >= 0 && depth >= 0)
		return FAIL(p, HK_EBADDTB, "dtb: more than 100000 nodes");
	return 0;
}

int bootinfo_parse(const void *fdt, size_t maxlen, struct bootinfo *bi, char *err, size_t errlen)
{
	struct parse p = {fdt, bi, err, errlen};
	memset(bi, 0, sizeof(*bi));
	if (errlen)
		err[0] = '\0';
	int rc = check_blob(&p, maxlen);
	if (rc)
		return rc;
	int len;
	const char *model = fdt_getprop(fdt, 0, "model", &len);
	copy_str(bi->model, sizeof(bi->model), model ? model : "(none)", model ? len : 7);
	rc = parse_memory(&p);
	rc = rc ? rc : parse_cpus(&p);
	rc = rc ? rc : parse_gic(&p);
	rc = rc ? rc : parse_timer(&p);
	rc = rc ? rc : parse_uart(&p);
	rc = rc ? rc : parse_psci(&p);
	rc = rc ? rc : parse_chosen(&p);
	rc = rc ? rc : parse_virtio(&p);
	rc = rc ? rc : parse_rtc(&p);
	return rc;
}

uint64_t bootinfo_ram_bytes(const struct bootinfo *bi)
{
	uint64_t total = 0;
	for (unsigned i = 0; i < bi->nmem; i++)
		total += bi->mem[i].size;
	return total;
}

int bootinfo_arg(const struct bootinfo *bi, const char *key, char *val, size_t vallen)
{
	size_t klen = strlen(key);
	const char *s = bi->bootargs;
	while (*s) {
		while (*s == ' ')
			s++;
		const char *w = s;
		while (*s && *s != ' ')
			s++;
		if ((size_t)(s - w) > klen && memcmp(w, key, klen) == 0 && w[klen] == '=') {
			copy_str(val, vallen, w + klen + 1, (int)(s - w - klen - 1));
			return 1;
		}
	}
	return 0;
}

const char *bootinfo_virtio_name(uint32_t id)
{
	static const char *const names[] = {
	    [0] = "empty",   [1] = "net",     [2] = "block",  [3] = "console",
	    [4] = "entropy", [5] = "balloon", [8] = "scsi",   [9] = "9p",
	    [16] = "gpu",    [18] = "input",  [19] = "vsock", [26] = "fs",
	};
	if (id < sizeof(names) / sizeof(names[0]) && names[id])
		return names[id];
	return "unknown";
}
