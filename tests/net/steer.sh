#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Steering a flow to a worker (ctest label net): the router's steer= rule
# sends UDP port 7 to the KAN through count before it reaches echo, whose
# address it is for: 500 echoes all come back, count saw exactly those 500,
# and traffic of other ports (statistics requests, pings) is not steered.
# Usage: steer.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/node.sh"
node_up "$1" "$here/manifests/steer.manifest" "^uecho: worker at"
p=fd00:6b61:6e00:1 count=fd00:6b61:6e00:1::102:0 echo=fd00:6b61:6e00:1::103:0
out=$(in_ns "$BUILD/hkcheck" echo $echo 7 500 4 1400 16) || fail "steered echo: $out"
in_ns ping -6 -c 2 -i 0.2 -W 2 $echo >/dev/null || fail "ping echo"
udp=$(stat $count udp) passed=$(stat $count passed) echoed=$(stat $echo echoed) pings=$(stat $echo pings)
[ "$udp" = 500 ] && [ "$passed" = 500 ] && [ "$echoed" = 500 ] && [ "$pings" = 2 ] ||
	fail "count udp $udp passed $passed, echo echoed $echoed pings $pings: want 500 500 500 2"
echo "UDP port 7 steered through count (500 of 500), echo answered all; pings and stats not steered: ok"
node_stop
echo "steer: PASS"
