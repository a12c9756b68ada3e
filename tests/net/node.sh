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
	[ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2>/dev/null && wait "$QEMU_PID" 2>/dev/null
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

# node_start NAME [QEMU args...]: the namespace, its tap, and the node behind it.
node_start() {
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	ip -n "$NS" tuntap add dev tap0 mode tap
	ip -n "$NS" link set tap0 up
	ip -n "$NS" addr add fd00:6b61:6e00:ff::1/64 dev tap0 nodad
	ip -n "$NS" -6 route add fd00:6b61:6e00:1::/64 via fd00:6b61:6e00:ff::2 dev tap0
	HEKATE_BUILD=$BUILD ip netns exec "$NS" timeout 600 "$top/tools/qemu-run" --quiet \
		--initrd "$IMG" -- -global virtio-mmio.force-legacy=false \
		-netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
		-device virtio-net-device,netdev=n0,mac=52:54:00:12:34:56 "${@:2}" >"$LOG" 2>&1 &
	QEMU_PID=$!
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
