#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# TX page lending, the send_inplace idea (ctest label net): after echo
# traffic has left the driver's spare pages full of other packets' bytes, a
# process borrows 8 pages from the driver, finds each clean but for the
# datagram header the driver wrote, fills them in place and sends them to
# the host, which receives all 8.
# Usage: txlend.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/node.sh"
node_up "$1" "$here/manifests/txlend.manifest" "^uecho: worker at"
p=fd00:6b61:6e00:1 router=fd00:6b61:6e00:ff::2
in_ns "$BUILD/hkcheck" echo $p::102:0 7 500 200 1400 16 >/dev/null || fail "echo traffic first"
out=$(in_ns "$BUILD/hkcheck" trigger $p::103:0 7777 8) || fail "host: $out"
for i in 0 1 2 3 4 5 6 7; do echo "$out" | grep -qx "lent page $i" || fail "page $i did not arrive: $out"; done
wait_line "^txlend: 8 pages lent by the router, clean, filled in place and sent: ok" 10
[ "$(stat $router lent)" = 8 ] || fail "the router counted $(stat $router lent) lent pages"
echo "8 pages lent by the driver, clean, filled in place, received by the host: ok"
node_stop
echo "txlend: PASS"
