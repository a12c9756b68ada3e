#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Ask QEMU for the DTBs it gives a guest (-machine dumpdtb) for several
# machine shapes. The file name carries what the test must find in it:
#   m<MiB>-smp<N>-<psci method>[-initrd<BYTES>][-args].dtb
# Usage: gen-dtbs.sh OUTDIR
set -euo pipefail
out=$1
mkdir -p "$out"
rm -f "$out"/*.dtb
initrd=$out/initrd.bin
head -c 12345 /dev/zero >"$initrd"
kernel=$(mktemp)
trap 'rm -f "$kernel"' EXIT
# -initrd needs a kernel in Image format: a minimal arm64 Image header is enough to dump.
printf 'ARM\x64' | dd of="$kernel" bs=1 seek=56 conv=notrunc status=none
dump() { # name machine-extra qemu-args...
	local name=$1 mach=$2
	shift 2
	timeout 60 qemu-system-aarch64 -machine "virt,gic-version=3${mach},dumpdtb=$out/$name.dtb" \
		-cpu neoverse-n1 -nographic -nic none "$@" >/dev/null 2>"$out/$name.log" ||
		{ cat "$out/$name.log" >&2; exit 1; }
}
dump m128-smp1-hvc "" -m 128M -smp 1
dump m512-smp4-hvc "" -m 512M -smp 4
dump m2048-smp8-hvc "" -m 2G -smp 8
dump m4096-smp2-hvc "" -m 4G -smp 2
dump m256-smp4-smc ",virtualization=on" -m 256M -smp 4
dump m512-smp2-hvc-initrd12345-args "" -m 512M -smp 2 -kernel "$kernel" -initrd "$initrd" \
	-append "hekate.test=boot console=pl011"
ls "$out"/*.dtb | wc -l
