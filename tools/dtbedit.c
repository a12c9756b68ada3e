// SPDX-License-Identifier: BSD-2-Clause
/*
 * dtbedit: derive test DTBs from a real one (host tool, used by the QEMU
 * tests to build broken or oversized device trees).
 *
 *   dtbedit IN OUT OP [ARG...]
 *     pad BYTES                 grow totalsize to BYTES (free space at the end)
 *     del-compatible COMPAT     delete the first node compatible with COMPAT
 *     set-cells PATH PROP N...  set PROP of PATH to the 32-bit cells N...
 *
 * Exits 0 on success, 1 with a message otherwise.
 */
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLACK 65536

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "dtbedit: %s: %s\n", what, detail);
	exit(1);
}

static void *load(const char *path, size_t extra, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die(path, strerror(errno));
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	if (n <= 0)
		die(path, "empty");
	char *buf = calloc(1, (size_t)n + extra);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		die(path, "read failed");
	fclose(f);
	*size = (size_t)n + extra;
	return buf;
}

static void save(const char *path, const void *fdt)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(fdt, 1, fdt_totalsize(fdt), f) != fdt_totalsize(fdt) || fclose(f))
		die(path, "write failed");
}

static void check(int rc, const char *what)
{
	if (rc < 0)
		die(what, fdt_strerror(rc));
}

static void set_cells(void *fdt, int argc, char **argv)
{
	if (argc < 3)
		die("set-cells", "needs PATH PROP N...");
	int node = fdt_path_offset(fdt, argv[0]);
	check(node, argv[0]);
	int n = argc - 2;
	fdt32_t *cells = calloc((size_t)n, sizeof(*cells));
	for (int i = 0; i < n; i++)
		cells[i] = cpu_to_fdt32((uint32_t)strtoul(argv[2 + i], NULL, 0));
	check(fdt_setprop(fdt, node, argv[1], cells, n * (int)sizeof(*cells)), "setprop");
	free(cells);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: dtbedit IN OUT pad BYTES | del-compatible COMPAT | "
		                "set-cells PATH PROP N...\n");
		return 1;
	}
	const char *op = argv[3];
	size_t pad = !strcmp(op, "pad") && argc > 4 ? strtoul(argv[4], NULL, 0) : 0;
	size_t size;
	void *fdt = load(argv[1], SLACK + pad, &size);
	check(fdt_check_header(fdt), argv[1]);
	check(fdt_open_into(fdt, fdt, (int)size), "open");
	if (!strcmp(op, "pad")) {
		if (pad == 0)
			die("pad", "needs BYTES > 0");
		check(fdt_pack(fdt), "pack");
		check(fdt_open_into(fdt, fdt, (int)pad), "pad");
	} else if (!strcmp(op, "del-compatible") && argc == 5) {
		int node = fdt_node_offset_by_compatible(fdt, -1, argv[4]);
		check(node, argv[4]);
		check(fdt_del_node(fdt, node), "del");
		check(fdt_pack(fdt), "pack");
	} else if (!strcmp(op, "set-cells")) {
		set_cells(fdt, argc - 4, argv + 4);
		check(fdt_pack(fdt), "pack");
	} else {
		die(op, "unknown operation or wrong arguments");
	}
	save(argv[2], fdt);
	free(fdt);
	return 0;
}
