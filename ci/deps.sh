#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ci/deps.sh [GROUP...] - install what gpusvm needs with apt-get.
#
# Groups: base (default: kernel build, QEMU, busybox, lcov, ccache, clang for
# the ktap fuzzer), tarball (the Debian linux-source-6.12 package; skipped
# when KDIR names another tree), igt (what IGT GPU Tools needs to build:
# meson, its libraries, and python3 for its code generators) and bench
# (gnuplot, for the plot of "make bench").  Idempotent: prints nothing when everything
# is already installed.  Uses the machine's own apt configuration; it never
# adds or edits package sources.
set -euo pipefail

base=(
	build-essential bc bison flex cpio kmod rsync xz-utils git perl
	libelf-dev libssl-dev libncurses-dev dwarves
	ccache qemu-system-x86 busybox-static lcov
	clang libclang-rt-14-dev
)
tarball=(linux-source-6.12)
# make bench: the plot of its figures
bench=(gnuplot-nox)
igt=(
	meson ninja-build pkg-config libdrm-dev libpciaccess-dev libkmod-dev
	libproc2-dev libdw-dev libpixman-1-dev libcairo2-dev libudev-dev
	libglib2.0-dev flex bison libunwind-dev libjson-c-dev python3
	# since IGT of 2026-04: lib/ needs libpci, igt_runner jansson (without
	# it meson silently builds no runner)
	libpci-dev libjansson-dev
)

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(base tarball)

want=()
for g in "${groups[@]}"; do
	case "$g" in
	base) want+=("${base[@]}") ;;
	tarball) want+=("${tarball[@]}") ;;
	igt) want+=("${igt[@]}") ;;
	bench) want+=("${bench[@]}") ;;
	*) echo "ci/deps.sh: unknown group '$g' (known: base tarball igt bench)" >&2; exit 2 ;;
	esac
done

missing=()
for p in "${want[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "ci/deps.sh: missing Debian packages: ${missing[*]}" >&2
	echo "ci/deps.sh: run as root, or install them yourself:" >&2
	echo "    sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi

echo "ci/deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt_install() {
	apt-get install -y -q --no-install-recommends "${missing[@]}" \
		>"${DEPS_LOG:-/tmp/gpusvm-deps.log}" 2>&1
}
if ! apt_install; then
	# A fresh machine may have stale package lists: refresh once, retry.
	apt-get update -q >>"${DEPS_LOG:-/tmp/gpusvm-deps.log}" 2>&1 || true
	if ! apt_install; then
		echo "ci/deps.sh: apt-get install failed; see ${DEPS_LOG:-/tmp/gpusvm-deps.log}" >&2
		tail -n 20 "${DEPS_LOG:-/tmp/gpusvm-deps.log}" >&2
		exit 1
	fi
fi
