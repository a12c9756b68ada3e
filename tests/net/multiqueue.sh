#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Multiple queue pairs (ctest label net): a multi-queue tap and a
# virtio-net device offering 2 pairs; the driver negotiates MQ, sets both
# pairs up over the control queue and uses both. Four host flows (UDP
# sockets on different ports) of 1000 datagrams each go through the echo
# pipeline at once, every byte checked; the tap spreads them over its
# queues, so both receive queues carry frames; the device's interrupts
# drive it (an edge raised during setup must not leave the line stuck).
# Usage: multiqueue.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/node.sh"
NODE_MQ=2
node_up "$1" "$here/manifests/dataplane.manifest" "^acl: worker at"
wait_line "^netmac: virtio-net.0 up: .* 2 of 2 queue pairs" 5
echo "the driver uses 2 of 2 queue pairs: ok"
p=fd00:6b61:6e00:1 router=fd00:6b61:6e00:ff::2
pids=() outs=()
SECONDS=0
for i in 1 2 3 4; do
	outs+=("$(mktemp)")
	in_ns "$BUILD/hkcheck" echo $p::105:0 7 1000 4 1452 16 >"${outs[-1]}" 2>&1 & pids+=($!)
done
for i in 0 1 2 3; do
	wait "${pids[$i]}" || fail "flow $i: $(cat "${outs[$i]}")"
	echo "flow $i: $(cat "${outs[$i]}"): ok"
	rm -f "${outs[$i]}"
done
took=$SECONDS
# Interrupts must drive it: without them the driver only polls on its
# one-second timer and 4000 echoes take about a minute.
[ "$(stat $router dev.irqs)" -gt 0 ] && [ $took -le 20 ] ||
	fail "4000 echoes took ${took}s with $(stat $router dev.irqs) interrupts: the device's interrupts are lost"
echo "4000 echoes in ${took}s, driven by $(stat $router dev.irqs) interrupts: ok"
q0=$(stat $router dev.rx_frames.q0) q1=$(stat $router dev.rx_frames.q1)
[ "$q0" -gt 0 ] && [ "$q1" -gt 0 ] || fail "frames per receive queue: $q0 and $q1 (both must carry some)"
echo "receive queue 0 took $q0 frames, queue 1 $q1: ok"
node_stop
echo "multiqueue: PASS"
