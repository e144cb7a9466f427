#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ci/vm-test.sh - the tests of ci/vm-run itself, as TAP (a "make test"
# phase).  Five guest boots: the guest's view of the world, an exit
# status, a provoked kernel WARNING (plain output, then TAP), a time-out.
set -uo pipefail

TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-$TOP/build}
export TOP BUILD
VM=$TOP/ci/vm-run
T=$(mktemp -d "$BUILD/vm-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
n=0

check() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -f "$T/out" ] && sed 's/^/# /' "$T/out" | tail -40
	fi
}

# vm ARGS... - run ci/vm-run, output in $T/out, seconds in $dt, status in $rc
vm() {
	local t0=$(date +%s)
	"$VM" "$@" 2>&1 | tr -d "\r" >"$T/out"
	rc=${PIPESTATUS[0]}
	dt=$(($(date +%s) - t0))
}

echo "TAP version 13"
echo "1..11"

release=$(cat "$BUILD/x86_64/include/config/kernel.release" 2>/dev/null)
# A file in the host's /tmp: the guest must see it, and its own writes to
# /tmp must stay in the guest.
host_tmp=$(mktemp /tmp/vm-test-host.XXXXXX)
echo from-host >"$host_tmp"
trap 'rm -rf "$T" "$host_tmp" "$host_tmp.guest"' EXIT
# One boot: the guest kernel, the host's root read-only, build/ writable at
# the same path, the caller's directory, root, the mounts init provides.
cd "$T" || exit 1
vm -c 'set -e
	echo "release=$(uname -r)"
	echo "pwd=$(pwd)"
	echo "uid=$(id -u)"
	echo guest-wrote >"'"$T"'/from-guest"
	if touch /usr/vm-run-must-not-exist 2>/dev/null; then echo root=writable; else echo root=read-only; fi
	grep -q " /sys/kernel/debug debugfs " /proc/mounts && echo debugfs=yes
	echo "host-tmp=$(cat '"$host_tmp"')"
	echo guest >'"$host_tmp"'.guest && echo tmp=writable'
cd "$TOP" || exit 1
check $([ $rc = 0 ] && echo 0 || echo 1) "a command runs and returns 0 (boot to exit ${dt}s)"
check $(grep -qx "release=$release" "$T/out" && echo 0 || echo 1) "the guest runs build/x86_64's kernel ($release)"
check $(grep -qx "pwd=$T" "$T/out" && grep -qx 'uid=0' "$T/out" && echo 0 || echo 1) "as root, in the caller's directory"
check $([ "$(cat "$T/from-guest" 2>/dev/null)" = guest-wrote ] && echo 0 || echo 1) "build/ is writable from the guest, at the same path"
check $(grep -qx 'root=read-only' "$T/out" && [ ! -e /usr/vm-run-must-not-exist ] && echo 0 || echo 1) "the host's root is read-only in the guest"
check $(grep -qx 'debugfs=yes' "$T/out" && echo 0 || echo 1) "init mounts debugfs"
check $(grep -qx 'host-tmp=from-host' "$T/out" && grep -qx 'tmp=writable' "$T/out" &&
	[ ! -e "$host_tmp.guest" ] && echo 0 || echo 1) "/tmp is writable in the guest, shows the host's files, and keeps the guest's writes"

vm -c 'echo about to fail; exit 7'
check $([ $rc = 7 ] && grep -q 'about to fail' "$T/out" && echo 0 || echo 1) "a failing command's exit status (7) comes back, its output streamed (got $rc)"

vm -c 'echo step one; echo WARNING >/sys/kernel/debug/provoke-crash/DIRECT; echo still running'
check $([ $rc = 1 ] && grep -q 'WARNING: CPU' "$T/out" && grep -q '| step one' "$T/out" &&
	grep -q 'vm-run: failed: kernel splat' "$T/out" && echo 0 || echo 1) \
	"a kernel WARNING while the command runs fails it (exit 1, got $rc), printed with the output before it"

vm -c 'printf "TAP version 13\n1..2\nok 1 first\n"; echo WARNING >/sys/kernel/debug/provoke-crash/DIRECT; echo "ok 2 second"'
check $([ $rc = 1 ] && grep -q '\[CRASHED\] second' "$T/out" && echo 0 || echo 1) "a splat inside a TAP test of the command is reported against that test (second)"

vm --timeout 45 -c 'sleep 600'
check $([ $rc = 124 ] && grep -q 'timed out after 45s' "$T/out" && echo 0 || echo 1) "a command that hangs is stopped at --timeout (exit 124, got $rc, ${dt}s)"
