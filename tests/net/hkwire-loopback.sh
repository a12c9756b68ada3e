#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# hkwire against itself over unix datagram sockets, the transport of the
# unprivileged `make run` (QEMU -netdev dgram): no root, no QEMU, no node.
# One hkwire plays the node (fake-node: the node's own checks, an echo
# responder, NDP) and the others are the host: ping, udp, the barrage
# (every class counted under its reason on the far side), the proxy with
# an ordinary socket client, probes between two hkwire, the refusals of
# bad arguments, and failures that must be reported as such. Every
# command runs under `timeout`.
set -uo pipefail
HKWIRE=${HKWIRE:-${HEKATE_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}/hkwire}
[ -x "$HKWIRE" ] || { echo "FAIL: no hkwire at $HKWIRE"; exit 1; }
work=$(mktemp -d /tmp/hkwire-loop.XXXXXX)
declare -A bg=()
cleanup() {
	local p
	for p in "${bg[@]}"; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}

NODE_MAC=52:54:00:12:34:56 HOST_MAC=52:54:00:00:00:02
ROUTER=fd00:6b61:6e00:ff::2 HOST=fd00:6b61:6e00:ff::1 KAN=fd00:6b61:6e00:1::/64
W=$work/wire.sock N=$work/node.sock # hkwire's socket, the stand-in's
host=(--mac "$HOST_MAC" --addr "$HOST" --router "$ROUTER")

hw() { timeout -k 2 60 "$HKWIRE" "$@"; }
# In the background: timeout itself, so that $! is the process that passes
# signals on (a backgrounded function would be a subshell that does not).
hw_bg() {
	local out=$1
	shift
	timeout -k 2 60 "$HKWIRE" "$@" >"$out" 2>&1 &
}
# expect STATUS OUTPUT-REGEX -- hkwire args: run it, check both
expect() {
	local want=$1 re=$2 out rc
	shift 3
	out=$(hw "$@" 2>&1)
	rc=$?
	[ "$rc" = "$want" ] || fail "hkwire $* exited $rc, expected $want: $out"
	echo "$out" | grep -Eq -- "$re" || fail "hkwire $*: no line /$re/ in: $out"
}

node_start() { # [fake-node options]: the stand-in node on N, facing W
	hw_bg "$work/node.out" --dgram "$N,$W" fake-node --mac $NODE_MAC --addr $ROUTER --prefix $KAN --seconds 50 "$@"
	bg[node]=$!
	wait_ready "$work/node.out"
}
node_stop() { # INT makes it print its counters and exit 0
	kill -INT "${bg[node]}"
	wait "${bg[node]}" || fail "fake-node failed: $(cat "$work/node.out")"
	unset "bg[node]"
}

# 1. Bad arguments: usage errors (2), nothing run.
expect 2 'usage' -- 
expect 2 'unknown or missing command' -- --dgram "$W,$N" frobnicate
expect 2 'malformed value' -- --dgram "$W,$N" ping --mac 52:54:00:zz:00:01 --addr $HOST --router $ROUTER --to $ROUTER
expect 2 'malformed value' -- --dgram "$W,$N" ping "${host[@]}" --to fd00::zz
expect 2 'needs --to' -- --dgram "$W,$N" ping "${host[@]}"
expect 2 'does not apply' -- --dgram "$W,$N" ping "${host[@]}" --to $ROUTER --window 3
expect 2 'out of range' -- --dgram "$W,$N" udp "${host[@]}" --to $ROUTER --port 70000
expect 2 'out of range' -- --dgram "$W,$N" ping "${host[@]}" --to $ROUTER --count 0
expect 2 'one transport' -- --dgram "$W,$N" --tap lo ping "${host[@]}" --to $ROUTER
expect 2 'transport is needed' -- ping "${host[@]}" --to $ROUTER
expect 2 'LOCAL_PATH,REMOTE_PATH' -- --dgram "$W" ping "${host[@]}" --to $ROUTER
expect 2 'unknown or repeated' -- barrage --check --node-mac $NODE_MAC --src $HOST --dst $ROUTER --class nope
expect 2 'min-size is larger' -- --dgram "$W,$N" udp "${host[@]}" --to $ROUTER --port 7 --min-size 900 --max-size 100
expect 2 'malformed value: fd00::/48' -- --dgram "$W,$N" fake-node --mac $NODE_MAC --addr $ROUTER --prefix fd00::/48
echo "bad arguments: refused with status 2"

# 2. The barrage judged by the node's own checks, several seeds: every
# frame under its class's reason, no two frames of a class alike.
for seed in 1 7 123456789; do
	out=$(hw barrage --check --node-mac $NODE_MAC --src $HOST --dst $ROUTER --count 3000 --seed $seed) ||
		fail "barrage --check (seed $seed): $out"
	[ "$(echo "$out" | grep -Ec '^checked [a-z-]+ 3000 [a-z-]+ duplicates 0$')" = 12 ] ||
		fail "barrage --check (seed $seed): $out"
done
echo "barrage --check: 12 classes x 3000 frames x 3 seeds, each judged as its class"

wait_ready() { # FILE: until it holds a "ready" line
	for ((i = 0; i < 50; i++)); do
		grep -q ' ready$' "$1" && return 0
		sleep 0.1
	done
	fail "not ready: $(cat "$1")"
}

# 3. No node: bounded failures, status 3. Nobody at the socket: the send
# gives up; a peer that reads but never answers: the router is not found.
start=$SECONDS
expect 3 'is QEMU running' -- --dgram "$W,$N" ping "${host[@]}" --to $ROUTER
hw_bg "$work/mute.out" --dgram "$N,$W" probe-recv --count 10 --timeout-ms 3000
bg[mute]=$!
wait_ready "$work/mute.out"
expect 3 'did not answer 3 neighbour solicitations' -- --dgram "$W,$N" ping "${host[@]}" --to $ROUTER --timeout-ms 200
wait "${bg[mute]}"
unset "bg[mute]"
[ $((SECONDS - start)) -le 8 ] || fail "failing without a node took $((SECONDS - start)) s"
echo "no node: the send gives up, the router is not found: status 3, in bounded time"

# 4. Ping and UDP through the stand-in.
node_start
expect 0 '^ping sent 20 received 20 bad 0 late 0 errors 0 ' -- --dgram "$W,$N" ping "${host[@]}" --to fd00:6b61:6e00:1::101:0 --count 20
expect 0 '^ping sent 5 received 5 bad 0 ' -- --dgram "$W,$N" ping "${host[@]}" --to $ROUTER --count 5 --size 1452
expect 0 '^ping sent 3 received 3 bad 0 ' -- --dgram "$W,$N" ping "${host[@]}" --to fd00:6b61:6e00:1::102:7 --count 3 --size 0
# Off the prefix: the stand-in routes nowhere, so no reply: status 1, and in bounded time.
expect 1 '^ping sent 3 received 0 bad 0 ' -- --dgram "$W,$N" ping "${host[@]}" --to fd00:9::1 --count 3 --timeout-ms 200
expect 0 '^udp sent 3000 received 3000 bad 0$' -- --dgram "$W,$N" udp "${host[@]}" --to fd00:6b61:6e00:1::102:0 --port 7 --count 3000 --window 16
expect 0 '^udp sent 200 received 200 bad 0$' -- --dgram "$W,$N" udp "${host[@]}" --to fd00:6b61:6e00:1::103:0 --port 9 --count 200 --min-size 1452 --max-size 1452 --window 1
# Lost datagrams are reported, not hidden: nothing answers off the prefix.
expect 1 '^udp sent 50 received 0 bad 0$' -- --dgram "$W,$N" udp "${host[@]}" --to fd00:9::1 --port 7 --count 50 --timeout-ms 100
echo "ping and udp: every reply verified; losses reported with status 1"
node_stop

# A stand-in that spoils one echo in 10 (a data byte; checksums made valid):
# each spoiled one is caught as bad, and the run fails.
node_start --corrupt 10
expect 1 '^udp sent 200 received 180 bad 20$' -- --dgram "$W,$N" udp "${host[@]}" --to fd00:6b61:6e00:1::102:0 --port 7 --count 200
expect 1 '^ping sent 20 received 18 bad 2 ' -- --dgram "$W,$N" ping "${host[@]}" --to fd00:6b61:6e00:1::101:0 --count 20
node_stop
grep -q ' spoiled 22$' "$work/node.out" || fail "fake-node: $(cat "$work/node.out")"
echo "spoiled echoes: every one caught (udp 20 of 200, ping 2 of 20)"
node_start

# 5. The barrage over the socket: the stand-in counts each class under its reason.
hw --dgram "$W,$N" barrage --node-mac $NODE_MAC --src $HOST --dst $ROUTER --count 500 >"$work/barrage.out" ||
	fail "barrage: $(cat "$work/barrage.out")"
node_stop
[ "$(wc -l <"$work/barrage.out")" = 12 ] || fail "barrage printed: $(cat "$work/barrage.out")"
while read -r word class n reason; do
	[ "$word $n" = "sent 500" ] || fail "barrage line: $word $class $n $reason"
	grep -qx "drop $reason $n" "$work/node.out" || fail "$class: not counted as $reason $n: $(cat "$work/node.out")"
done <"$work/barrage.out"
grep -q '^fake-node frames 6000 ' "$work/node.out" || fail "$(cat "$work/node.out")"
echo "barrage over the socket: 12 classes x 500, each counted under its reason"

# 6. The proxy: an ordinary UDP socket (bash's /dev/udp) reaches the stand-in's echo.
node_start
port=$((20000 + $$ % 20000))
hw_bg "$work/proxy.out" --dgram "$W,$N" proxy "${host[@]}" --listen "[::1]:$port" \
	--to "[fd00:6b61:6e00:1::104:0]:7" --seconds 4
bg[proxy]=$!
for ((i = 0; i < 50; i++)); do
	grep -q 'proxy \[' "$work/proxy.out" && break
	sleep 0.1
done
exec 3<>"/dev/udp/::1/$port" || fail "no UDP socket to [::1]:$port"
for msg in "hello node" "second datagram, a little longer" x; do
	printf '%s' "$msg" >&3
	got=$(timeout 3 dd bs=65536 count=1 status=none <&3)
	[ "$got" = "$msg" ] || fail "proxy echoed '$got' for '$msg'"
done
exec 3>&-
wait "${bg[proxy]}" || fail "proxy: $(cat "$work/proxy.out")"
unset "bg[proxy]"
grep -qx 'proxy up 3 down 3 dropped 0' "$work/proxy.out" || fail "proxy: $(cat "$work/proxy.out")"
node_stop
echo "proxy: a plain socket's datagrams echoed through the stand-in"

# 7. Probes between two hkwire: sizes 26 (the probe header) to 9216, all intact.
hw_bg "$work/recv.out" --dgram "$N,$W" probe-recv --count 400 --min-size 26 --max-size 9216 --timeout-ms 3000
bg[recv]=$!
wait_ready "$work/recv.out"
expect 0 '^probe sent 400$' -- --dgram "$W,$N" probe-send --count 400 --min-size 26 --max-size 9216
wait "${bg[recv]}" || fail "probe-recv: $(cat "$work/recv.out")"
unset "bg[recv]"
grep -qx 'probe received 400 of 400 bad 0' "$work/recv.out" || fail "$(cat "$work/recv.out")"
# A receiver expecting other contents (another seed) calls every probe bad.
hw_bg "$work/recv.out" --dgram "$N,$W" probe-recv --count 20 --seed 9 --timeout-ms 1000
bg[recv]=$!
wait_ready "$work/recv.out"
hw --dgram "$W,$N" probe-send --count 20 >/dev/null
wait "${bg[recv]}" && fail "probe-recv accepted probes of another seed"
unset "bg[recv]"
grep -qx 'probe received 0 of 20 bad 20' "$work/recv.out" || fail "$(cat "$work/recv.out")"
echo "probes: 400 frames of 26..9216 bytes intact; wrong contents caught"
[ -z "$(ls "$work"/*.sock 2>/dev/null)" ] || fail "socket files left: $(ls "$work")"
echo PASS
