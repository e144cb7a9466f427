#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ci/patches.sh - write the tree's commits on top of gpusvm-base back into
# kernel/patches (one git-am-able patch per commit) and the series file.
#
# The workflow: make tree; edit and "git commit" inside build/linux (or
# "git rebase -i gpusvm-base" to change a patch); make patches.  The stamp
# is updated too, since the tree already holds exactly these patches.
set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-$TOP/build}
TREE=$BUILD/linux
PATCHES=$TOP/kernel/patches

git -C "$TREE" rev-parse -q --verify gpusvm-base >/dev/null ||
	{ echo "ci/patches.sh: $TREE has no gpusvm-base tag: run make tree first" >&2; exit 1; }
[ -z "$(git -C "$TREE" status --porcelain --untracked-files=no)" ] ||
	{ echo "ci/patches.sh: $TREE has uncommitted changes: commit them first" >&2; exit 1; }

mkdir -p "$PATCHES"
rm -f "$PATCHES"/*.patch
git -C "$TREE" format-patch -q --no-signature --zero-commit --no-stat \
	--no-numbered --full-index \
	-o "$PATCHES" gpusvm-base..HEAD
(cd "$PATCHES" && ls -1 -- *.patch 2>/dev/null) >"$PATCHES/series" || true
echo "  PATCHES $(wc -l <"$PATCHES/series") patches in kernel/patches"

# The tree now matches the series: refresh the stamp's patch key.
if [ -f "$BUILD/linux.stamp" ]; then
	key=$( { echo $(cat "$PATCHES/series"); while read -r p; do cat "$PATCHES/$p"; done <"$PATCHES/series"; } |
		sha256sum | cut -d' ' -f1)
	sed -i "s/^patches=.*/patches=$key/" "$BUILD/linux.stamp"
fi
