# SPDX-License-Identifier: BSD-2-Clause
# Sourced by the net tests: one namespace with a tap device and a Hekate
# node behind it, everything removed on exit (even on failure), every wait
# bounded. Addresses (docs/host-link.md): the host is fd00:6b61:6e00:ff::1
# on the tap, the node's router ::2; the KAN prefix fd00:6b61:6e00:1::/64 is
# routed via the router. Traffic goes only to addresses inside the namespace.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NS=hk-$(basename "$0" .sh)-$$
LOG=$(mktemp)
QEMU_PID=
[ "$(id -u)" = 0 ] || { echo "FAIL: net tests need root (network namespaces)"; exit 1; }

cleanup() {
	for pid in ${PIDS[@]+"${PIDS[@]}"}; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
	ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -f "$LOG" "${IMG:-}"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	echo "----- node log -----"
	sed 's/\r$//' "$LOG"
	echo "----- end of node log -----"
	exit 1
}

in_ns() { timeout 120 ip netns exec "$NS" "$@"; }

# node_image BUILD MANIFEST NAME: pack the boot image into $IMG.
node_image() {
	IMG=$(mktemp --suffix=.cpio)
	"$top/tools/mkimage" "$IMG" "$2" "$1/aarch64/user" "$1/mkinitrd" >/dev/null
	BUILD=$1
}

# ns_up [TAPS]: the namespace; the host is fd00:6b61:6e00:ff::1 on tap0, or
# with TAPS > 1 on a bridge br0 joining tap0..tap(TAPS-1) (nodes on one link).
ns_up() {
	local taps=${1:-1} dev=tap0
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	for i in $(seq 0 $((taps - 1))); do
		ip -n "$NS" tuntap add dev tap$i mode tap ${NODE_MQ:+multi_queue}
		ip -n "$NS" link set tap$i up
	done
	if [ "$taps" -gt 1 ]; then
		dev=br0
		ip -n "$NS" link add br0 type bridge
		for i in $(seq 0 $((taps - 1))); do ip -n "$NS" link set tap$i master br0; done
		ip -n "$NS" link set br0 up
	fi
	ip -n "$NS" addr add fd00:6b61:6e00:ff::1/64 dev $dev nodad
	if [ -n "${NO_KAN_ROUTE:-}" ]; then # the host learns it from router advertisements
		# /proc/sys, not sysctl(8): procps is not on a minimal machine
		ip netns exec "$NS" sh -c "echo 2 >/proc/sys/net/ipv6/conf/$dev/accept_ra &&
			echo 64 >/proc/sys/net/ipv6/conf/$dev/accept_ra_rt_info_max_plen"
	else
		ip -n "$NS" -6 route add fd00:6b61:6e00:1::/64 via fd00:6b61:6e00:ff::2 dev $dev
	fi
}

# node_boot IMAGE TAP MAC LOG [QEMU args...]: a node on TAP, its pid appended to PIDS.
# With NODE_MQ=N the tap and the device have N queue pairs.
PIDS=()
node_boot() {
	HEKATE_BUILD=$BUILD ip netns exec "$NS" timeout 600 "$top/tools/qemu-run" --quiet ${NODE_RUN_ARGS:-} \
		--initrd "$1" -- -global virtio-mmio.force-legacy=false \
		-netdev tap,id=n0,ifname=$2,script=no,downscript=no${NODE_MQ:+,queues=$NODE_MQ} \
		-device virtio-net-device,netdev=n0,mac=$3${NODE_MQ:+,mq=on} "${@:5}" >"$4" 2>&1 &
	PIDS+=($!)
}

# node_start NAME [QEMU args...]: the namespace, its tap, and one node behind it.
node_start() {
	ns_up 1
	node_boot "$IMG" tap0 52:54:00:12:34:56 "$LOG" "${@:2}"
	QEMU_PID=${PIDS[-1]}
}

# wait_line REGEX SECONDS: until the node's log has a matching line.
wait_line() {
	for _ in $(seq $(($2 * 10))); do
		sed 's/\r$//' "$LOG" | grep -Eq -- "$1" && return 0
		kill -0 "$QEMU_PID" 2>/dev/null || fail "the node ended before a line matched $1"
		sleep 0.1
	done
	fail "no line matched $1 within $2 s"
}

# node_stop [faults-expected]: no panic, and no fault unless the test caused one.
node_stop() {
	local bad="^panic|^fault:"
	[ "${1:-}" = faults-expected ] && bad="^panic"
	sed 's/\r$//' "$LOG" | grep -Eq "$bad" && fail "the node panicked or a process faulted"
	kill "$QEMU_PID" 2>/dev/null
	wait "$QEMU_PID" 2>/dev/null || true
	QEMU_PID=
}

# node_up MANIFEST: pack it, boot it behind tap0, wait for the router and
# the line LAST_LINE (a worker's) to say they are ready. Sets build from $1.
node_up() {
	build=$1
	node_image "$build" "$2" "$(basename "$2" .manifest)"
	node_start "$(basename "$2" .manifest)"
	wait_line "$3" 30
	wait_line "^netmac: routing:" 30
}

# stat ADDR KEY: one counter of the process at ADDR (0 if it has none).
stat() {
	in_ns "$BUILD/hkcheck" stats "$1" | awk -v k="$2" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }'
}
