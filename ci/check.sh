#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ci/check.sh - the kernel style gates on our kernel code, as TAP:
#   checkpatch.pl --strict   every .c/.h under kernel/, kunit/, selftests/; every
#                            patch in kernel/patches (0 errors, 0 warnings,
#                            0 checks)
#   kernel-doc -none -Wall   every .c/.h (0 warnings)
#   W=1                      our directories compiled with W=1 in the
#                            x86_64 build directory (0 warnings)
#   uapi                     include/uapi/drm/xe_drm.h defines exactly what
#                            upstream's does (IGT's copy in ../shared/vendor)
# Writes build/logs/check.stats (passed=N failed=N ...) and check.log.
set -uo pipefail

TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-$TOP/build}
TREE=$BUILD/linux
LOGS=$BUILD/logs
STATS=${STATS:-$BUILD/logs/test/check.stats}
mkdir -p "$LOGS" "$(dirname "$STATS")"
cd "$TOP" || exit 1

mapfile -t files < <(find kernel kunit selftests -path kernel/patches -prune -o \
	-type f \( -name '*.c' -o -name '*.h' \) -print | sort)
mapfile -t patches < <(find kernel/patches -name '*.patch' | sort)
# Our kbuild directories, for the W=1 build.
wdirs=(drivers/gpu/drm/vxe/ drivers/gpu/drm/tests/gpusvm/
	# only in the benchmark kernel (ci/configs/bench.config): built here by name
	drivers/gpu/drm/tests/gpusvm/drm_gpusvm_bench.o)
for f in "${files[@]}"; do
	case "$f" in
	kernel/drivers/gpu/drm/drm_*.c) wdirs+=("${f#kernel/}"); wdirs[-1]=${wdirs[-1]%.c}.o ;;
	esac
done

n=0 pass=0 fail=0 skip=0
total=$(( ${#files[@]} * 2 + ${#patches[@]} + 2 ))
echo "TAP version 13"
echo "1..$total"
result() { # result OK NAME OUTPUT
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		pass=$((pass + 1))
		echo "ok $n $2"
	else
		fail=$((fail + 1))
		echo "not ok $n $2"
		printf '%s\n' "$3" | head -20 | sed 's/^/# /'
	fi
}

# Paths inside the tree: the overlay's links, so checkpatch sees a tree path.
tree_path() {
	case "$1" in
	kunit/*) echo "drivers/gpu/drm/tests/gpusvm/${1#kunit/}" ;;
	selftests/*) echo "tools/testing/selftests/${1#selftests/}" ;;
	kernel/*) echo "${1#kernel/}" ;;
	esac
}

# MACRO_ARG_REUSE is ignored: the drm_gpusvm_for_each_*() iterators must
# evaluate their cursor and bound on every pass, as every for_each macro does.
CP_IGNORE=MACRO_ARG_REUSE

# checkpatch runs scripts/spdxcheck.py when it finds an interpreter for it;
# without that script's module it prints a traceback and treats the licence
# as valid.  Our pipeline does not depend on it: drop that noise.
drop_spdx_noise() {
	grep -v -e "^Traceback" -e "spdxcheck" -e "^  File " -e "^    " -e "ModuleNotFoundError" || true
}

for f in "${files[@]}"; do
	out=$(cd "$TREE" && scripts/checkpatch.pl --strict --terse --no-summary \
		--show-types --ignore "$CP_IGNORE" -f "$(tree_path "$f")" 2>&1 | drop_spdx_noise)
	result "$([ -z "$out" ] && echo 0 || echo 1)" "checkpatch $f" "$out"
done
for p in "${patches[@]}"; do
	out=$(cd "$TREE" && scripts/checkpatch.pl --strict --terse --no-summary \
		--show-types --ignore "$CP_IGNORE" "$TOP/$p" 2>&1 | drop_spdx_noise)
	result "$([ -z "$out" ] && echo 0 || echo 1)" "checkpatch $p" "$out"
done
for f in "${files[@]}"; do
	out=$("$TREE/scripts/kernel-doc" -none -Wall "$f" 2>&1)
	result "$([ -z "$out" ] && echo 0 || echo 1)" "kernel-doc $f" "$out"
done

# W=1: compile our objects in the x86_64 build directory (configured the
# way the kunit run configures it), and count warnings in our files.
wlog=$LOGS/check-w1.log
if KUNIT_STEPS=config "$TOP/ci/kunit.sh" x86_64 >"$wlog" 2>&1 &&
   make -C "$TREE" O="$BUILD/x86_64" ARCH=x86_64 -j"${JOBS:-$(nproc)}" W=1 \
	${CCACHE:+CC="ccache gcc"} "${wdirs[@]}" >>"$wlog" 2>&1; then
	out=$(grep -E '(warning|error):' "$wlog" | grep -E 'vxe/|gpusvm/|drm_gpusvm|drm_pagemap')
	result "$([ -z "$out" ] && echo 0 || echo 1)" "W=1 build of ${wdirs[*]}" "$out"
else
	result 1 "W=1 build of ${wdirs[*]}" "$(grep -E 'error|Error' "$wlog" | head -20)"
fi

# The uAPI: the tree's xe_drm.h must define what upstream's does.  The
# reference is IGT's copy (made by headers_install) in the pinned snapshot
# beside the repository; both sides get what headers_install does to our
# file (guard, __user), continuation lines joined, white space squeezed.
# DRM_XE_MAX_SYNCS is ours alone (patch 0004 says why).
norm_uapi() {
	sed -e 's/_UAPI_XE_DRM_H_/_XE_DRM_H_/g; s/__user //g' -e '/^#define DRM_XE_MAX_SYNCS 1024$/d' |
		sed -e :a -e '/\\$/N; s/\\\n/ /; ta' | tr -s ' \t' '  ' | sed 's/ *$//'
}
igt=${IGT_TARBALL:-$TOP/../shared/vendor/igt-gpu-tools-${IGT_SNAPSHOT:-731d4d56}.tar.xz}
if [ -f "$igt" ]; then
	out=$(diff <(norm_uapi <"$TREE/include/uapi/drm/xe_drm.h") \
		<(tar -xJOf "$igt" --wildcards '*/include/drm-uapi/xe_drm.h' | norm_uapi) 2>&1)
	result "$([ -z "$out" ] && echo 0 || echo 1)" "uapi: include/uapi/drm/xe_drm.h defines upstream's Xe ABI" "$out"
else
	n=$((n + 1)) skip=$((skip + 1))
	echo "ok $n uapi: xe_drm.h against upstream # SKIP no IGT snapshot at $igt"
fi

echo "# check: $pass passed, $fail failed"
echo "passed=$pass failed=$fail skipped=$skip crashed=0 errors=0" >"$STATS"
[ "$fail" -eq 0 ]
