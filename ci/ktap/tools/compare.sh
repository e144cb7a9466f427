#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# compare.sh KTAP JSONCMP KUNIT_PY OUTDIR LOG... - run "ktap parse --json"
# and "kunit.py parse --json" on each log and check that they agree on
# every test's name and status (jsoncmp) and on the totals line.  kunit.py
# is the reference here; it is never run by "make test".  KTAP_FLAGS are
# passed to ktap (e.g. --no-splat for kunit.py's exact behaviour).
set -u

ktap=$1 jsoncmp=$2 kunit=$3 out=$4
shift 4
mkdir -p "$out"
bad=0 n=0

totals() {
	# the "Testing complete." line, without timestamp and colours
	sed -n 's/\x1b\[[0-9;]*m//g; s/^\[[0-9:]*\] //; /^Testing complete\./p' "$1"
}

printf '%-50s %-10s %-10s %s\n' LOG JSON TOTALS "TOTALS (kunit.py)"
for log in "$@"; do
	b=$(basename "$log" .log)
	n=$((n + 1))
	rm -f "$out/$b.kunit.json" "$out/$b.ktap.json"
	"$kunit" parse --json="$out/$b.kunit.json" "$log" \
		> "$out/$b.kunit.txt" 2>&1
	# shellcheck disable=SC2086
	"$ktap" parse ${KTAP_FLAGS:-} --json "$out/$b.ktap.json" "$log" \
		> "$out/$b.ktap.txt" 2>&1
	if [ ! -s "$out/$b.kunit.json" ]; then
		j="kunit.py-failed"
		bad=$((bad + 1))
	elif cmp -s "$out/$b.kunit.json" "$out/$b.ktap.json"; then
		j="identical"
	elif "$jsoncmp" "$out/$b.kunit.json" "$out/$b.ktap.json" \
			> "$out/$b.jsoncmp" 2>&1; then
		j="same"
	else
		j="DIFFERENT"
		bad=$((bad + 1))
	fi
	tk=$(totals "$out/$b.kunit.txt")
	tm=$(totals "$out/$b.ktap.txt")
	if [ -n "$tk" ] && [ "$tk" = "$tm" ]; then
		t="same"
	else
		t="DIFFERENT"
		bad=$((bad + 1))
	fi
	printf '%-50s %-10s %-10s %s\n' "$b" "$j" "$t" "${tk#Testing complete. }"
	if [ "$j" = DIFFERENT ]; then
		sed 's/^/    /' "$out/$b.jsoncmp"
	fi
	if [ "$t" = DIFFERENT ]; then
		echo "    kunit.py: $tk"
		echo "    ktap:     $tm"
	fi
done
if [ $bad -eq 0 ]; then
	echo "compare: ktap and kunit.py agree on all $n logs (outputs in $out)"
else
	echo "compare: $bad disagreement(s) over $n logs (outputs in $out)"
	exit 1
fi
