#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ci/test.sh - everything CI checks, cheapest first ("make test").
#
# Each phase writes a stats file (passed=N failed=N skipped=N crashed=N
# errors=N) under build/logs/test/; a phase that fails without writing one
# counts as one failure.  Every phase runs even when an earlier one failed
# (except that nothing can run without the tree), so one red run shows
# everything that is red.  Prints each phase's wall time, then the totals
# line "N passed, N failed, N skipped", and exits non-zero on any failure.
set -uo pipefail

TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-$TOP/build}
export TOP BUILD
cd "$TOP" || exit 1
R=$BUILD/logs/test
rm -rf "$R"
mkdir -p "$R"
KTAP=$TOP/ci/ktap/ktap

names=() times=() results=()

# phase NAME STATS CMD... - run CMD, time it, account for its results.
phase() {
	local name=$1 stats=$2 t0 rc dt
	shift 2
	echo
	echo "=== $name"
	rm -f "$stats"
	t0=$(date +%s)
	"$@"
	rc=$?
	dt=$(($(date +%s) - t0))
	if [ ! -s "$stats" ]; then
		[ $rc -eq 0 ] && echo "passed=1 failed=0 skipped=0 crashed=0 errors=0" >"$stats" ||
			echo "passed=0 failed=1 skipped=0 crashed=0 errors=0" >"$stats"
	elif [ $rc -ne 0 ] && ! grep -qE '(failed|crashed|errors)=[1-9]' "$stats"; then
		# It failed in a way its tests did not record (a build error,
		# a time-out): that is one more failure.
		awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "failed") kv[2]++;
			printf "%s%s=%s", i > 1 ? " " : "", kv[1], kv[2] } print "" }' "$stats" >"$stats.tmp" &&
			mv "$stats.tmp" "$stats"
	fi
	names+=("$name")
	times+=("$dt")
	results+=("$(cat "$stats")")
	echo "=== $name: $(cat "$stats") in ${dt}s (exit $rc)"
	return $rc
}

# The harness's own tests: their TAP output is parsed by the harness.
ktap_selftest() {
	make -s -C ci/ktap >/dev/null || return 1
	make -s -C ci/ktap test 2>&1 | tee "$R/ktap-test.log"
	local rc=${PIPESTATUS[0]}
	"$KTAP" parse --stats "$R/ktap-test.stats" "$R/ktap-test.log" >/dev/null
	return $rc
}

ktap_fuzz() {
	make -s -C ci/ktap fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
}

# gcov-dump, the guest side of coverage: its tar writer on the host.
gcov_dump_selftest() {
	make -s -C coverage test 2>&1 | tee "$R/gcov-dump.log"
	local rc=${PIPESTATUS[0]}
	"$KTAP" parse --stats "$R/gcov-dump.stats" "$R/gcov-dump.log" >/dev/null
	return $rc
}

# ci/vm-run's own tests (TAP), on the x86_64 kernel just built.
vm_selftest() {
	ci/vm-test.sh 2>&1 | tee "$R/vm-test.log"
	local rc=${PIPESTATUS[0]}
	"$KTAP" parse --stats "$R/vm-test.stats" "$R/vm-test.log" >/dev/null || rc=1
	return $rc
}

# The kselftest target gpusvm in the x86_64 kernel (also a coverage layer).
selftests_run() {
	local rc
	ci/selftests.sh
	rc=$?
	[ -f "$BUILD/logs/selftests.stats" ] && cp "$BUILD/logs/selftests.stats" "$R/selftests.stats"
	return $rc
}

# The reports from the data the x86_64 KUnit phase copied out; one
# result per gate of coverage/thresholds.
coverage_report() {
	local rc
	rm -f "$BUILD/coverage/gates.stats"
	coverage/coverage.sh
	rc=$?
	[ -f "$BUILD/coverage/gates.stats" ] && cp "$BUILD/coverage/gates.stats" "$R/coverage.stats"
	return $rc
}

kunit_arch() {
	local rc
	ci/kunit.sh "$1"
	rc=$?
	[ -f "$BUILD/logs/kunit-$1.stats" ] && cp "$BUILD/logs/kunit-$1.stats" "$R/kunit-$1.stats"
	return $rc
}

T0=$(date +%s)
phase "ktap: build and self-tests (ASan, UBSan)" "$R/ktap-test.stats" ktap_selftest
phase "ktap: fuzz ${FUZZ_SECONDS:-60}s" "$R/ktap-fuzz.stats" ktap_fuzz
phase "coverage: gcov-dump self-test" "$R/gcov-dump.stats" gcov_dump_selftest
if phase "tree: build/linux" "$R/tree.stats" ci/tree.sh; then
	phase "check: checkpatch, kernel-doc, W=1" "$R/check.stats" ci/check.sh
	phase "kunit: UML" "$R/kunit-um.stats" kunit_arch um
	phase "kunit: x86_64 (QEMU)" "$R/kunit-x86_64.stats" kunit_arch x86_64
	phase "vm-run: self-test (5 guest boots)" "$R/vm-test.stats" vm_selftest
	phase "selftests: gpusvm in the x86_64 kernel" "$R/selftests.stats" selftests_run
	phase "coverage: lcov report and gates" "$R/coverage.stats" coverage_report
fi

echo
echo "=== summary ($(($(date +%s) - T0))s)"
for i in "${!names[@]}"; do
	printf '  %-44s %5ss  %s\n' "${names[$i]}" "${times[$i]}" "${results[$i]}"
done
ci/summary.sh "$R"/*.stats
