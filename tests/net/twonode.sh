#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Two nodes on one link (ctest label net): a bridge in the test's namespace
# joins node A's and node B's tap devices and the host. A has the KAN prefix
# fd00:6b61:6e00:1::/64 and router ::2, B fd00:6b61:6e00:2::/64 and router
# ::3, each with a route to the other's prefix via the other's router. A
# process on each node sends 300 UDP datagrams to the echo worker on the
# other node, by address, and checks every echo; the host pings a worker on
# each node through its router.
# Usage: twonode.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/node.sh"
build=$1
node_image "$build" "$here/manifests/node-a.manifest" a
IMG_A=$IMG
node_image "$build" "$here/manifests/node-b.manifest" b
IMG_B=$IMG
LOG_B=$(mktemp)
trap 'cleanup; rm -f "$IMG_A" "$LOG_B"' EXIT
ns_up 2
ip -n "$NS" -6 route add fd00:6b61:6e00:2::/64 via fd00:6b61:6e00:ff::3 dev br0
node_boot "$IMG_A" tap0 52:54:00:12:34:56 "$LOG"
QEMU_PID=${PIDS[-1]}
node_boot "$IMG_B" tap1 52:54:00:12:34:57 "$LOG_B"
wait_line "^netpeer: 300 datagrams to fd00:6b61:6e00:2::102:0 on the other node echoed intact: ok" 90
echo "node A: $(sed 's/\r$//' "$LOG" | grep '^netpeer:')"
for _ in $(seq 900); do grep -q "^netpeer: .*: ok" "$LOG_B" && break; sleep 0.1; done
grep -q "^netpeer: 300 datagrams to fd00:6b61:6e00:1::102:0 on the other node echoed intact: ok" "$LOG_B" ||
	{ echo "----- node B log -----"; cat "$LOG_B"; fail "node B's peer did not finish"; }
echo "node B: $(sed 's/\r$//' "$LOG_B" | grep '^netpeer:')"
in_ns ping -6 -c 2 -i 0.2 -W 2 fd00:6b61:6e00:1::102:0 >/dev/null || fail "host cannot ping node A's echo"
in_ns ping -6 -c 2 -i 0.2 -W 2 fd00:6b61:6e00:2::102:0 >/dev/null || fail "host cannot ping node B's echo"
echo "the host reaches a worker on each node: ok"
wait_line "^init: peer \\(pid [0-9]+\\) exited with status 0" 10
grep -q "^init: peer (pid [0-9]*) exited with status 0" <(sed 's/\r$//' "$LOG_B") || fail "node B: peer did not exit 0"
node_stop
echo "twonode: PASS"
