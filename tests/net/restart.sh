#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Killing a pipeline stage mid-traffic (ctest label net). The host has no
# kill command yet (kanctl is issue 6), so count kills itself: it faults on
# purpose after 3000 packets. Checked:
#  - the kernel names the fault and init restarts count;
#  - of 5000 datagrams sent through acl -> count -> echo, every one either
#    came back intact or is counted by the node as dropped (the KAN's
#    no-route, closed and ring-full drops between the runs match the loss
#    exactly); acl and echo never stopped;
#  - afterwards 500 more all come back.
# Usage: restart.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/node.sh"
node_up "$1" "$here/manifests/restart.manifest" "^uecho: worker at"

p=fd00:6b61:6e00:1
router=fd00:6b61:6e00:ff::2 echo=$p::104:0
kan_drops() { echo $(( $(stat $router node.kan.no-route) + $(stat $router node.kan.closed) + $(stat $router node.kan.ring-full) )); }

d0=$(kan_drops)
out=$(in_ns "$build/hkcheck" echo $echo 7 5000 4 1452 16) || true
read -r _ _ sent _ got _ bad _ lost _ late <<<"$out"
d1=$(kan_drops)
echo "through the crash: $out; KAN drops +$((d1 - d0))"
[ "$sent" = 5000 ] && [ "$bad" = 0 ] && [ "$late" = 0 ] || fail "hkcheck: $out"
wait_line "^count: crash-after=3000 reached: faulting on purpose" 10
wait_line "^fault: process 'count' pid [0-9]+ thread 0 cpu 3: .*addr 0x10" 10
wait_line "^init: restarting count \\(restart 1 of 3\\)" 10
wait_line "^count: worker at $p::103:0, stage of pipeline echo3, next echo" 10
[ "$lost" -eq $((d1 - d0)) ] || fail "lost $lost datagrams but the node counted $((d1 - d0)) KAN drops"
[ "$got" -ge 4000 ] || fail "only $got came back: the pipeline did not carry on"
echo "count faulted, init restarted it, $got of 5000 came back, the $lost lost are the node's counted drops: ok"

out=$(in_ns "$build/hkcheck" echo $echo 7 500 4 1452 16) || fail "after the restart: $out"
echo "after the restart: $out: ok"
node_stop faults-expected
echo "restart: PASS"
