#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The router's own messages, seen by Linux (ctest label net):
#  - router advertisements: the host is given no route to the KAN prefix;
#    it learns one from the router's Route Information option (RFC 4191)
#    and pings a worker through it;
#  - Time Exceeded for a packet arriving with hop limit 1;
#  - Destination Unreachable (no route) for an address no route covers;
#  - Packet Too Big, back to a node process sending the host a datagram
#    larger than the link's MTU, and the drop counted.
# Usage: icmp.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/node.sh"
NO_KAN_ROUTE=1 # the route must come from the advertisement
node_up "$1" "$here/manifests/icmp.manifest" "^icmpecho: worker at"
p=fd00:6b61:6e00:1
router=fd00:6b61:6e00:ff::2 ping=$p::102:0

for _ in $(seq 300); do # 30 s: RAs come once a second, but a loaded CI host is slow
	ip -n "$NS" -6 route show | grep -q "^$p::/64 via fe80::5054:ff:fe12:3456 dev tap0 proto ra" && break
	sleep 0.1
done
ip -n "$NS" -6 route show | grep -q "^$p::/64 via fe80::5054:ff:fe12:3456 dev tap0 proto ra" ||
	fail "no route to $p::/64 learned from the router's advertisements: $(ip -n "$NS" -6 route show)"
in_ns ping -6 -c 2 -i 0.2 -W 2 $ping >/dev/null || fail "no ping through the advertised route"
echo "the host learned $p::/64 via the router's link-local address from its advertisement, and pings through it: ok"

out=$(in_ns ping -6 -c 1 -t 1 -W 2 $ping 2>&1 || true)
echo "$out" | grep -q "From $router icmp_seq=1 Time exceeded: Hop limit" || fail "hop limit 1: $out"
echo "hop limit 1: Time Exceeded from the router: ok"

ip -n "$NS" -6 route add fd00:dead::/64 via $router dev tap0
out=$(in_ns ping -6 -c 1 -W 2 fd00:dead::1 2>&1 || true)
echo "$out" | grep -q "From $router icmp_seq=1 Destination unreachable: No route" || fail "no route: $out"
echo "an address no route covers: Destination Unreachable (no route) from the router: ok"

wait_line "^bigsend: Packet Too Big from the router, MTU 1500, quoting the 2000-byte datagram: ok" 10
[ "$(stat $router drop.too-big)" = 1 ] || fail "the router did not count the too-big packet"
echo "a node process's datagram over the link MTU: Packet Too Big back to it, counted: ok"
node_stop
echo "icmp: PASS"
