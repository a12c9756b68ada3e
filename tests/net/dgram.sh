#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The unprivileged host link (`make run` without root): the default node on
# QEMU's -netdev dgram over unix sockets, hkwire as the host's end, no
# root and no namespace. hkwire pings the router and a worker (every reply
# checked), sends UDP through the echo pipeline, and forwards a plain
# socket's datagrams (the router's counters, read as nc would) with its
# proxy; then the barrage over the socket, every class (runts down to 1
# byte: a tap cannot carry those) counted by the router under its reason,
# its pages as before. Every step is timed; QEMU and the sockets are
# removed on any exit (tests/net/lib.sh).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
net_init dgram
image=$HEKATE_BUILD/images/default.cpio
[ -x "$HKWIRE" ] || net_fail "no hkwire at $HKWIRE"
N=$HK_NET_TMP/node.sock H=$HK_NET_TMP/host.sock # QEMU's socket, hkwire's
p=${HK_KAN_PREFIX%%::/*} router=$HK_ROUTER_ADDR
HK_QEMU_NET=(-global virtio-mmio.force-legacy=false
	-netdev "dgram,id=n0,local.type=unix,local.path=$N,remote.type=unix,remote.path=$H"
	-device "virtio-net-device,netdev=n0,mac=$HK_NODE_MAC")
net_qemu_start "$image"
net_wait_log '^netmac: routing'

hw() { net_run 60 "$HKWIRE" --dgram "$H,$N" "$@"; }
expect() { # REGEX hkwire-args...: exit 0 and a line matching
	local re=$1 out
	shift
	out=$(hw "$@" 2>&1) || net_fail "hkwire $*: $out"
	echo "$out" | grep -Eq -- "$re" || net_fail "hkwire $*: no line /$re/ in: $out"
	echo "$out" | head -1
}
expect '^ping sent 10 received 10 bad 0 ' ping --to "$router" --count 10
expect '^ping sent 20 received 20 bad 0 ' ping --to "$p::102:0" --count 20 --size 1452
expect '^udp sent 2000 received 2000 bad 0$' udp --to "$p::105:0" --port 7 --count 2000

# The router's counters through the proxy, read by a plain UDP socket, twice
# 300 ms apart until free pages and packet pages agree (none in flight).
port=$((20000 + $$ % 20000))
get() { awk -v k="$2" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' "$HK_NET_TMP/$1"; }
ask() { # into $HK_NET_TMP/$1, through the open socket
	printf stats >&3
	timeout 3 dd bs=65536 count=1 status=none <&3 >"$HK_NET_TMP/$1"
	grep -q '^rx_frames ' "$HK_NET_TMP/$1" || net_fail "no counters through the proxy: $(cat "$HK_NET_TMP/$1")"
}
stats() { # into $HK_NET_TMP/$1
	local n
	net_bg proxy 30 "$HKWIRE" --dgram "$H,$N" proxy --listen "[::1]:$port" --to "[$router]:9901" --seconds 20
	net_bg_ready proxy 'proxy \['
	exec 3<>"/dev/udp/::1/$port"
	for ((n = 1; n <= 10; n++)); do
		ask "$1.0"
		sleep 0.3
		ask "$1"
		[ "$(get "$1.0" node.free_pages) $(get "$1.0" node.pool_free)" = \
			"$(get "$1" node.free_pages) $(get "$1" node.pool_free)" ] && break
	done
	exec 3>&-
	net_bg_signal proxy INT
	net_bg_wait proxy || net_fail "proxy: $(cat "$HK_NET_TMP/proxy.out")"
	grep -qx "proxy up $((2 * n)) down $((2 * n)) dropped 0" "$HK_NET_TMP/proxy.out" ||
		net_fail "proxy: $(cat "$HK_NET_TMP/proxy.out")"
	[ $n -le 10 ] || net_fail "the node's free pages did not settle: $(cat "$HK_NET_TMP/$1")"
}
# kanctl over the unprivileged link: hkwire's proxy forwards a local port
# to the management service (docs/mgmt-protocol.md "Host links").
mport=$((port + 1))
net_bg mproxy 30 "$HKWIRE" --dgram "$H,$N" proxy --listen "[::1]:$mport" --to "[$p::2]:9900" --seconds 20
net_bg_ready mproxy 'proxy \['
out=$(net_run 20 "$HEKATE_BUILD/kanctl" --node ::1 --port $mport ps 2>&1) || net_fail "kanctl ps through the proxy: $out"
echo "$out" | grep -Eq '^echo +[0-9]+ running' || net_fail "kanctl ps through the proxy: $out"
out=$(net_run 20 "$HEKATE_BUILD/kanctl" --node ::1 --port $mport counters count 2>&1) || net_fail "kanctl counters: $out"
echo "$out" | grep -q '^count passed 2000$' || net_fail "kanctl counters through the proxy (want count passed 2000): $out"
net_bg_signal mproxy INT
net_bg_wait mproxy || net_fail "proxy to the management service: $(cat "$HK_NET_TMP/mproxy.out")"
echo "kanctl through the proxy: ps and counters (count passed 2000) over the unprivileged link"

stats before
echo "proxy: the router's counters read from a plain socket (rx_frames $(get before rx_frames))"

# Paced: a flood of the receive ring is another test (see barrage.sh).
hw barrage --count 500 --rate "${RATE:-5000}" >"$HK_NET_TMP/sent" ||
	net_fail "barrage: $(cat "$HK_NET_TMP/sent")"
sleep 1
stats after
while read -r _ class n reason; do
	d=$(($(get after "drop.$reason") - $(get before "drop.$reason")))
	[ "$d" = "$n" ] || net_fail "$class: $n sent, the router counted $d under $reason"
done <"$HK_NET_TMP/sent"
for k in node.free_pages node.pool_free; do
	[ "$(get before $k)" = "$(get after $k)" ] || net_fail "$k: $(get before $k) before, $(get after $k) after"
done
echo "barrage over the socket: $(wc -l <"$HK_NET_TMP/sent") classes x 500, each counted under its reason; pages as before"
expect '^ping sent 5 received 5 bad 0 ' ping --to "$p::102:0" --count 5
tr -d '\r' <"$HK_NET_LOG" | grep -E '^fault:|killed|restarting|exited with status [1-9]' &&
	net_fail "a process faulted or failed"
echo PASS
