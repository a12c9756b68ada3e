#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Host <-> node data plane (ctest label net): a namespace with a tap device,
# a node with the MAC driver/router and workers, and ordinary Linux tools:
#  - ping -6 to the router and to each worker; only the pinged process's
#    ping counter moves;
#  - 10000 UDP datagrams of 4..1452 bytes through the pipeline
#    acl -> count -> echo, every payload verified by hkcheck; at every
#    stage rx = passed + pings + stats + consumed + dropped, and the
#    stages passed on what the next one received;
#  - 1000 Geneve packets to the tunnel pipeline gdecap -> greflect -> gencap:
#    each comes back re-encapsulated (VNI 42) with the inner datagram echoed.
# Usage: dataplane.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/node.sh"
node_up "$1" "$here/manifests/dataplane.manifest" "^acl: worker at"

p=fd00:6b61:6e00:1
router=fd00:6b61:6e00:ff::2 mac=$p::101:0 ping=$p::102:0 acl=$p::103:0 count=$p::104:0 echo=$p::105:0

# Each ping reaches the process it names and no other.
for who in router ping acl echo; do
	addr=${!who}
	before_ping=$(stat $ping pings) before_acl=$(stat $acl pings) before_echo=$(stat $echo pings) before_r=$(stat $router pings)
	in_ns ping -6 -c 3 -i 0.2 -W 2 "$addr" >/dev/null || fail "ping $who ($addr) got no reply"
	d_ping=$(( $(stat $ping pings) - before_ping )) d_acl=$(( $(stat $acl pings) - before_acl ))
	d_echo=$(( $(stat $echo pings) - before_echo )) d_r=$(( $(stat $router pings) - before_r ))
	want_ping=0 want_acl=0 want_echo=0 want_r=0
	case $who in router) want_r=3 ;; ping) want_ping=3 ;; acl) want_acl=3 ;; echo) want_echo=3 ;; esac
	[ "$d_ping $d_acl $d_echo $d_r" = "$want_ping $want_acl $want_echo $want_r" ] ||
		fail "ping $who: ping counters moved by icmpecho $d_ping acl $d_acl echo $d_echo router $d_r, want $want_ping $want_acl $want_echo $want_r"
	echo "ping $who ($addr): 3 replies, only its counter moved: ok"
done

# 10000 datagrams through the three-stage pipeline, every byte checked.
out=$(in_ns "$build/hkcheck" echo $echo 7 10000 4 1452 16) || fail "pipeline echo: $out"
echo "pipeline acl -> count -> echo: $out: ok"

# Conservation at every stage.
for who in acl count echo; do
	addr=${!who}
	s=$(in_ns "$build/hkcheck" stats "$addr")
	get() { echo "$s" | awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }'; }
	rx=$(get rx) passed=$(get passed) pings=$(get pings) st=$(get stats) cons=$(get consumed) dr=$(get dropped)
	[ $rx -eq $((passed + pings + st + cons + dr)) ] ||
		fail "$who: rx $rx != passed $passed + pings $pings + stats $st + consumed $cons + dropped $dr"
	eval "${who}_passed=$passed ${who}_rx=$rx"
	echo "$who: rx $rx = passed $passed + pings $pings + stats $st + consumed $cons + dropped $dr: ok"
done
[ "$(stat $echo echoed)" -ge 10000 ] || fail "echo echoed $(stat $echo echoed) < 10000"
echo "node counters agree with what the host sent: ok"

gencap=$p::108:0
out=$(in_ns "$build/hkcheck" geneve $gencap 1000 42) || fail "geneve: $out"
echo "geneve round trip through gdecap -> greflect -> gencap: $out: ok"
# gencap's address is the tunnel's: everything sent to it enters at gdecap,
# so only the first two stages answer statistics requests.
for who in 106 107; do
	s=$(in_ns "$build/hkcheck" stats $p::$who:0)
	echo "$s" | grep -q "^passed 1000$" || fail "tunnel stage ::$who:0 did not pass exactly 1000: $s"
done
echo "gdecap and greflect each passed exactly the 1000: ok"
node_stop
echo "dataplane: PASS"
