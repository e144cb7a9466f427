#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# coverage/test-gcov-dump.sh GCOV_DUMP - the tar writer of gcov-dump, on
# the host: a fake gcov tree (long paths, sizes around the 512-byte block,
# .gcno symlinks and "reset" that must be left out) is dumped, extracted
# with GNU tar and compared byte for byte; a full device must fail.
# Prints TAP.
set -uo pipefail
DUMP=${1:?usage: test-gcov-dump.sh path/to/gcov-dump}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0 bad=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; bad=$((bad + 1)); fi; }

echo "TAP version 13"
echo "1..5"
root=$T/gcov
deep=$root/work/$(printf 'd%.0s' {1..90})/build/x86_64/drivers/gpu/drm/vxe
mkdir -p "$deep" "$root/short"
seed=20261126
echo "# seed $seed"
i=0
for size in 0 1 511 512 513 70000; do
	i=$((i + 1))
	LC_ALL=C awk -v n="$size" -v s="$seed$i" 'BEGIN { srand(s); for (k = 0; k < n; k++) printf "%c", int(rand() * 256) }' >"$deep/f$i.gcda"
done
head -c 100 /dev/zero >"$root/short/a.gcda"
ln -s /nonexistent/x.gcno "$deep/f1.gcno"
echo 1 >"$root/reset"
echo junk >"$root/short/notes.txt"

GCOV_DUMP_ROOT=$root "$DUMP" "$T/out.tar" >"$T/log" 2>&1
ok $? "dump succeeds: $(cat "$T/log")"
mkdir "$T/x"
tar -xf "$T/out.tar" -C "$T/x" 2>"$T/tarerr"
ok $? "GNU tar extracts the archive $(cat "$T/tarerr")"
diff -r "$root" "$T/x" >"$T/diff" 2>&1
# only what must be left out differs
grep -v -E 'Only in .*: (f1\.gcno|reset|notes\.txt)$' "$T/diff" >"$T/diff2"
ok $([ -s "$T/diff2" ] && echo 1 || echo 0) "every .gcda (7, long paths, 0..70000 bytes) round-trips byte for byte, nothing else is archived"
[ "$(tar -tf "$T/out.tar" | wc -l)" = 7 ]
ok $? "the archive lists exactly 7 members"
GCOV_DUMP_ROOT=$root "$DUMP" /dev/full >"$T/log2" 2>&1
rc=$?
ok $([ $rc = 1 ] && grep -q 'No space left' "$T/log2" && echo 0 || echo 1) "a full output fails with exit 1 and says why"
[ $bad = 0 ]
