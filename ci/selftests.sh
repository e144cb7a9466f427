#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ci/selftests.sh - the kselftest target gpusvm in the x86_64 test kernel.
#
# Builds it the kernel's way (make O=build/x86_64 TARGETS=gpusvm
# kselftest-all, which also installs the uAPI headers the tests include),
# then runs its programs as root in the guest through ci/vm-run, as the
# "selftests" coverage layer.  Output: build/logs/selftests.{log,stats};
# exit status non-zero on a failed test, a splat, or a build error.
set -uo pipefail

TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-$TOP/build}
TREE=$BUILD/linux
OUT=$BUILD/x86_64
LOGS=$BUILD/logs
KTAP=$TOP/ci/ktap/ktap
export TOP BUILD
mkdir -p "$LOGS"

echo "  BUILD   kselftest gpusvm (log: ${LOGS#"$TOP"/}/selftests-build.log)"
if ! make -C "$TREE" O="$OUT" TARGETS=gpusvm kselftest-all >"$LOGS/selftests-build.log" 2>&1; then
	grep -E 'error|Error' "$LOGS/selftests-build.log" | head -20 >&2
	echo "ci/selftests.sh: the gpusvm selftests do not build" >&2
	exit 1
fi
mapfile -t progs < <(find "$OUT/kselftest/gpusvm" -maxdepth 1 -type f -perm -u+x -name '*_test' | sort)
[ ${#progs[@]} -gt 0 ] || { echo "ci/selftests.sh: no test programs built" >&2; exit 1; }

# One guest boot for all programs, one TAP document: each program's own
# TAP output nested (indented) under a result line for the program, so
# the harness counts every test of every program.  Exit 4 is kselftest's
# SKIP.
printf -v list '%q ' "${progs[@]}"
cmd="progs=($list); echo 'TAP version 13'; echo 1..\${#progs[@]}; rc=0; i=0
for p in \"\${progs[@]}\"; do
	i=\$((i + 1)); n=\${p##*/}
	\"\$p\" 2>&1 | sed -u 's/^/  /'; s=\${PIPESTATUS[0]}
	case \$s in
	0) echo \"ok \$i \$n\" ;;
	4) echo \"ok \$i \$n # SKIP\" ;;
	*) echo \"not ok \$i \$n\"; rc=1 ;;
	esac
done
exit \$rc"
echo "  RUN     ${#progs[@]} program(s) in the x86_64 kernel (console: ${LOGS#"$TOP"/}/selftests.log)"
ci_rc=0
"$TOP/ci/vm-run" --gcov selftests -c "$cmd" >"$LOGS/selftests.out" 2>&1 || ci_rc=$?
cp "$BUILD/logs/vm-run.log" "$LOGS/selftests.log"
"$KTAP" parse --fail-strays --stats "$LOGS/selftests.stats" "$LOGS/selftests.log"
[ $ci_rc -eq 0 ] || { tail -5 "$LOGS/selftests.out" >&2; exit 1; }
