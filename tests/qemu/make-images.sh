#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Boot images for the QEMU tests: one per manifests/NAME.manifest (all user
# programs included), plus bad-elf.cpio whose bin/bad.elf is a truncated ELF.
# Usage: make-images.sh OUTDIR USERDIR MKINITRD
set -euo pipefail
out=$1 userdir=$2 mkinitrd=$3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out/bad-elf-progs"
for m in "$here"/manifests/*.manifest; do
	name=$(basename "$m" .manifest)
	[ "$name" = bad-elf ] && continue
	"$here/../../tools/mkimage" "$out/$name.cpio" "$m" "$userdir" "$mkinitrd"
done
# A malformed executable: hello.elf cut inside its program header table.
cp "$userdir"/*.elf "$out/bad-elf-progs/"
head -c 200 "$userdir/hello.elf" >"$out/bad-elf-progs/bad.elf"
"$here/../../tools/mkimage" "$out/bad-elf.cpio" "$here/manifests/bad-elf.manifest" \
	"$out/bad-elf-progs" "$mkinitrd"
echo "images ready in $out"
