#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/test.sh BUILD_DIR - the tests of bench-report and bench-compare
# (TAP): a console with BENCH lines (tests/golden.log) becomes
# results.json, a figure seen twice keeps its last value and a malformed
# line is dropped; a run compared with itself has no change, with a copy
# whose rate fell (and whose time rose) beyond the spread it has two
# regressions and exits 1; a change inside the spread is no regression.
set -u
here=$(cd "$(dirname "$0")" && pwd)
o=${1:?usage: bench/test.sh BUILD_DIR}
t=$o/test
rm -rf "$t"
mkdir -p "$t/a" "$t/b" "$t/c"
n=0 bad=0
check() { # check NAME COMMAND...
	n=$((n + 1))
	if "${@:2}" >"$t/out.$n" 2>&1; then
		echo "ok $n $1"
	else
		echo "not ok $n $1"
		sed 's/^/# /' "$t/out.$n" | head -20
		bad=1
	fi
}
echo "TAP version 13"
echo "1..7"
check "report: results.json from the consoles" \
	"$o/bench-report" -o "$t/a" -m commit=test "$here/tests/golden.log"
check "report: 4 figures, the last of a name, no malformed one" \
	bash -c "[ \$(grep -c '\"name\"' '$t/a/results.json') = 4 ] &&
		grep -q '\"median\": 101000' '$t/a/results.json' &&
		! grep -q broken '$t/a/results.json' &&
		grep -q '\"commit\": \"test\"' '$t/a/results.json'"
check "report: the plot's data has the figures by size" \
	grep -qE '^4	101000	.*	120000	' "$t/a/fault-rate.dat"
check "compare: a run against itself changes nothing" \
	bash -c "'$o/bench-compare' '$t/a/results.json' '$t/a/results.json' | tail -1 | grep -q '^0 worse, 0 better, 4 within'"
sed 's/median=101000 min=96000 max=106000/median=70000 min=69000 max=71000/; s/median=40 min=38 max=43/median=60 min=58 max=63/' \
	"$here/tests/golden.log" >"$t/worse.log"
"$o/bench-report" -o "$t/b" "$t/worse.log" >/dev/null 2>&1
check "compare: a slower rate and a longer time are two regressions, exit 1" \
	bash -c "'$o/bench-compare' '$t/a/results.json' '$t/b/results.json' >'$t/cmp' ; [ \$? = 1 ] && grep -q '^2 worse, 0 better' '$t/cmp'"
sed 's/median=101000 min=96000 max=106000/median=99000 min=94000 max=104000/' "$here/tests/golden.log" >"$t/same.log"
"$o/bench-report" -o "$t/c" "$t/same.log" >/dev/null 2>&1
check "compare: a change inside the spread is no regression" \
	"$o/bench-compare" "$t/a/results.json" "$t/c/results.json"
check "compare: bad input is exit 2" \
	bash -c "echo '{\"figures\": 3}' >'$t/bad.json'; '$o/bench-compare' '$t/a/results.json' '$t/bad.json'; [ \$? = 2 ]"
exit $bad
