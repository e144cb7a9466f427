#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ci/igt.sh [run|full|build] - upstream IGT and our IGT tests ("make igt",
# "make igt-full").
#
#   build  IGT into build/igt (lib, igt_runner, the upstream Xe tests our
#          lists name) and our tests (igt-tests/) into build/igt/gpusvm
#   run    build, then igt-tests/upstream.testlist, igt-tests/xe.testlist,
#          every subtest of our tests, and the lists that need a guest of
#          their own: igt-tests/xe-engines.testlist (two video engines),
#          xe-vram.testlist (2.5 GiB of VRAM) and xe-multigpu.testlist
#          (IGT's device filters), with igt_runner (default)
#   full   build, then all subtests of xe_exec_system_allocator and
#          xe_svm_usrptr_madvise
#
# IGT comes from IGT_DIR (a checkout, never written) or a pinned snapshot,
# ../shared/vendor/igt-gpu-tools-$IGT_SNAPSHOT.tar.xz, unpacked into build/:
# IGT_SNAPSHOT=731d4d56 (upstream of 2026-04-22, the default) or b3d809d5
# (2025-10-17, what the lists were first triaged on).
# With neither, it says where to get IGT and counts one skipped test.
#
# IGT_TARGET=vm (default): igt_runner runs as root in the x86_64 test
#   kernel through ci/vm-run (VM_OUT, QEMU_MEM honoured; 2 vxe devices, 128
#   huge pages); IGT_TARGET=host: on this machine's own GPU (a lab; root).
# IGT_LISTS: the test lists of "run" (default: the five above).
# IGT_TIMEOUT: seconds for the whole run (run: 2700, full: 21600).
# IGT_TEST_TIMEOUT: seconds for one subtest (run: 300; full: 3000, for the
#   two prefetch-*benchmark subtests: 128 rounds of 64 MiB to VRAM and back
#   on each engine take 15 to 25 minutes under TCG).
# IGT_SHARDS=N (1 to 8, default 1): N guests at once, each running every
#   Nth entry of the list (guest k: entries k, k + N, ...; a TCG guest
#   keeps one core busy), the results merged into one run.
# IGT_MESON_OPTS: meson options for IGT (default: no docs, man, overlay...).
# IGT_RUNNER_OPTS: more igt_runner options (--environment KEY=VALUE, -x REGEX...).
#
# Results: build/igt/results/{run,full}/results.json (igt_runner's), and
# build/logs/igt[-full].{log,xml,stats}: the summary, JUnit, the counts.
# Exit status non-zero on a failed subtest, a kernel splat, a build error.
set -uo pipefail

TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-$TOP/build}
VENDOR=${VENDOR:-$TOP/../shared/vendor}
IGT_SNAPSHOT=${IGT_SNAPSHOT:-731d4d56}
TARBALL=$VENDOR/igt-gpu-tools-$IGT_SNAPSHOT.tar.xz
TARGET=${IGT_TARGET:-vm}
IGTB=$BUILD/igt
LOGS=$BUILD/logs
KTAP=$TOP/ci/ktap/ktap
MESON_OPTS=${IGT_MESON_OPTS:--Dman=disabled -Ddocs=disabled -Dtestplan=disabled
	-Doverlay=disabled -Dchamelium=disabled -Dvalgrind=disabled}
MESON_OPTS=$(echo $MESON_OPTS)	# one line, for the stamp
mode=${1:-run}
export TOP BUILD

die() { echo "ci/igt.sh: $*" >&2; exit 1; }
case "$mode" in
run) name=igt ;;
full) name=igt-full ;;
build) name=igt-build ;;
*) echo "usage: ci/igt.sh [run|full|build]" >&2; exit 2 ;;
esac
case "$TARGET" in
vm | host) ;;
*) die "IGT_TARGET is vm or host, not '$TARGET'" ;;
esac
mkdir -p "$LOGS"
STATS=$LOGS/$name.stats
rm -f "$STATS"

# --- the source
if [ -n "${IGT_DIR:-}" ]; then
	SRC=$(cd "$IGT_DIR" 2>/dev/null && pwd) || die "IGT_DIR=$IGT_DIR: no such directory"
	[ -f "$SRC/meson.build" ] && [ -f "$SRC/lib/igt_core.c" ] ||
		die "IGT_DIR=$IGT_DIR is no IGT GPU Tools source tree"
elif [ -f "$TARBALL" ]; then
	SRC=$BUILD/igt-gpu-tools-$IGT_SNAPSHOT
	# Its version, not the enclosing repository's HEAD that IGT's "git log"
	# would find from build/ (and then rebuild libigt.so at every commit).
	MESON_OPTS="$MESON_OPTS -Dversion_hash=g$IGT_SNAPSHOT"
	sum=$(sha256sum "$TARBALL" | cut -d' ' -f1)
	if [ "$(cat "$SRC/.gpusvm-unpacked" 2>/dev/null)" != "$sum" ]; then
		echo "  UNPACK  ${TARBALL#"$TOP"/}"
		rm -rf "$SRC"
		tar -xJf "$TARBALL" -C "$BUILD" || die "cannot unpack $TARBALL"
		echo "$sum" >"$SRC/.gpusvm-unpacked"
	fi
else
	cat >&2 <<EOF
ci/igt.sh: no IGT: skipped.
  IGT GPU Tools is the pinned snapshot ../shared/vendor/igt-gpu-tools-$IGT_SNAPSHOT.tar.xz
  (731d4d56: upstream commit 731d4d56fcb40355ce9d65cb088d4b4773dd8b85, see that
  directory's README.md), or a checkout of upstream IGT (the drm/igt-gpu-tools project on
  freedesktop.org's GitLab) named with IGT_DIR=/path/to/igt-gpu-tools.
EOF
	echo "passed=0 failed=0 skipped=1 crashed=0 errors=0" >"$STATS"
	exit 0
fi

# --- the build
"$TOP/ci/deps.sh" igt || die "IGT's build dependencies are missing"

# The upstream tests the lists name, and our tests.
read -r -a lists <<<"${IGT_LISTS:-$TOP/igt-tests/upstream.testlist $TOP/igt-tests/xe.testlist $TOP/igt-tests/xe-engines.testlist $TOP/igt-tests/xe-vram.testlist $TOP/igt-tests/xe-multigpu.testlist}"
mapfile -t upstream < <({ echo xe_exec_system_allocator
	sed -n 's/^igt@\([a-z0-9_]*\).*/\1/p' "${lists[@]}" 2>/dev/null; } | sort -u)
mapfile -t ours < <(cd "$TOP/igt-tests" && ls -1 *.c | sed "s/\.c$//")

if [ ! -f "$IGTB/build.ninja" ] || [ "$(cat "$IGTB/.gpusvm-source" 2>/dev/null)" != "$SRC $MESON_OPTS" ]; then
	echo "  MESON   IGT from ${SRC#"$TOP"/} (log: ${LOGS#"$TOP"/}/igt-build.log)"
	rm -rf "$IGTB"
	# shellcheck disable=SC2086 # the options are words
	meson setup "$IGTB" "$SRC" $MESON_OPTS >"$LOGS/igt-build.log" 2>&1 ||
		{ tail -20 "$LOGS/igt-build.log" >&2; die "meson setup of IGT failed"; }
	echo "$SRC $MESON_OPTS" >"$IGTB/.gpusvm-source"
fi
echo "  NINJA   IGT: lib, igt_runner, ${upstream[*]}"
targets=(runner/igt_runner runner/igt_results)
for t in "${upstream[@]}"; do targets+=("tests/$t"); done
nice ninja -C "$IGTB" "${targets[@]}" >>"$LOGS/igt-build.log" 2>&1 ||
	{ grep -E 'error|FAILED' "$LOGS/igt-build.log" | tail -20 >&2; die "IGT does not build"; }

G=$IGTB/gpusvm
if [ ! -f "$G/build.ninja" ] || [ "$(cat "$G/.gpusvm-source" 2>/dev/null)" != "$SRC" ]; then
	rm -rf "$G"
	meson setup "$G" "$TOP/igt-tests" -Digt_source="$SRC" -Digt_build="$IGTB" \
		>>"$LOGS/igt-build.log" 2>&1 ||
		{ tail -20 "$LOGS/igt-build.log" >&2; die "meson setup of igt-tests failed"; }
	echo "$SRC" >"$G/.gpusvm-source"
fi
echo "  NINJA   igt-tests: ${ours[*]}"
nice ninja -C "$G" >>"$LOGS/igt-build.log" 2>&1 ||
	{ grep -E 'error|FAILED' "$LOGS/igt-build.log" | tail -20 >&2; die "igt-tests do not build"; }

# igt_runner's test root: every binary we run, side by side.
BIN=$IGTB/bin-$mode
rm -rf "$BIN"
mkdir -p "$BIN"
for t in "${upstream[@]}"; do ln -s "$IGTB/tests/$t" "$BIN/$t"; done
for t in "${ours[@]}"; do ln -s "$G/$t" "$BIN/$t"; done
printf '%s\n' "${upstream[@]}" "${ours[@]}" >"$BIN/test-list.txt"

if [ "$mode" = build ]; then
	echo "passed=1 failed=0 skipped=0 crashed=0 errors=0" >"$STATS"
	exit 0
fi

# --- the run
R=$IGTB/results/${mode}
rm -rf "$R"
mkdir -p "$R"
LIST=$IGTB/results/$mode.testlist
# A list with a "# guest-params: PARAMS" line needs a device set up another
# way (vxe.engines=...): in a guest, its entries run in a guest of their
# own booted with PARAMS added, once the first of the other guests is done
# (results merged); on a host, with the others.  A "# guest-env: VAR=VALUE"
# line (IGT_DEVICE=... device filters) runs its entries in a guest of their
# own too, with VAR set for IGT.
extra_lists=()
extra_params=()
extra_env=()
if [ "$mode" = run ]; then
	: >"$LIST"
	for l in "${lists[@]}"; do
		p=$(sed -n 's/^# guest-params:[[:space:]]*//p' "$l" | head -1)
		e=$(sed -n 's/^# guest-env:[[:space:]]*//p' "$l" | head -1)
		if [ -n "$p$e" ] && [ "$TARGET" = vm ]; then
			x=$LIST.x${#extra_lists[@]}
			grep '^igt@' "$l" | sed 's/[[:space:]].*//' >"$x"
			extra_lists+=("$x")
			extra_params+=("$p")
			extra_env+=("$e")
		else
			grep '^igt@' "$l" | sed 's/[[:space:]].*//' >>"$LIST"
		fi
	done
	for t in "${ours[@]}"; do echo "igt@$t"; done >>"$LIST"
	timeout=${IGT_TIMEOUT:-2700}
	test_timeout=${IGT_TEST_TIMEOUT:-300}
else
	# (xe_svm_usrptr_madvise is new in snapshot 731d4d56)
	for t in xe_exec_system_allocator xe_svm_usrptr_madvise; do
		[ -x "$IGTB/tests/$t" ] || continue
		"$IGTB/tests/$t" --list-subtests | sed "s/^/igt@$t@/"
	done >"$LIST"
	timeout=${IGT_TIMEOUT:-21600}
	test_timeout=${IGT_TEST_TIMEOUT:-3000}
	# A process per subtest, as for the lists: igt_runner's multiple mode
	# (one process for all) would save about a second per subtest under
	# TCG, but the subtests' memory then adds up to an OOM kill.
fi
n=$(grep -c . "$LIST")
n_extra=0
for x in "${extra_lists[@]}"; do n_extra=$((n_extra + $(grep -c . "$x"))); done
runner=("$IGTB/runner/igt_runner" --overwrite --per-test-timeout "$test_timeout")
# Under TCG the kernel prints warning-level noise no test causes
# ("clocksource: Long readout interval"): in the test kernel only DRM's
# warnings make a subtest dmesg-warn (piglit's rule), and ci/vm-run fails
# the run on any kernel splat.
[ "$TARGET" = host ] || runner+=(--piglit-style-dmesg)
# shellcheck disable=SC2206 # the options are words
runner+=(${IGT_RUNNER_OPTS:-})
# The command of one guest (or of the host) running the entries of list $1
# into results directory $2, with the environment variable assignment $3
# (VAR=VALUE, an extra list's guest-env) if any.
runner_cmd() {
	local c
	printf -v c '%q ' "${runner[@]}" --test-list "$1" "$BIN" "$2"
	[ -z "${3:-}" ] || c="env $(printf '%q' "$3") $c"
	# The test kernel reserves huge pages for the *-huge sections (a host
	# keeps its own setting: they skip unless the lab reserved some).
	[ "$TARGET" = host ] || c="echo 128 > /proc/sys/vm/nr_hugepages; $c"
	echo "$c"
}

# One guest running list $1 into $2; console $3, output $4; $5: more
# kernel parameters (an extra list's, also after a VM_APPEND of the
# caller's); $6: an environment variable for IGT (an extra list's).  Guests sharing the cores with each other (shards) get a
# longer RCU stall timeout: under TCG a vCPU the host does not run for
# 21 s is no kernel bug.
guest() {
	local append="vxe.num_devices=2"

	[ "$shards" -eq 1 ] || append+=" rcupdate.rcu_cpu_stall_timeout=60"
	QEMU_MEM=${QEMU_MEM:-4096} VM_APPEND="${VM_APPEND:-$append}${5:+ $5}" \
		VM_LOG="$3" "$TOP/ci/vm-run" --timeout "$timeout" -c "$(runner_cmd "$1" "$2" "${6:-}")" >"$4" 2>&1
}

# The extra lists, one guest each, results in $R.x0, $R.x1...
run_extras() {
	local i rc=0

	for i in "${!extra_lists[@]}"; do
		rm -rf "$R.x$i"
		guest "${extra_lists[$i]}" "$R.x$i" "$LOGS/$name.console.x$i" \
			"$LOGS/$name.out.x$i" "${extra_params[$i]}" "${extra_env[$i]}" || rc=$?
	done
	return $rc
}

# The results directories of the guests ($R.0... then $R.x0...) into $R,
# as one run of the whole list: the joblists one after the other, the
# per-test directories renumbered, and igt_results to make results.json of
# it (from each test's comms and dmesg, so a guest that died counts what
# it ran).  The guests' consoles and outputs too, into one of each.
merge_guests() {
	local d i n_k off=0 dirs=() k

	for ((k = 0; k < shards; k++)); do dirs+=("$k"); done
	for k in "${!extra_lists[@]}"; do dirs+=("x$k"); done
	for k in "${dirs[@]}"; do
		cat "$LOGS/$name.out.$k"
	done >"$LOGS/$name.out" 2>/dev/null
	for k in "${dirs[@]}"; do
		if [ "${k#x}" = "$k" ]; then
			echo "=== guest $k of $shards: entries $((k + 1)), $((k + 1 + shards)), ..."
		else
			echo "=== extra guest ${extra_params[${k#x}]}${extra_env[${k#x}]:+ ${extra_env[${k#x}]}}: ${extra_lists[${k#x}]##*/}"
		fi
		cat "$LOGS/$name.console.$k"
	done >"$LOGS/$name.console" 2>/dev/null
	rm -f "$LOGS/$name".{out,console}.{[0-9],x[0-9]}

	mkdir -p "$R"
	cp "$R.0/metadata.txt" "$R.0/starttime.txt" "$R.0/uname.txt" "$R/" 2>/dev/null
	: >"$R/joblist.txt"
	for k in "${dirs[@]}"; do
		d=$R.$k
		[ -f "$d/joblist.txt" ] || continue
		n_k=$(grep -c . "$d/joblist.txt")
		cat "$d/joblist.txt" >>"$R/joblist.txt"
		for ((i = 0; i < n_k; i++)); do
			[ ! -d "$d/$i" ] || mv "$d/$i" "$R/$((off + i))"
		done
		off=$((off + n_k))
		rm -rf "$d"
	done
	"$IGTB/runner/igt_results" "$R" >/dev/null 2>&1
}

shards=${IGT_SHARDS:-1}
[ "$TARGET" = vm ] || shards=1
[[ "$shards" =~ ^[1-8]$ ]] || die "IGT_SHARDS is 1 to 8, not '$shards'"
[ "$shards" -le "$n" ] || shards=$n

where=$TARGET
[ "$shards" -eq 1 ] || where="$TARGET, $shards guests at once"
[ ${#extra_lists[@]} -eq 0 ] || where+=", then $n_extra in ${#extra_lists[@]} more"
echo "  RUN     $n test entries on $where (console: ${LOGS#"$TOP"/}/$name.console)"
t0=$(date +%s)
if [ "$TARGET" = vm ] && { [ "$shards" -gt 1 ] || [ ${#extra_lists[@]} -gt 0 ]; }; then
	# Each guest keeps one core busy (TCG): N guests at once, guest k
	# running entries k, k + N, k + 2N... (a family of subtests, of like
	# cost, is spread over all of them), then the extra lists where the
	# first of them finished; then one result as if one guest ran it all.
	pids=()
	for ((k = 0; k < shards; k++)); do
		rm -rf "$R.$k"
		awk -v k="$k" -v s="$shards" '(NR - 1) % s == k' "$LIST" >"$LIST.$k"
		[ -s "$LIST.$k" ] || continue
		guest "$LIST.$k" "$R.$k" "$LOGS/$name.console.$k" "$LOGS/$name.out.$k" &
		pids+=($!)
	done
	run_rc=0
	if [ ${#extra_lists[@]} -gt 0 ]; then
		# The extra lists take the core of the first guest to finish.
		if [ ${#pids[@]} -gt 0 ]; then
			wait -n -p done_pid "${pids[@]}" || run_rc=$?
			for k in "${!pids[@]}"; do
				[ "${pids[$k]}" != "$done_pid" ] || unset "pids[$k]"
			done
		fi
		run_extras &
		pids+=($!)
	fi
	for pid in "${pids[@]}"; do
		wait "$pid" || run_rc=$?
	done
	rm -f "$LIST".[0-9] "$LIST".x[0-9]
	merge_guests
elif [ "$TARGET" = vm ]; then
	guest "$LIST" "$R" "$LOGS/$name.console" "$LOGS/$name.out"
	run_rc=$?
else
	[ "$(id -u)" -eq 0 ] || die "IGT_TARGET=host: igt_runner must run as root"
	timeout "$timeout" bash -c "$(runner_cmd "$LIST" "$R")" >"$LOGS/$name.out" 2>&1
	run_rc=$?
	cp "$LOGS/$name.out" "$LOGS/$name.console"
fi
wall=$(($(date +%s) - t0))

# A guest that died mid-run leaves the per-test directories: make the
# results of what ran.
[ -s "$R/results.json" ] || "$IGTB/runner/igt_results" "$R" >/dev/null 2>&1
[ -s "$R/results.json" ] || {
	tail -30 "$LOGS/$name.out" >&2
	die "no results ($R/results.json); $TARGET run exited $run_rc"
}
"$KTAP" igt --color=never --stats "$STATS" --junit "$LOGS/$name.xml" \
	--junit-name "$name" "$R/results.json" | tee "$LOGS/$name.log"
ktap_rc=${PIPESTATUS[0]}
echo "igt: wall time ${wall}s for $((n + n_extra)) test entries on $TARGET; results: ${R#"$TOP"/}/results.json"
if [ $run_rc -ne 0 ]; then
	echo "ci/igt.sh: the $TARGET run exited $run_rc (console: ${LOGS#"$TOP"/}/$name.console):" >&2
	grep -E 'vm-run:|^  ' "$LOGS/$name.out" | tail -40 >&2
	exit 1
fi
exit $ktap_rc
