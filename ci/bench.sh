#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ci/bench.sh - "make bench": how fast the SVM path is, against lib/test_hmm
# and memcpy in the same guest.  Not a test: nothing here fails on a timing.
#
#   BENCH_ARGS     svm_bench's options (-q: sizes up to 64 MiB, 3 repetitions;
#                  -s SECTION,...; -c 4K,64K,2M and -w sysmem,vram: fault
#                  paths; -r REPS)
#   BENCH_MEM      the guest's memory in MiB (default 4096: 1 GiB of touched
#                  memory, its batch, and dmirror's and vxe's device memory)
#   BENCH_TIMEOUT  seconds for the svm_bench boot (default 5400)
#   QEMU_SMP       the guest's CPUs (default 2)
#
# 1. The benchmark kernel: the x86_64 test kernel's configuration with
#    ci/configs/bench.config last (no KASAN, lockdep, DEBUG_VM, DMA-API
#    debugging, kmemleak or gcov; CONFIG_TEST_HMM and the drm_gpusvm_bench
#    KUnit suite in), built by ci/kunit.sh in build/bench-kernel: the test
#    kernel in build/x86_64 is left alone.
# 2. Its KUnit micro-benchmark (drm_gpusvm_bench: the library on its mock
#    driver) in one boot: build/logs/kunit-bench-kernel.log.
# 3. svm_bench (bench/svm_bench.c) in a second boot through ci/vm-run, with
#    vxe given 1 GiB of VRAM: build/logs/bench.log.
# 4. bench-report: build/bench/results.json, summary.txt (printed), and
#    the plot fault-rate.png (gnuplot).  Compare two runs with
#    ci/bench-compare OLD.json NEW.json.
set -uo pipefail

TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-$TOP/build}
TREE=$BUILD/linux
KOUT=$BUILD/bench-kernel
R=$BUILD/bench
LOGS=$BUILD/logs
export TOP BUILD
mkdir -p "$R" "$LOGS"

KUNIT_OUT=$KOUT KUNIT_TAG=bench-kernel KUNIT_CONFIGS="$TOP/ci/configs/bench.config" \
	KUNIT_STEPS=config,build "$TOP/ci/kunit.sh" x86_64 || exit 1
if ! make -s -C "$TREE" O="$KOUT" headers_install >"$LOGS/bench-build.log" 2>&1 ||
	! make -s -C "$TOP/bench" O="$R" HDR="$KOUT/usr/include" TREE="$TREE" >>"$LOGS/bench-build.log" 2>&1; then
	tail -20 "$LOGS/bench-build.log" >&2
	echo "ci/bench.sh: the benchmark programs do not build (log: $LOGS/bench-build.log)" >&2
	exit 1
fi

rc=0
echo "  RUN     drm_gpusvm_bench (KUnit) in the benchmark kernel"
KUNIT_OUT=$KOUT KUNIT_TAG=bench-kernel KUNIT_STEPS=run KUNIT_FILTER='drm_gpusvm_bench*' \
	"$TOP/ci/kunit.sh" x86_64 >"$LOGS/bench-kunit.out" 2>&1 || { rc=1; tail -20 "$LOGS/bench-kunit.out" >&2; }

echo "  RUN     svm_bench ${BENCH_ARGS:-} in the benchmark kernel (console: ${LOGS#"$TOP"/}/bench.log)"
# shellcheck disable=SC2086
VM_OUT=$KOUT VM_LOG="$LOGS/bench.log" QEMU_MEM=${BENCH_MEM:-4096} \
	VM_APPEND="${VM_APPEND:-} vxe.vram_size=1024" \
	"$TOP/ci/vm-run" --timeout "${BENCH_TIMEOUT:-5400}" -- "$R/svm_bench" ${BENCH_ARGS:-} \
	>"$LOGS/bench.out" 2>&1 || { rc=1; tail -20 "$LOGS/bench.out" >&2; }

# The CPUs the guest kernel uses: QEMU's, unless it is built without SMP
cpus=${QEMU_SMP:-2}
grep -q '^CONFIG_SMP=y' "$KOUT/.config" || cpus=1
commit=$(git -C "$TOP" rev-parse --short=12 HEAD 2>/dev/null)
git -C "$TOP" diff --quiet HEAD 2>/dev/null || commit+="-dirty"
"$R/bench-report" -o "$R" \
	-m "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	-m "commit=$commit" \
	-m "kernel=$(make -s -C "$TREE" O="$KOUT" kernelrelease 2>/dev/null)" \
	-m "accel=${QEMU_ACCEL:-tcg}" \
	-m "guest_cpus=$cpus" \
	-m "guest_mem_mib=${BENCH_MEM:-4096}" \
	-m "host_cpus=$(nproc)" \
	-m "args=${BENCH_ARGS:-}" \
	"$LOGS/kunit-bench-kernel.log" "$LOGS/bench.log" || rc=1
if command -v gnuplot >/dev/null 2>&1; then
	gnuplot "$R/fault-rate.gp" 2>"$LOGS/bench-plot.log" || { rc=1; cat "$LOGS/bench-plot.log" >&2; }
else
	echo "ci/bench.sh: no gnuplot (ci/deps.sh bench): no plot" >&2
fi
echo "  RESULTS ${R#"$TOP"/}/results.json, summary.txt, fault-rate.png"
exit $rc
