#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ci/measure-debug.sh [ARCH...] - what each debug option of the test kernels
# costs: a cold build (no ccache) and a KUnit run of our suites, for the
# kernel without debug options, with each option alone, and with all of
# them (what make kunit uses).  Prints a Markdown table for ci/README.md.
# Takes a long time (one cold kernel build per row); not part of make test.
# ROWS="none KASAN all" limits the rows.
set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-$TOP/build}
OUT=$BUILD/measure
TREE=$BUILD/linux
KTAP=$TOP/ci/ktap/ktap
JOBS=${JOBS:-$(nproc)}
arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(x86_64 um)

# The debug options, as ci/configs/ARCH.config sets them.
options() {
	case "$1" in
	PROVE_LOCKING) echo "CONFIG_DEBUG_KERNEL=y CONFIG_PROVE_LOCKING=y" ;;
	DEBUG_VM) echo "CONFIG_DEBUG_KERNEL=y CONFIG_DEBUG_VM=y" ;;
	DEBUG_LIST) echo "CONFIG_DEBUG_KERNEL=y CONFIG_DEBUG_LIST=y" ;;
	DEBUG_ATOMIC_SLEEP) echo "CONFIG_DEBUG_KERNEL=y CONFIG_DEBUG_ATOMIC_SLEEP=y" ;;
	KASAN) echo "CONFIG_KASAN=y CONFIG_KASAN_GENERIC=y" ;;
	esac
}
all_options=(PROVE_LOCKING DEBUG_VM DEBUG_LIST DEBUG_ATOMIC_SLEEP KASAN)

mkdir -p "$OUT"
printf '| arch | options | cold build (s) | kunit run (s) | tests |\n|---|---|---|---|---|\n' >"$OUT/table.md"

for arch in "${arches[@]}"; do
	for row in ${ROWS:-none ${all_options[*]} all}; do
		dir=$OUT/$arch-$row
		rm -rf "$dir"
		mkdir -p "$dir"
		# The arch fragment without its debug options (and without
		# the coverage ones: gcov needs the initramfs of ci/kunit.sh)...
		cov='DEBUG_FS|GCOV_KERNEL|BLK_DEV_INITRD|DEVTMPFS|PCI|VIRTIO_MENU|VIRTIO_PCI|VIRTIO_BLK'
		grep -v -E "^CONFIG_(DEBUG_KERNEL|PROVE_LOCKING|DEBUG_VM|DEBUG_LIST|DEBUG_ATOMIC_SLEEP|KASAN|KASAN_GENERIC|DMA_API_DEBUG|$cov)=" \
			"$TOP/ci/configs/$arch.config" >"$dir/frag.config"
		# ...plus the row's.
		case "$row" in
		none) ;;
		all) grep -v -E "^CONFIG_($cov)=" "$TOP/ci/configs/$arch.config" >"$dir/frag.config" ;;
		*) options "$row" | tr ' ' '\n' >>"$dir/frag.config" ;;
		esac
		cat "$TOP/kunit/.kunitconfig" "$dir/frag.config" >"$dir/.config"
		make -s -C "$TREE" O="$dir" ARCH="$arch" olddefconfig
		t0=$(date +%s.%N)
		make -s -C "$TREE" O="$dir" ARCH="$arch" -j"$JOBS" >"$dir/build.log" 2>&1
		t1=$(date +%s.%N)
		if [ "$arch" = um ]; then
			cmd=("$dir/linux" kunit.enable=1 mem=1G console=tty kunit_shutdown=halt)
		else
			cmd=(qemu-system-x86_64 -nodefaults -nographic -no-reboot -accel tcg
			     -smp 2 -m 2048 -bios /usr/share/qemu/qboot.rom -serial stdio
			     -kernel "$dir/arch/x86/boot/bzImage"
			     -append "kunit.enable=1 console=ttyS0 kunit_shutdown=reboot panic=-1")
		fi
		"$KTAP" run --timeout 900 --log "$dir/kunit.log" --stats "$dir/kunit.stats" \
			-- "${cmd[@]}" >/dev/null 2>&1 || true
		t2=$(date +%s.%N)
		printf '| %s | %s | %.0f | %.1f | %s |\n' "$arch" "$row" \
			"$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" \
			"$(cat "$dir/kunit.stats" 2>/dev/null)" | tee -a "$OUT/table.md"
		# Keep the logs, drop the objects.
		find "$dir" -name '*.o' -delete
	done
done
cat "$OUT/table.md"
