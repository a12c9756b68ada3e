#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tools/bootstrap keeps its promises:
#  1. a checksum that does not match is reported, exits non-zero, and leaves no cache entry;
#  2. a cache entry without its completion stamp (half extracted) is never used: it is rebuilt;
#  3. with everything present, a second run needs no network (run in an empty
#     network namespace) and takes under a few seconds.
# Uses the small ck source package. Needs root for `unshare -n`.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
good=$(awk '$1 == "ck"' "$top/tools/deps.list")
[ -n "$good" ] || fail "no ck line in tools/deps.list"

# 1. wrong pin
echo "ck 0000000000000000000000000000000000000000000000000000000000000000 ." >"$work/bad.list"
out=$(HEKATE_DEPS=$work/cache HEKATE_DEPS_LIST=$work/bad.list "$top/tools/bootstrap" 2>&1)
rc=$?
echo "$out" | sed 's/^/  bad pin: /'
[ $rc != 0 ] || fail "bootstrap accepted a wrong checksum"
echo "$out" | grep -q "differs from the pin" || fail "the checksum failure is not named"
[ ! -e "$work/cache/ck" ] || fail "a cache entry was left after a failed check"

# 2. half-extracted entry: present but unstamped
echo "$good" >"$work/good.list"
mkdir -p "$work/cache/ck/include" && echo junk >"$work/cache/ck/include/ck_pr.h"
HEKATE_DEPS=$work/cache HEKATE_DEPS_LIST=$work/good.list "$top/tools/bootstrap" || fail "fetch failed"
[ -f "$work/cache/ck/.hekate-stamp" ] || fail "no stamp after a successful fetch"
grep -q junk "$work/cache/ck/include/ck_pr.h" && fail "the half-extracted entry was used"

# 3. offline and fast once complete
start=$(date +%s%N)
unshare -n env HEKATE_DEPS=$work/cache HEKATE_DEPS_LIST=$work/good.list "$top/tools/bootstrap" ||
	fail "second run needed the network (or failed)"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "  second run, no network: ${ms} ms"
[ $ms -lt 5000 ] || fail "second run took ${ms} ms"
echo "PASS"
