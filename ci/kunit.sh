#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ci/kunit.sh ARCH - configure, build and run our KUnit suites, no Python.
#
#   ARCH            um (UML) or x86_64 (QEMU, TCG unless /dev/kvm exists)
#   KUNIT_FILTER    suite or suite.test glob, passed as kunit.filter_glob
#   KUNIT_TIMEOUT   seconds before the run is killed (default 900)
#   KUNIT_CONFIGS   extra config fragments, merged last (space separated)
#   KUNIT_STEPS     config,build,run (default: all three)
#   KUNIT_OUT       the build output (default build/ARCH); KUNIT_TAG names its
#                   logs (default ARCH): the benchmark kernel is another one
#   JOBS            parallel make jobs (default: nproc)
#   QEMU_ACCEL      tcg (default) or kvm, for x86_64
#
# Config: kunit/.kunitconfig, then ci/configs/ARCH.config (the arch's
# console and the debug options), then KUNIT_CONFIGS, written to
# build/ARCH/.config and completed by "make olddefconfig"; every option the
# fragments ask for is then checked to be in the result.  The kernel builds
# in build/ARCH (with ccache when present) and boots through ci/ktap, which
# parses the console, attributes crashes and writes the reports:
#   build/logs/kunit-ARCH.{log,json,xml,stats}, build/logs/build-ARCH.log
# On x86_64 the kernel has CONFIG_GCOV_KERNEL: the run also leaves the
# coverage data of our code in build/coverage/kunit/gcov.img, the input of
# coverage/coverage.sh ("make coverage").
set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-$TOP/build}
ARCH=${1:?usage: ci/kunit.sh um|x86_64}
TREE=$BUILD/linux
OUT=${KUNIT_OUT:-$BUILD/$ARCH}
TAG=${KUNIT_TAG:-$ARCH}
LOGS=$BUILD/logs
KTAP=${KTAP:-$TOP/ci/ktap/ktap}
JOBS=${JOBS:-$(nproc)}
KUNIT_TIMEOUT=${KUNIT_TIMEOUT:-900}
KUNIT_STEPS=${KUNIT_STEPS:-config,build,run}

case "$ARCH" in
um) image=linux ;;
x86_64) image=arch/x86/boot/bzImage ;;
*) echo "ci/kunit.sh: unknown ARCH '$ARCH' (um or x86_64)" >&2; exit 2 ;;
esac
[ -f "$TREE/Makefile" ] || { echo "ci/kunit.sh: no tree at $TREE: run make tree" >&2; exit 1; }
mkdir -p "$OUT" "$LOGS"

kmake=(make -C "$TREE" O="$OUT" ARCH="$ARCH" -j"$JOBS")
if command -v ccache >/dev/null 2>&1; then
	export CCACHE_BASEDIR=$BUILD CCACHE_NOHASHDIR=1
	kmake+=(CC="ccache gcc")
fi

step() { [[ ",$KUNIT_STEPS," == *",$1,"* ]]; }

if step config; then
	frags=("$TOP/kunit/.kunitconfig" "$TOP/ci/configs/$ARCH.config")
	# x86_64: the same kernel boots ci/vm-run's guests
	[ "$ARCH" = x86_64 ] && frags+=("$TOP/ci/configs/vm.config")
	for f in ${KUNIT_CONFIGS:-}; do frags+=("$f"); done
	cat "${frags[@]}" >"$OUT/kunitconfig.merged"
	cp "$OUT/kunitconfig.merged" "$OUT/.config"
	if ! "${kmake[@]}" olddefconfig >"$LOGS/config-$TAG.log" 2>&1; then
		cat "$LOGS/config-$TAG.log" >&2
		echo "ci/kunit.sh: make olddefconfig failed for $TAG" >&2
		exit 1
	fi
	"$TOP/ci/config-check.sh" "$TREE" "$OUT/kunitconfig.merged" "$OUT/.config"
fi

if step build; then
	echo "  BUILD   $ARCH kernel (log: ${LOGS#"$TOP"/}/build-$TAG.log)"
	if ! "${kmake[@]}" >"$LOGS/build-$TAG.log" 2>&1; then
		grep -E -B2 -A6 'error:|Error [0-9]|undefined reference' "$LOGS/build-$TAG.log" | head -60 >&2 ||
			tail -40 "$LOGS/build-$TAG.log" >&2
		echo "ci/kunit.sh: the $ARCH kernel does not build; full log: $LOGS/build-$TAG.log" >&2
		exit 1
	fi
	grep -E 'warning:' "$LOGS/build-$TAG.log" | grep -E 'drivers/gpu/drm/(vxe|tests/gpusvm|drm_gpusvm|drm_pagemap)' >&2 || true
fi

step run || exit 0

args=(kunit.enable=1)
grace=()
[ -n "${KUNIT_FILTER:-}" ] && args+=("kunit.filter_glob=$KUNIT_FILTER")
case "$ARCH" in
um)
	cmd=("$OUT/linux" "${args[@]}" mem=1G console=tty kunit_shutdown=halt)
	;;
x86_64)
	# TCG by default: a /dev/kvm node is no promise that KVM works (nested
	# setups fail at the first MSR write or hang); QEMU_ACCEL=kvm opts in.
	accel=(-accel "${QEMU_ACCEL:-tcg}")
	bios=()
	for b in /usr/share/qemu/qboot.rom /usr/share/seabios/qboot.rom; do
		[ -f "$b" ] && { bios=(-bios "$b"); break; }
	done
	# With CONFIG_GCOV_KERNEL, KUnit does not shut the kernel down: init
	# (coverage/gcov-dump.c, the only file of the initramfs) copies the
	# .gcda files onto a raw disk as a tar archive and reboots, which ends
	# QEMU.  The disk starts zero-filled, so a dump cut short is detected.
	gcov=()
	shutdown=kunit_shutdown=reboot
	if grep -q "^CONFIG_GCOV_KERNEL=y" "$OUT/.config"; then
		cov=$BUILD/coverage/kunit
		make -s -C "$TOP/coverage" TOP="$TOP" BUILD="$BUILD" TREE="$TREE" initramfs
		mkdir -p "$cov"
		rm -f "$cov/gcov.img" "$cov/filter"
		truncate -s 64M "$cov/gcov.img"
		echo "${KUNIT_FILTER:-}" >"$cov/filter"
		gcov=(-initrd "$BUILD/coverage/initramfs.cpio"
		      -drive "file=$cov/gcov.img,format=raw,if=virtio")
		shutdown=gcov_out=/dev/vda
		grace=(--grace 120)
	fi
	cmd=(qemu-system-x86_64 -nodefaults -nographic -no-reboot "${accel[@]}"
	     -smp "${QEMU_SMP:-2}" -m "${QEMU_MEM:-2048}" "${bios[@]}"
	     -serial stdio -kernel "$OUT/$image" "${gcov[@]}"
	     -append "${args[*]} console=ttyS0 $shutdown panic=-1")
	;;
esac

r=$LOGS/kunit-$TAG
echo "  RUN     kunit on $ARCH (console: ${r#"$TOP"/}.log)"
set +e
"$KTAP" run --fail-strays "${grace[@]}" --timeout "$KUNIT_TIMEOUT" --log "$r.log" --json "$r.json" \
	--junit "$r.xml" --stats "$r.stats" -- "${cmd[@]}"
rc=$?
set -e
exit $rc
