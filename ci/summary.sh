#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ci/summary.sh STATS... - add up ktap --stats files and print the totals
# line "N passed, N failed, N skipped".  Crashes and KTAP errors count as
# failures.  A stats file that is missing (its run never started) counts as
# one failure, so nothing that should have run is silently left out.
# Exits 1 if anything failed.
set -uo pipefail
for st in "$@"; do
	if [ -s "$st" ]; then
		cat "$st"
	else
		echo "  (no results: $st)" >&2
		echo "failed=1"
	fi
done | awk '
	{ for (i = 1; i <= NF; i++) { split($i, kv, "="); n[kv[1]] += kv[2] } }
	END {
		bad = n["failed"] + n["crashed"] + n["errors"]
		if (n["crashed"]) printf "  (%d of the failures are crashes)\n", n["crashed"]
		if (n["errors"]) printf "  (%d KTAP errors counted as failures)\n", n["errors"]
		printf "%d passed, %d failed, %d skipped\n", n["passed"], bad, n["skipped"]
		exit bad > 0
	}'
