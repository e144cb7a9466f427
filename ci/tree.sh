#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ci/tree.sh - prepare the Linux 6.12 tree gpusvm builds in (build/linux).
#
#   KDIR unset      unpack the Debian tarball (TARBALL, default
#                   /usr/src/linux-source-6.12.tar.xz) into build/linux
#   KDIR=/path      a git tree: cloned (--shared, nothing is written into
#                   KDIR) at its HEAD; a plain directory: copied with rsync
#   INPLACE=1       with KDIR: patch and link KDIR itself (explicit opt-in)
#   FORCE=1         re-create the tree even when the stamp matches
#
# Then kernel/patches/series is applied with "git am" on top of the tag
# gpusvm-base, and the overlay is linked in (symlinks, so an edit in the
# repository is an incremental rebuild):
#   kernel/<path>         -> <tree>/<path>
#   kunit/                -> <tree>/drivers/gpu/drm/tests/gpusvm
#   selftests/gpusvm/     -> <tree>/tools/testing/selftests/gpusvm
#
# The stamp (build/linux.stamp) records the base tree and a hash of the
# patches: an unchanged tree is a no-op (only the links are refreshed); a
# changed patch resets the tree to gpusvm-base and re-applies the series,
# which keeps every untouched file's mtime, so rebuilds stay incremental.
set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-$TOP/build}
TARBALL=${TARBALL:-/usr/src/linux-source-6.12.tar.xz}
KDIR=${KDIR:-}
INPLACE=${INPLACE:-}
FORCE=${FORCE:-}
TREE=$BUILD/linux
STAMP=$BUILD/linux.stamp
PATCHES=$TOP/kernel/patches

say() { echo "  TREE    $*"; }
die() { echo "ci/tree.sh: $*" >&2; exit 1; }
tgit() { git -C "$TREE" -c gc.auto=0 -c user.name="gpusvm tree" \
	-c user.email=gpusvm-tree@localhost "$@"; }

mkdir -p "$BUILD"

# --- where the tree comes from ------------------------------------------------
if [ -n "$KDIR" ]; then
	KDIR=$(cd "$KDIR" 2>/dev/null && pwd) || die "KDIR=$KDIR: no such directory"
	[ -f "$KDIR/Makefile" ] && grep -q '^VERSION = 6$' "$KDIR/Makefile" &&
		grep -q '^PATCHLEVEL = 12$' "$KDIR/Makefile" ||
		die "KDIR=$KDIR is not a Linux 6.12 tree (its Makefile says otherwise)"
	if git -C "$KDIR" rev-parse --git-dir >/dev/null 2>&1; then
		kind=git
		base_key="git:$KDIR:$(git -C "$KDIR" rev-parse HEAD)"
	else
		kind=dir
		base_key="dir:$KDIR:$(stat -c '%s.%Y' "$KDIR/Makefile")"
	fi
	if [ -n "$INPLACE" ]; then
		[ "$kind" = git ] || die "INPLACE=1 needs KDIR to be a git tree (patches are applied with git am)"
		kind=inplace
		base_key="inplace:$KDIR"
	fi
else
	[ -f "$TARBALL" ] || die "$TARBALL not found: run ci/deps.sh (Debian package linux-source-6.12) or set KDIR=/path/to/linux-6.12"
	kind=tarball
	base_key="tarball:$TARBALL:$(stat -c '%s.%Y' "$TARBALL")"
fi

series=()
if [ -f "$PATCHES/series" ]; then
	while read -r p; do
		p=${p%%#*}; p=${p//[[:space:]]/}
		[ -n "$p" ] || continue
		[ -f "$PATCHES/$p" ] || die "kernel/patches/series names $p, which does not exist"
		series+=("$p")
	done <"$PATCHES/series"
fi
patch_key=$( { echo "${series[@]}"; for p in "${series[@]}"; do cat "$PATCHES/$p"; done; } |
	sha256sum | cut -d' ' -f1)

old_base= old_patches=
if [ -f "$STAMP" ] && [ -z "$FORCE" ]; then
	old_base=$(sed -n 's/^base=//p' "$STAMP")
	old_patches=$(sed -n 's/^patches=//p' "$STAMP")
fi

# --- (re)create the base tree -------------------------------------------------
create_base() {
	if [ -L "$TREE" ]; then
		rm -f "$TREE"
	elif [ -e "$TREE" ]; then
		say "removing the old tree"
		rm -rf "$TREE"
	fi
	case "$kind" in
	tarball)
		say "unpacking $(basename "$TARBALL")"
		mkdir -p "$TREE"
		tar -xJf "$TARBALL" -C "$TREE" --strip-components=1
		;;
	git)
		say "cloning $KDIR (shared objects, KDIR is not written)"
		git clone -q --shared --no-checkout "$KDIR" "$TREE"
		tgit checkout -q --detach "$(git -C "$KDIR" rev-parse HEAD)"
		[ -z "$(git -C "$KDIR" status --porcelain --untracked-files=no)" ] ||
			echo "ci/tree.sh: note: KDIR has uncommitted changes; they are not used (commit them to build with them)" >&2
		;;
	dir)
		say "copying $KDIR"
		mkdir -p "$TREE"
		rsync -a --exclude=.git "$KDIR/" "$TREE/"
		;;
	inplace)
		[ -z "$(git -C "$KDIR" status --porcelain --untracked-files=no)" ] ||
			die "INPLACE=1: KDIR=$KDIR has uncommitted changes; commit or stash them first"
		ln -s "$KDIR" "$TREE"
		;;
	esac
	if [ "$kind" = tarball ] || [ "$kind" = dir ]; then
		say "recording the base tree in git (tag gpusvm-base)"
		tgit init -q
		# Debian's tarball ignores everything at its top level (its
		# packaging repository's rule): drop that stanza so git status in
		# the tree shows real changes, and record every file it ships.
		sed -i '/^# Debian packaging: ignore everything/,/^!\/debian\/$/d' "$TREE/.gitignore"
		tgit add -A -f
		tgit commit -q -m "Linux $(sed -n 's/^VERSION = //p;' "$TREE/Makefile").$(sed -n 's/^PATCHLEVEL = //p' "$TREE/Makefile").$(sed -n 's/^SUBLEVEL = //p' "$TREE/Makefile") base ($kind)"
	fi
	if [ "$kind" = inplace ]; then
		# In place, the base is where the tree was before our first series.
		tgit rev-parse -q --verify gpusvm-base >/dev/null || tgit tag gpusvm-base
		tgit reset -q --hard gpusvm-base
	else
		tgit tag -f gpusvm-base >/dev/null
	fi
}

apply_series() {
	local p
	for p in "${series[@]}"; do
		say "git am $p"
		if ! tgit am -q --keep-cr "$PATCHES/$p" >"$BUILD/git-am.log" 2>&1; then
			cat "$BUILD/git-am.log" >&2
			tgit am --abort >/dev/null 2>&1 || true
			die "kernel/patches/$p does not apply with git am on $(tgit describe --always --tags)"
		fi
	done
}

need_base=
if [ "$old_base" != "$base_key" ]; then
	need_base=1
elif [ "$kind" = inplace ]; then
	[ -L "$TREE" ] || need_base=1
elif [ ! -d "$TREE/.git" ]; then
	need_base=1
fi
if [ -n "$need_base" ]; then
	create_base
	apply_series
elif [ "$old_patches" != "$patch_key" ]; then
	say "patches changed: resetting to gpusvm-base and re-applying the series"
	tgit am --abort >/dev/null 2>&1 || true
	tgit reset -q --hard gpusvm-base
	apply_series
fi

# --- the overlay --------------------------------------------------------------
# link SRC at DST: a directory that the tree lacks becomes one symlink (new
# files appear without re-running this); a directory the tree has is walked;
# a file the tree already has is an error (change it with a patch instead).
links=()
link_path() {
	local src=$1 dst=$2 rel=$3 f
	if [ -L "$dst" ]; then
		[ "$(readlink "$dst")" = "$src" ] || ln -sfn "$src" "$dst"
		links+=("/$rel")
	elif [ -d "$src" ] && [ -d "$dst" ]; then
		for f in "$src"/* "$src"/.[!.]*; do
			[ -e "$f" ] || continue
			link_path "$f" "$dst/${f##*/}" "$rel/${f##*/}"
		done
	elif [ -e "$dst" ]; then
		die "overlay file ${src#"$TOP"/} would replace $rel, which the tree already has: change it with a patch in kernel/patches"
	else
		mkdir -p "$(dirname "$dst")"
		ln -s "$src" "$dst"
		links+=("/$rel")
	fi
}

# Remove links into this repository whose target is gone.
find "$TREE/" -xdev -type l -lname "$TOP/*" ! -exec test -e {} \; -delete 2>/dev/null || true

for d in "$TOP"/kernel/*; do
	[ -e "$d" ] || continue
	[ "${d##*/}" = patches ] && continue
	link_path "$d" "$TREE/${d##*/}" "${d##*/}"
done
[ -d "$TOP/kunit" ] && link_path "$TOP/kunit" "$TREE/drivers/gpu/drm/tests/gpusvm" drivers/gpu/drm/tests/gpusvm
[ -d "$TOP/selftests/gpusvm" ] &&
	link_path "$TOP/selftests/gpusvm" "$TREE/tools/testing/selftests/gpusvm" tools/testing/selftests/gpusvm

# Keep "git status" in the tree about real changes: the links are ours.
gitdir=$(tgit rev-parse --git-dir)
case "$gitdir" in /*) ;; *) gitdir=$TREE/$gitdir ;; esac
mkdir -p "$gitdir/info"
{ echo "# gpusvm overlay links (ci/tree.sh)"; printf '%s\n' "${links[@]}"; } >"$gitdir/info/exclude"

printf 'base=%s\npatches=%s\n' "$base_key" "$patch_key" >"$STAMP"
