#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The harness itself, whatever the guest does: a namespace with tap0, the
# default image booted on it with a virtio-net device, and frames written
# by hkwire reaching QEMU intact.
#
# The proof must not depend on a driver in the guest (without one the
# device takes no frame and QEMU leaves the tap unread). So the tap goes
# into a QEMU hub whose other ports are the NIC and a dgram socket hkwire
# listens on: QEMU reads the tap as long as the socket port can take
# frames, and what comes out of the socket proves the frames got through
# QEMU byte for byte. Then the other
# way (socket -> QEMU -> tap), then the whole barrage through QEMU to a
# stand-in node that judges it with the node's checks. Then teardown, and
# a check that nothing is left behind. Needs root; every step is timed.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
net_require_root
HK_TAP_MTU=2100 # the oversize class needs frames over 1514 bytes on the tap
net_init smoke
image=$HEKATE_BUILD/images/default.cpio
[ -x "$HKWIRE" ] || net_fail "no hkwire at $HKWIRE (cmake --build build --target hkwire)"
[ -f "$image" ] || net_fail "no boot image $image (make)"
COUNT=300 # frames each way, and per barrage class

net_ns_create
q=$HK_NET_TMP/qemu.sock h=$HK_NET_TMP/host.sock
HK_QEMU_NET=(-netdev "tap,id=t0,ifname=$HK_TAP,script=no,downscript=no"
	-netdev "dgram,id=d0,local.type=unix,local.path=$q,remote.type=unix,remote.path=$h"
	-netdev hubport,id=p0,hubid=0,netdev=t0
	-netdev hubport,id=p1,hubid=0,netdev=d0
	-netdev hubport,id=p2,hubid=0
	-device "virtio-net-device,netdev=p2,mac=$HK_NODE_MAC"
	-global virtio-mmio.force-legacy=false)
net_qemu_start "$image"
net_wait_log '^  virtio   slot [0-9]+ at 0x[0-9a-f]+ irq [0-9]+: device id 1 \(net\)'
net_wait_log '^init: supervisor up'
net_run 5 ip link show "$HK_TAP" | grep -q NO-CARRIER && net_fail "$HK_TAP has no carrier: QEMU is not on it"
echo "booted; $HK_TAP up in $HK_NET_NS ($HK_HOST_ADDR, $HK_KAN_PREFIX via $HK_ROUTER_ADDR)"

tapstat() { net_run 5 cat "/sys/class/net/$HK_TAP/statistics/$1"; }
check_out() { # NAME REGEX: NAME's output must match
	grep -Eq -- "$2" "$HK_NET_TMP/$1.out" ||
		net_fail "$1: expected /$2/, got: $(cat "$HK_NET_TMP/$1.out")"
}

# 1. tap -> QEMU -> socket: every probe arrives intact; QEMU read them off the tap.
tx0=$(tapstat tx_packets) drop0=$(tapstat tx_dropped)
net_bg out 30 "$HKWIRE" --dgram "$h,$q" probe-recv --count $COUNT --max-size 2114 --timeout-ms 5000
net_bg_ready out 'probe-recv ready'
net_run 30 "$HKWIRE" --tap "$HK_TAP" probe-send --count $COUNT --max-size 2114 --rate 5000 >/dev/null ||
	net_fail "hkwire could not write frames to $HK_TAP"
net_bg_wait out || net_fail "frames written to $HK_TAP did not come through QEMU: $(cat "$HK_NET_TMP/out.out")"
check_out out "^probe received $COUNT of $COUNT bad 0$"
tx1=$(tapstat tx_packets) drop1=$(tapstat tx_dropped)
[ $((tx1 - tx0)) -ge $COUNT ] || net_fail "QEMU read $((tx1 - tx0)) frames off $HK_TAP, $COUNT sent"
[ "$drop1" = "$drop0" ] || net_fail "$HK_TAP dropped $((drop1 - drop0)) frames QEMU did not read"
echo "tap -> QEMU: $COUNT probes intact, QEMU read $((tx1 - tx0)) frames off $HK_TAP, none dropped"

# 2. socket -> QEMU -> tap.
net_bg in 30 "$HKWIRE" --tap "$HK_TAP" probe-recv --count $COUNT --seed 2 --timeout-ms 5000
net_bg_ready in 'probe-recv ready'
net_run 30 "$HKWIRE" --dgram "$h,$q" probe-send --count $COUNT --seed 2 --rate 5000 >/dev/null ||
	net_fail "hkwire could not send into QEMU's socket"
net_bg_wait in || net_fail "frames sent into QEMU did not reach $HK_TAP: $(cat "$HK_NET_TMP/in.out")"
check_out in "^probe received $COUNT of $COUNT bad 0$"
echo "QEMU -> tap: $COUNT probes intact"

# 3. The barrage over the tap, judged on the far side of QEMU by a stand-in
# node: each class counted under its reason. Runts are left out here: QEMU
# pads frames under 60 bytes for the hub (a virtio-net NIC on the tap gets
# them unpadded, so the real node sees true runts).
net_bg node 60 "$HKWIRE" --dgram "$h,$q" fake-node --mac "$HK_NODE_MAC" --addr "$HK_ROUTER_ADDR" \
	--prefix "$HK_KAN_PREFIX" --seconds 50
net_bg_ready node 'fake-node ready'
classes=(oversize ethertype not-us ip-version ip-length ip-src ext-truncated hop-limit icmp-csum
	icmp-length ndp-invalid)
tx0=$(tapstat tx_packets) drop0=$(tapstat tx_dropped)
net_run 60 "$HKWIRE" --tap "$HK_TAP" barrage --node-mac "$HK_NODE_MAC" --src "$HK_HOST_ADDR" \
	--dst "$HK_ROUTER_ADDR" --count $COUNT --rate 5000 "${classes[@]/#/--class=}" \
	>"$HK_NET_TMP/barrage.out" || net_fail "barrage failed: $(cat "$HK_NET_TMP/barrage.out")"
for ((i = 0; i < 50; i++)); do # until QEMU has read them all off the tap
	[ $(($(tapstat tx_packets) - tx0)) -ge $((COUNT * ${#classes[@]})) ] && break
	sleep 0.1
done
[ "$(tapstat tx_dropped)" = "$drop0" ] || net_fail "$HK_TAP dropped barrage frames"
sleep 1 # QEMU -> socket -> stand-in
net_bg_signal node INT
net_bg_wait node || net_fail "fake-node failed: $(cat "$HK_NET_TMP/node.out")"
while read -r _ _ n reason; do
	check_out node "^drop $reason $n$"
done <"$HK_NET_TMP/barrage.out"
[ "$(wc -l <"$HK_NET_TMP/barrage.out")" = ${#classes[@]} ] || net_fail "barrage printed: $(cat "$HK_NET_TMP/barrage.out")"
echo "barrage over the tap: ${#classes[@]} classes x $COUNT frames, each counted under its reason"

# 4. Teardown leaves nothing.
ns=$HK_NET_NS
net_teardown
net_check_clean || exit 1
echo "torn down: no namespace $ns, no new link, no QEMU"
echo PASS
