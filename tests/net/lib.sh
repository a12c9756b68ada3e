# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Shared by the network tests (tests/net/*.sh, ctest label `net`; source it
# from bash). A test gets a network namespace of its own with a tap device,
# the host's address on it and a route to the node's KAN prefix; QEMU runs
# inside it on that tap; every wait has a time limit; and whatever happens
# (failure, Ctrl-C, an error in the test), the EXIT trap stops QEMU and
# the test's background commands and removes the tap, the namespace and
# the temporary files. Traffic only ever goes to addresses inside the
# namespace. Layout and addresses: docs/host-link.md.
#
#   net_require_root                   fail (exit 1) unless root: CI runs as root
#   net_init NAME                      names hk-NAME-$$, temp dir, the cleanup trap
#   net_ns_create                      namespace, lo up, tap, address, route to the KAN;
#                                      without it QEMU and commands run where the test
#                                      runs (the unprivileged dgram link, no root)
#   net_qemu_start IMAGE [QEMU ARGS]   boot a node on the tap in the background
#   net_wait_log REGEX [SECONDS]       wait for a console line (log shown on failure)
#   net_run SECONDS CMD...             run CMD in the namespace under `timeout`
#   net_bg NAME SECONDS CMD...         the same in the background (output: $HK_NET_TMP/NAME.out)
#   net_bg_ready NAME REGEX [SECONDS]  wait for a line in its output (e.g. "ready")
#   net_bg_signal NAME SIGNAL          signal it (timeout passes INT/TERM on)
#   net_bg_wait NAME                   its exit status
#   net_fail MESSAGE                   print FAIL, the console log, exit 1
#   net_teardown                       what the trap runs; net_check_clean checks it worked
#
# Every address and name is a variable a test may set before net_init:
: "${HK_LINK_PREFIX:=fd00:6b61:6e00:ff}"        # the link's /64 (its first four groups)
: "${HK_HOST_ADDR:=$HK_LINK_PREFIX::1}"         # the host's address on tap0
: "${HK_ROUTER_ADDR:=$HK_LINK_PREFIX::2}"       # the node's router on the link
: "${HK_KAN_PREFIX:=fd00:6b61:6e00:1::/64}"     # the node's KAN prefix, routed via the router
: "${HK_TAP:=tap0}"
: "${HK_TAP_MTU:=1500}"
: "${HK_NODE_MAC:=52:54:00:12:34:56}"
: "${HK_QEMU_SECONDS:=300}"                      # hard limit on one QEMU run
: "${HK_BOOT_SECONDS:=60}"                       # default wait for a console line

HK_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${HEKATE_BUILD:=$HK_TOP/build}"
: "${HKWIRE:=$HEKATE_BUILD/hkwire}"
export HEKATE_BUILD

HK_NET_NS="" HK_NET_TMP="" HK_NET_LOG="" HK_NET_QEMU_PID="" HK_NET_LINKS_BEFORE=""
HK_NET_IN=() # the prefix that runs a command in the namespace, once there is one
declare -A HK_NET_BG=()

net_require_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "FAIL: ${0##*/} needs root (network namespaces, tap devices); CI runs as root" >&2
		exit 1
	fi
}

# The link names of the root namespace, to prove nothing was left there.
net_links() { ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort; }

net_init() {
	HK_NET_NS="hk-$1-$$"
	HK_NET_TMP=$(mktemp -d "/tmp/hk-$1.XXXXXX")
	HK_NET_LOG=$HK_NET_TMP/console.log
	HK_NET_LINKS_BEFORE=$(net_links)
	trap net_teardown EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

net_ns_create() {
	local ns=$HK_NET_NS
	ip netns add "$ns" || net_fail "cannot create namespace $ns"
	HK_NET_IN=(ip netns exec "$ns")
	ip -n "$ns" link set lo up &&
		ip -n "$ns" tuntap add dev "$HK_TAP" mode tap &&
		ip -n "$ns" link set "$HK_TAP" mtu "$HK_TAP_MTU" &&
		ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$HK_TAP.accept_dad=0" &&
		ip -n "$ns" -6 addr add "$HK_HOST_ADDR/64" dev "$HK_TAP" nodad &&
		ip -n "$ns" link set "$HK_TAP" up &&
		ip -n "$ns" -6 route add "$HK_KAN_PREFIX" via "$HK_ROUTER_ADDR" dev "$HK_TAP" ||
		net_fail "cannot set up $HK_TAP in $ns"
}

# The node's NIC on the tap; a test may set HK_QEMU_NET (an array) instead.
net_default_nic() {
	HK_QEMU_NET=(-netdev "tap,id=n0,ifname=$HK_TAP,script=no,downscript=no"
		-device "virtio-net-device,netdev=n0,mac=$HK_NODE_MAC"
		-global virtio-mmio.force-legacy=false)
}

net_qemu_start() {
	local image=$1
	shift
	[ -f "$image" ] || net_fail "no boot image $image (build it first: make)"
	[ -n "${HK_QEMU_NET+x}" ] || net_default_nic
	: >"$HK_NET_LOG"
	"${HK_NET_IN[@]}" timeout -k 5 "$HK_QEMU_SECONDS" \
		"$HK_TOP/tools/qemu-run" --initrd "$image" -- -name "$HK_NET_NS" "${HK_QEMU_NET[@]}" "$@" \
		</dev/null >"$HK_NET_LOG" 2>&1 &
	HK_NET_QEMU_PID=$!
}

net_qemu_alive() { [ -n "$HK_NET_QEMU_PID" ] && kill -0 "$HK_NET_QEMU_PID" 2>/dev/null; }

net_show_log() {
	echo "FAIL: $*"
	echo "----- console log ($HK_NET_LOG) -----"
	[ -f "$HK_NET_LOG" ] && tr -d '\r' <"$HK_NET_LOG"
	echo "----- end of console log -----"
}

net_fail() {
	net_show_log "$@"
	exit 1
}

net_wait_log() {
	local re=$1 secs=${2:-$HK_BOOT_SECONDS} i
	for ((i = 0; i <= secs * 5; i++)); do
		tr -d '\r' <"$HK_NET_LOG" | grep -Eq -- "$re" && return 0
		net_qemu_alive || break
		sleep 0.2
	done
	tr -d '\r' <"$HK_NET_LOG" | grep -Eq -- "$re" && return 0
	net_qemu_alive || net_fail "QEMU ended before a console line matched: $re"
	net_fail "no console line matched within ${secs}s: $re"
}

net_run() {
	local secs=$1
	shift
	timeout -k 2 "$secs" "${HK_NET_IN[@]}" "$@"
}

net_bg() {
	local name=$1 secs=$2
	shift 2
	timeout -k 2 "$secs" "${HK_NET_IN[@]}" "$@" >"$HK_NET_TMP/$name.out" 2>&1 &
	HK_NET_BG[$name]=$!
}

# Wait until NAME's output has a line matching REGEX (a "ready" line).
net_bg_ready() {
	local name=$1 re=$2 secs=${3:-10} i
	for ((i = 0; i <= secs * 10; i++)); do
		grep -Eq -- "$re" "$HK_NET_TMP/$name.out" 2>/dev/null && return 0
		kill -0 "${HK_NET_BG[$name]}" 2>/dev/null || break
		sleep 0.1
	done
	net_fail "$name was not ready within ${secs}s: $(cat "$HK_NET_TMP/$name.out" 2>/dev/null)"
}

# Send a signal to NAME (timeout passes it on to the command).
net_bg_signal() { kill "-$2" "${HK_NET_BG[$1]}" 2>/dev/null; }

net_bg_wait() {
	local pid=${HK_NET_BG[$1]}
	wait "$pid"
	local rc=$?
	unset "HK_NET_BG[$1]"
	return $rc
}

# Stop pid (TERM, then KILL after 5 s) and reap it.
net_stop() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# Idempotent; keeps the exit status of the test.
net_teardown() {
	local rc=$? pid
	trap - EXIT INT TERM
	for pid in "${HK_NET_BG[@]}"; do
		net_stop "$pid"
	done
	HK_NET_BG=()
	[ -n "$HK_NET_QEMU_PID" ] && net_stop "$HK_NET_QEMU_PID"
	HK_NET_QEMU_PID=""
	if [ -n "$HK_NET_NS" ] && ip netns list | grep -q "^$HK_NET_NS\b"; then
		for pid in $(ip netns pids "$HK_NET_NS" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null # anything still inside: only this test's
		done
		ip -n "$HK_NET_NS" link del "$HK_TAP" 2>/dev/null
		ip netns del "$HK_NET_NS"
	fi
	[ -n "$HK_NET_TMP" ] && rm -rf "$HK_NET_TMP"
	HK_NET_TMP=""
	return $rc
}

# After net_teardown: no namespace, no link added to the root namespace,
# no QEMU (net_qemu_start names it -name NS); 0 or a message and 1.
net_check_clean() {
	local left=()
	ip netns list | grep -q "^$HK_NET_NS\b" && left+=("namespace $HK_NET_NS")
	[ "$(net_links)" = "$HK_NET_LINKS_BEFORE" ] || left+=("links in the root namespace changed")
	local c
	for c in /proc/[0-9]*/cmdline; do # a QEMU still named after the namespace
		tr '\0' ' ' <"$c" 2>/dev/null | grep -q "^qemu-system.* -name $HK_NET_NS " && left+=("QEMU")
	done
	[ ${#left[@]} = 0 ] && return 0
	echo "FAIL: left behind: ${left[*]}"
	return 1
}
