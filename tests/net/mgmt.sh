#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Management over the packet fabric (ctest label net): kanctl against the
# default node's management service at fd00:6b61:6e00:1::2.
#   ps          every manifest process, running, at its addresses
#   counters    move by exactly what the host sent through the pipeline
#   route       add steers the pipeline's address to count (acl skipped),
#               del restores it; bad routes are refused and change nothing
#   kill/restart  of count under traffic: held, then running with a restart
#   access      unsigned, wrongly signed, replayed and foreign-address
#               writes are refused and counted; the table is unchanged
#   ping        through the node: a stage, the router, the host beyond it;
#               an unbound address is unreachable, a silent one times out
#   pipe        set echo3 without count (count sees nothing), reordered
#               (count first, the entry route follows), back; bad ones refused
#   capture     of count during echoes: a pcap tshark reads, exactly the
#               packets asked for, all between the host and echo
#   barrage     malformed requests of every class: each answered with its
#               error or dropped, counted; the service keeps answering
# Usage: mgmt.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/node.sh"
node_up "$1" "$top/servers/default.manifest" "^mgmt: serving"
wait_line "^acl: worker at" 30
p=fd00:6b61:6e00:1 echo=fd00:6b61:6e00:1::105:0
KEY=6b616e63746c2d6465762d6b65792d6368616e67652d6d652d706c65617365
K() { in_ns "$BUILD/kanctl" --timeout-ms 3000 "$@"; }
KW() { K --key $KEY "$@"; }
# ctr PROCESS NAME: one counter's value (empty if absent)
ctr() { K counters "$1" | awk -v k="$2" '$2 == k { print $3 }'; }
echoes() { in_ns "$BUILD/hkcheck" echo $echo 7 "$1" 4 200 8; }

# --- ps --------------------------------------------------------------------------------------
ps=$(K ps) || fail "kanctl ps"
i=0
for name in init mac ping acl count echo mgmt; do
	echo "$ps" | awk -v n=$name -v a=$p::10$i:0 '$1 == n && $3 == "running" {
		for (f = 8; f <= NF; f++) if ($f == a) ok = 1 } END { exit !ok }' ||
		fail "ps: $name not running at $p::10$i:0:"$'\n'"$ps"
	i=$((i + 1))
done
echo "$ps" | awk -v a=$p::2 '$1 == "mgmt" { for (f = 8; f <= NF; f++) if ($f == a) ok = 1 } END { exit !ok }' ||
	fail "ps: mgmt does not show the well-known address $p::2"
K --json ps | grep -q '"name":"echo","index":5' || fail "ps --json"
echo "ps: 7 processes running at their addresses: ok"

# --- counters ---------------------------------------------------------------------------------
a0=$(ctr acl passed) c0=$(ctr count udp) e0=$(ctr echo echoed) k0=$(ctr echo kan.pkts_in)
out=$(echoes 300) || fail "echoes: $out"
a1=$(ctr acl passed) c1=$(ctr count udp) e1=$(ctr echo echoed) k1=$(ctr echo kan.pkts_in)
[ $((a1 - a0)) = 300 ] && [ $((c1 - c0)) = 300 ] && [ $((e1 - e0)) = 300 ] && [ $((k1 - k0)) -ge 300 ] ||
	fail "counters after 300 echoes: acl passed +$((a1 - a0)), count udp +$((c1 - c0)), echo echoed +$((e1 - e0)), echo kan.pkts_in +$((k1 - k0))"
w=$(K counters count --watch --count 2 --interval-ms 100 | grep -c '^count udp ') || true
[ "$w" = 2 ] || fail "counters --watch --count 2 printed $w samples"
echo "counters: acl, count, echo and the kernel each counted the 300 datagrams: ok"

# --- routes -----------------------------------------------------------------------------------
before=$(K route show) || fail "route show"
echo "$before" | grep -qx "$echo/128 worker acl (built-in)" || fail "no pipeline route:"$'\n'"$before"
KW route add $echo/128 worker count >/dev/null || fail "route add"
K route show | grep -qx "$echo/128 worker count (override)" || fail "route add not visible"
a0=$(ctr acl passed) c0=$(ctr count udp)
out=$(echoes 100) || fail "echoes through count: $out"
a1=$(ctr acl passed) c1=$(ctr count udp)
[ $((a1 - a0)) = 0 ] && [ $((c1 - c0)) = 100 ] || fail "steered: acl passed +$((a1 - a0)), count udp +$((c1 - c0)); want 0, 100"
KW route del $echo/128 >/dev/null || fail "route del"
[ "$(K route show)" = "$before" ] || fail "route del did not restore the table"
out=$(echoes 100) || fail "echoes after del: $out"
[ $(($(ctr acl passed) - a1)) = 100 ] || fail "route del: acl no longer sees the pipeline's traffic"
echo "routes: add steered 100 echoes to count past acl, del restored acl: ok"
bad() { # bad EXIT-STATUS WORDS...: kanctl must fail with that status and say why
	local want=$1 rc=0 msg
	shift
	msg=$(KW "$@" 2>&1) || rc=$?
	[ $rc = "$want" ] && [ -n "$msg" ] || fail "kanctl $*: exit $rc (want $want): $msg"
	echo "  refused: kanctl $* -> $msg"
}
bad 1 route add $echo/129 drop
bad 1 route add $p::105:1/64 drop
bad 1 route add fdee::/16 worker nosuch
bad 1 route add fdee::/16 worker init
bad 1 route add fdee::/16 via fd00:9::1
bad 1 route add fd00:6b61:6e00:ff::/64 drop
bad 1 route del fd00:6b61:6e00:ff::/64
bad 1 route del fdee::/16
bad 1 route del $echo/128
bad 2 route add fdee::/16
bad 2 route add fdee::1/999 drop
[ "$(K route show)" = "$before" ] || fail "a refused route changed the table"
echo "routes: 11 bad routes refused, table unchanged: ok"

# --- kill and restart under traffic -------------------------------------------------------------
in_ns "$BUILD/hkcheck" echo $echo 7 3000 1 200 4 >/dev/null 2>&1 &
PIDS+=($!)
traffic=${PIDS[-1]}
KW kill count >/dev/null || fail "kill count"
for _ in $(seq 50); do K ps | awk '$1 == "count" && $3 == "held" { f = 1 } END { exit !f }' && break; sleep 0.1; done
K ps | awk '$1 == "count" && $3 == "held" && $2 == -1 && $6 == "killed" { f = 1 } END { exit !f }' ||
	fail "ps after kill: $(K ps)"
K counters count | grep -q "no answer" || fail "a killed count still answers counters"
bad 1 kill count
KW restart count >/dev/null || fail "restart count"
for _ in $(seq 50); do K ps | awk '$1 == "count" && $3 == "running" { f = 1 } END { exit !f }' && break; sleep 0.1; done
K ps | awk '$1 == "count" && $3 == "running" && $5 == 1 { f = 1 } END { exit !f }' ||
	fail "ps after restart (want running, 1 restart): $(K ps)"
wait "$traffic" || true
c0=$(ctr count udp)
out=$(echoes 50) || fail "echoes after restart: $out"
[ $(($(ctr count udp) - c0)) = 50 ] || fail "the restarted count does not count"
bad 1 kill mgmt
bad 1 kill init
bad 1 kill nosuch
echo "kill/restart: count held, then running with 1 restart and counting again: ok"

# --- access control -----------------------------------------------------------------------------
before=$(K route show)
m() { ctr mgmt "$1"; }
n0=$(m refused.noauth) b0=$(m refused.badauth) r0=$(m refused.replay) f0=$(m refused.forbidden)
out=$(in_ns "$BUILD/mgmtcheck" auth $p::2 $KEY) || fail "mgmtcheck auth: $out"
echo "  $out"
KW route del fdee::/16 >/dev/null || fail "removing the route mgmtcheck added"
rc=0; K --key 00112233 route add fdef::/16 drop 2>/dev/null || rc=$?
[ $rc = 1 ] || fail "a wrongly signed write: exit $rc"
ip -n "$NS" addr add fd00:6b61:6e00:ff::3/64 dev tap0 nodad
rc=0; K --bind fd00:6b61:6e00:ff::3 --key $KEY route add fdef::/16 drop 2>/dev/null || rc=$?
[ $rc = 1 ] || fail "a write from an unlisted address: exit $rc"
[ $(($(m refused.noauth) - n0)) = 1 ] && [ $(($(m refused.badauth) - b0)) = 1 ] &&
	[ $(($(m refused.replay) - r0)) = 1 ] && [ $(($(m refused.forbidden) - f0)) = 1 ] ||
	fail "refusals counted: noauth +$(($(m refused.noauth) - n0)) badauth +$(($(m refused.badauth) - b0)) replay +$(($(m refused.replay) - r0)) forbidden +$(($(m refused.forbidden) - f0))"
[ "$(K route show)" = "$before" ] || fail "a refused write changed the table"
K --bind fd00:6b61:6e00:ff::3 ps >/dev/null || fail "reads are open to any address on the link"
ip -n "$NS" addr del fd00:6b61:6e00:ff::3/64 dev tap0 # later writes come from ::1 again
echo "access: unsigned, badly signed, replayed and foreign writes refused and counted: ok"

# --- ping ---------------------------------------------------------------------------------------
for a in $echo $p::101:0 fd00:6b61:6e00:ff::1; do
	out=$(K ping $a) || fail "ping $a: $out"
	echo "$out" | grep -Eq "^reply from $a: rtt [0-9]+ us$" || fail "ping $a: $out"
done
K --json ping $echo | grep -Eq "^\{\"from\":\"$echo\",\"rtt_us\":[0-9]+\}$" || fail "ping --json"
rc=0; out=$(K ping $p::1ff:0 2>&1) || rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "unreachable (nothing bound there" || fail "ping of an unbound address: exit $rc: $out"
rc=0; out=$(K ping fd99::1 2>&1) || rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "unreachable (no route" || fail "ping off the routes: exit $rc: $out"
rc=0; out=$(K ping $p::100:0 2>&1) || rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "no answer from $p::100:0" || fail "ping of init (no echo): exit $rc: $out"
echo "ping: echo, the router and the host answer; unbound is unreachable, init times out: ok"

# --- pipelines --------------------------------------------------------------------------------------
pipes=$(K pipe show) || fail "pipe show"
[ "$pipes" = "echo3: acl -> count -> echo" ] || fail "pipe show: $pipes"
routes=$(K route show)
out=$(KW pipe set echo3 acl,echo 2>&1) || fail "pipe set echo3 acl,echo: $out"
[ "$(K pipe show)" = "echo3: acl -> echo" ] || fail "pipe show after set: $(K pipe show)"
a0=$(ctr acl passed) c0=$(ctr count udp) e0=$(ctr echo echoed)
out=$(echoes 100) || fail "echoes without count: $out"
a1=$(ctr acl passed) c1=$(ctr count udp) e1=$(ctr echo echoed)
[ $((a1 - a0)) = 100 ] && [ $((c1 - c0)) = 0 ] && [ $((e1 - e0)) = 100 ] ||
	fail "acl,echo: acl +$((a1 - a0)) count +$((c1 - c0)) echo +$((e1 - e0)); want 100, 0, 100"
out=$(KW pipe set echo3 count,acl,echo 2>&1) || fail "pipe set echo3 count,acl,echo: $out"
K route show | grep -qx "$echo/128 worker count (built-in)" || fail "entry route after reorder: $(K route show)"
out=$(echoes 100) || fail "echoes count first: $out"
[ $(($(ctr acl passed) - a1)) = 100 ] && [ $(($(ctr count udp) - c1)) = 100 ] ||
	fail "count,acl,echo: acl +$(($(ctr acl passed) - a1)) count +$(($(ctr count udp) - c1))"
bad 1 pipe set echo3 acl,init
bad 1 pipe set echo3 acl,mgmt
bad 1 pipe set echo3 acl,nosuch
bad 1 pipe set nosuch acl,echo
bad 1 pipe set echo3 acl,acl
bad 2 pipe set echo3 acl
bad 2 pipe set echo3 a,b,c,d,e,f,g,h,i
[ "$(K pipe show)" = "echo3: count -> acl -> echo" ] || fail "a refused change changed the pipeline: $(K pipe show)"
out=$(KW pipe set echo3 acl,count,echo 2>&1) || fail "pipe set back: $out"
[ "$(K pipe show)" = "$pipes" ] && [ "$(K route show)" = "$routes" ] || fail "the pipeline or routes did not come back"
out=$(echoes 50) || fail "echoes after restoring: $out"
echo "pipe: without count, count first, back; 7 bad changes refused: ok"

# --- capture -----------------------------------------------------------------------------------------
pcap=$(mktemp --suffix=.pcap)
KW capture --process count --count 40 --duration-ms 20000 -w "$pcap" 2>"$pcap.err" &
cap=$!
PIDS+=($cap)
for _ in $(seq 100); do kill -0 $cap 2>/dev/null || break; echoes 5 >/dev/null || true; done
wait $cap || fail "kanctl capture: $(cat "$pcap.err")"
cat "$pcap.err"
grep -q "^40 packets captured" "$pcap.err" || fail "capture summary: $(cat "$pcap.err")"
# tshark -r: its stderr only ever says it runs as root
ts() { tshark -r "$pcap" "$@" 2>/dev/null || fail "tshark -r $pcap $* failed"; }
flows=$(ts -T fields -e ipv6.src -e ipv6.dst -e udp.dstport | sort | uniq -c | sed 's/^ *//')
[ "$flows" = "40 fd00:6b61:6e00:ff::1	$echo	7" ] || fail "captured flows (want 40 host -> echo:7):"$'\n'"$flows"
KW capture --process ping --count 5 --duration-ms 300 -w "$pcap" 2>"$pcap.err" || fail "a quiet capture: $(cat "$pcap.err")"
grep -q "^0 packets captured" "$pcap.err" && [ -z "$(ts)" ] || fail "a quiet capture: $(cat "$pcap.err")"
KW capture --count 20 --snaplen 64 --duration-ms 20000 -w "$pcap" 2>"$pcap.err" &
cap=$!
PIDS+=($cap)
for _ in $(seq 100); do kill -0 $cap 2>/dev/null || break; echoes 5 >/dev/null || true; done
wait $cap || fail "kanctl capture --snaplen 64: $(cat "$pcap.err")"
sizes=$(ts -T fields -e frame.cap_len -e frame.len | awk '$1 > 64 || $1 > $2 { bad++ } END { print NR, bad + 0 }')
[ "$sizes" = "20 0" ] || fail "capture --snaplen 64 of everything: $sizes (records, records over 64 or over their length)"
# a read during a capture is answered after it; a capture whose kanctl went
# away ends at its next packet (the host's port unreachable), not at its time limit
KW capture --process ping --count 5 --duration-ms 1500 -w "$pcap" 2>/dev/null &
cap=$!
PIDS+=($cap)
out=$(K --tries 1 --timeout-ms 4000 info) || fail "a read during a capture: $out"
wait $cap || fail "the capture a read waited for"
KW capture --count 99999 --duration-ms 60000 -w "$pcap" 2>/dev/null &
cap=$!
PIDS+=($cap)
echoes 5 >/dev/null || true
pkill -f -- "kanctl .*capture --count 99999" || fail "no capture to stop"
wait $cap 2>/dev/null || true
for _ in $(seq 20); do echoes 2 >/dev/null || true; K --tries 1 --timeout-ms 500 info >/dev/null 2>&1 && break; done
K --tries 1 --timeout-ms 2000 info >/dev/null || fail "the service still streams to a kanctl that is gone"
rc=0; KW capture --process nosuch -w "$pcap" 2>/dev/null || rc=$?
[ $rc = 1 ] || fail "capture of no process: exit $rc"
rm -f "$pcap" "$pcap.err"
echo "capture: 40 packets of count, all host -> echo:7, read by tshark; a quiet one, a snaplen, a read waiting, kanctl gone: ok"

# --- malformed-request barrage -------------------------------------------------------------------
q0=$(m requests) d0=$(m dropped)
out=$(in_ns "$BUILD/mgmtcheck" barrage $p::2 7) || fail "barrage: $out"
echo "$out" | sed 's/^/  /'
sent=$(echo "$out" | awk '/ sent / { s += $3 } END { print s }')
dropped=$(echo "$out" | awk '/ sent / { s += $7 } END { print s }')
q1=$(m requests) d1=$(m dropped)
infos=$(echo "$out" | awk '/^info requests/ { print $3 }')
[ $((q1 - q0)) = $((sent + infos + 2)) ] && [ $((d1 - d0)) = "$dropped" ] ||
	fail "mgmt counted $((q1 - q0)) requests and $((d1 - d0)) drops; the barrage sent $sent (+$infos info +2 reads), $dropped unanswered"
K info >/dev/null || fail "the service stopped answering"
echo "barrage: $sent malformed requests answered or dropped and counted; still serving: ok"

node_stop
echo "mgmt: PASS"
