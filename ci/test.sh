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
			printf "%s%s=%s", (i > 1 ? " " : ""), kv[1], kv[2] } print "" }' "$stats" >"$stats.tmp" &&
			mv "$stats.tmp" "$stats"
	fi
	names+=("$name")
	times+=("$dt")
	results+=("$(cat "$stats")")
	echo "=== $name: $(cat "$stats") in ${dt}s (exit $rc)"
	return $rc
}

# tap NAME CMD... - run CMD, which prints TAP; keep its output in
# $R/NAME.log and count its results into $R/NAME.stats.
tap() {
	local name=$1 rc
	shift
	"$@" 2>&1 | tee "$R/$name.log"
	rc=${PIPESTATUS[0]}
	"$KTAP" parse --stats "$R/$name.stats" "$R/$name.log" >/dev/null || rc=1
	return $rc
}

# counted STATS NAME CMD... - run CMD, which writes its own stats file
# STATS; take it as $R/NAME.stats.
counted() {
	local stats=$1 name=$2 rc
	shift 2
	rm -f "$stats"
	"$@"
	rc=$?
	[ -f "$stats" ] && cp "$stats" "$R/$name.stats"
	return $rc
}

# The harness's own tests: their TAP output is parsed by the harness.
ktap_selftest() {
	make -s -C ci/ktap >/dev/null || return 1
	tap ktap-test make -s -C ci/ktap test
}

ktap_fuzz() {
	make -s -C ci/ktap fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
}

L=$BUILD/logs

T0=$(date +%s)
phase "ktap: build and self-tests (ASan, UBSan)" "$R/ktap-test.stats" ktap_selftest
phase "ktap: fuzz ${FUZZ_SECONDS:-60}s" "$R/ktap-fuzz.stats" ktap_fuzz
phase "coverage: gcov-dump self-test" "$R/gcov-dump.stats" tap gcov-dump make -s -C coverage test
if phase "tree: build/linux" "$R/tree.stats" ci/tree.sh; then
	phase "check: checkpatch, kernel-doc, W=1" "$R/check.stats" ci/check.sh
	phase "kunit: UML" "$R/kunit-um.stats" counted "$L/kunit-um.stats" kunit-um ci/kunit.sh um
	phase "kunit: x86_64 (QEMU)" "$R/kunit-x86_64.stats" \
		counted "$L/kunit-x86_64.stats" kunit-x86_64 ci/kunit.sh x86_64
	phase "vm-run: self-test (5 guest boots)" "$R/vm-test.stats" tap vm-test ci/vm-test.sh
	phase "selftests: gpusvm in the x86_64 kernel" "$R/selftests.stats" \
		counted "$L/selftests.stats" selftests ci/selftests.sh
	# The benchmark programs build (against the test kernel's uAPI headers,
	# which the selftests installed); bench-report and bench-compare pass
	# their tests.  No benchmark runs here: "make bench".
	phase "bench: programs build, report/compare tests" "$R/bench-test.stats" \
		tap bench-test make -s -C bench O="$BUILD/bench" HDR="$BUILD/x86_64/usr/include" test
	phase "hmm-tests: 6.12's HMM selftests (test_hmm)" "$R/hmm-tests.stats" \
		counted "$L/hmm-tests.stats" hmm-tests ci/hmm-tests.sh
	# The reports from the data the x86_64 phases copied out; one result
	# per gate of coverage/thresholds.
	phase "coverage: lcov report and gates" "$R/coverage.stats" \
		counted "$BUILD/coverage/gates.stats" coverage coverage/coverage.sh
	# Upstream IGT (igt-tests/*.testlist) and our IGT tests on vxe, in the
	# x86_64 kernel; one skipped test when there is no IGT (no ../shared).
	# Nothing else runs then: one guest per core (at most 2), about 20
	# minutes of guest time for the ~980 subtests.
	: "${IGT_SHARDS:=$(n=$(nproc); echo $((n > 1 ? 2 : 1)))}"
	export IGT_SHARDS
	phase "igt: upstream and our IGT tests on vxe" "$R/igt.stats" \
		counted "$L/igt.stats" igt ci/igt.sh run
fi

echo
echo "=== summary ($(($(date +%s) - T0))s)"
for i in "${!names[@]}"; do
	printf '  %-44s %5ss  %s\n' "${names[$i]}" "${times[$i]}" "${results[$i]}"
done
ci/summary.sh "$R"/*.stats
