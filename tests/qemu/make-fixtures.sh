#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Inputs for the QEMU boot tests: an initrd, and DTBs that are missing or broken.
# Usage: make-fixtures.sh OUTDIR DTBEDIT
set -euo pipefail
out=$1 dtbedit=$2
mkdir -p "$out"
head -c 300000 /dev/zero | tr '\0' 'H' >"$out/initrd.bin"
timeout 60 qemu-system-aarch64 -machine "virt,gic-version=3,dumpdtb=$out/base.dtb" \
	-cpu neoverse-n1 -smp 4 -m 512M -nographic -nic none >/dev/null
# 4 MiB does not fit below an ELF kernel at 0x40200000: QEMU then passes no DTB at all.
"$dtbedit" "$out/base.dtb" "$out/too-big.dtb" pad 4194304
"$dtbedit" "$out/base.dtb" "$out/no-gic.dtb" del-compatible arm,gic-v3
"$dtbedit" "$out/base.dtb" "$out/bad-uart-reg.dtb" set-cells /pl011@9000000 reg 0 0x09000000 0
echo "fixtures ready in $out"
