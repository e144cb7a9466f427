#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ci/selftests.sh - the kselftest target gpusvm in the x86_64 test kernel.
#
# Builds it the kernel's way (make O=build/x86_64 TARGETS=gpusvm
# kselftest-all, which also installs the uAPI headers the tests include),
# then runs its programs as root in the guest through ci/vm-run, as the
# "selftests" coverage layer (vxe with a second copy engine, for parallel
# exec queues).  Then vxe as a module: build/vxe-ko/vxe_ko.ko
# (ci/vxe-ko/Kbuild) is built against the same kernel, which boots a
# second time with its built-in vxe idle (initcall_blacklist=vxe_init),
# loads the module and runs xe_lifecycle_test, whose module cases unload
# and reload it: the "selftests-module" coverage layer (vxe_module.c and
# the unbind and unload paths count there).  Output:
# build/logs/selftests.{log,stats} and
# selftests-module.log; exit status non-zero on a failed test, a splat,
# or a build error.
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
# Two devices (xe_mgpu_test), each with two copy and two video decode
# engines: parallel exec queues (width 2) need two engines of a video class
# (uapi.parallel_queue).
VM_APPEND="${VM_APPEND:-} vxe.num_devices=2 vxe.engines=rcs,bcs,bcs,vcs,vcs" \
	"$TOP/ci/vm-run" --gcov selftests -c "$cmd" >"$LOGS/selftests.out" 2>&1 || ci_rc=$?
cp "$BUILD/logs/vm-run.log" "$LOGS/selftests.log"
"$KTAP" parse --fail-strays --stats "$LOGS/selftests-builtin.stats" "$LOGS/selftests.log"
[ $ci_rc -eq 0 ] || tail -5 "$LOGS/selftests.out" >&2

# --- vxe as a module --------------------------------------------------------
KO=$BUILD/vxe-ko
VXE=$TOP/kernel/drivers/gpu/drm/vxe
echo "  BUILD   vxe_ko.ko (log: ${LOGS#"$TOP"/}/vxe-ko-build.log)"
rm -rf "$KO"
mkdir -p "$KO"
ln -s "$VXE"/*.[ch] "$KO/"
ln -s "$VXE/Makefile" "$KO/vxe.mk"
cp "$TOP"/ci/vxe-ko/* "$KO/"
kmake=(make -C "$TREE" O="$OUT" M="$KO" CONFIG_DRM_VXE=m -j"$(nproc)")
# The compiler the kernel was built with (ci/kunit.sh uses ccache)
command -v ccache >/dev/null 2>&1 && kmake+=(CC="ccache gcc")
ko_rc=0
if ! "${kmake[@]}" modules >"$LOGS/vxe-ko-build.log" 2>&1; then
	grep -E 'error|ERROR|undefined' "$LOGS/vxe-ko-build.log" | head -20 >&2
	echo "ci/selftests.sh: vxe_ko.ko does not build" >&2
	ko_rc=1
else
	p=$OUT/kselftest/gpusvm/xe_lifecycle_test
	# kmemleak (on for this boot only: kmemleak=on) then scans what the
	# module's life left: whatever it reports once vxe_ko is gone, and was
	# not there before insmod, is a leak of the unbind and unload paths.
	kml=/sys/kernel/debug/kmemleak
	cmd="echo 'TAP version 13'; echo 1..2
sleep 6; echo scan >$kml && echo clear >$kml || exit 1
insmod $KO/vxe_ko.ko || exit 1
VXE_MODULE=vxe_ko VXE_KO=$KO/vxe_ko.ko $p 2>&1 | sed -u 's/^/  /'; s=\${PIPESTATUS[0]}
case \$s in
0) echo 'ok 1 xe_lifecycle_test (vxe_ko.ko)' ;;
4) echo 'ok 1 xe_lifecycle_test (vxe_ko.ko) # SKIP' ;;
*) echo 'not ok 1 xe_lifecycle_test (vxe_ko.ko)' ;;
esac
! grep -q '^vxe_ko ' /proc/modules || rmmod vxe_ko ||
	{ echo 'not ok 2 kmemleak: nothing left after unbind and rmmod # vxe_ko does not unload'; exit 1; }
sleep 6; echo scan >$kml; echo scan >$kml; leaks=\$(cat $kml)
if [ -z \"\$leaks\" ]; then echo 'ok 2 kmemleak: nothing left after unbind and rmmod'
else printf '%s\\n' \"\$leaks\" | sed 's/^/# /'; echo 'not ok 2 kmemleak: nothing left after unbind and rmmod'; exit 1; fi
[ \$s = 0 ] || [ \$s = 4 ]"
	echo "  RUN     xe_lifecycle_test with vxe_ko.ko (console: ${LOGS#"$TOP"/}/selftests-module.log)"
	# RCU's stall warning after 60 s, not 21: with kmemleak on, this boot's
	# early initcalls (ACPI, before anything of ours) can hold the only,
	# non-preemptible CPU past 21 s under TCG, and the warning is a splat.
	VM_APPEND="${VM_APPEND:-} initcall_blacklist=vxe_init kmemleak=on rcupdate.rcu_cpu_stall_timeout=60" \
		VM_LOG="$LOGS/selftests-module.log" \
		"$TOP/ci/vm-run" --gcov selftests-module -c "$cmd" >"$LOGS/selftests-module.out" 2>&1 || ko_rc=$?
	"$KTAP" parse --fail-strays --stats "$LOGS/selftests-module.stats" "$LOGS/selftests-module.log"
	[ $ko_rc -eq 0 ] || tail -5 "$LOGS/selftests-module.out" >&2
fi

# Both boots count: the sum of their stats
cat "$LOGS/selftests-builtin.stats" "$LOGS/selftests-module.stats" 2>/dev/null |
	awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (!(kv[1] in s)) o[++n] = kv[1]; s[kv[1]] += kv[2] } }
	     END { for (i = 1; i <= n; i++) printf "%s%s=%d", (i > 1 ? " " : ""), o[i], s[o[i]]; print "" }' \
	>"$LOGS/selftests.stats"
[ $ci_rc -eq 0 ] && [ $ko_rc -eq 0 ] || exit 1
