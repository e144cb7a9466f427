#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# coverage/coverage.sh [report|gaps] - lcov reports from the gcov data the
# test layers copied out of their guests.
#
#   report (default)  capture each layer, merge, filter to our sources,
#                     write HTML, lcov .info and Cobertura XML, print the
#                     per-file summary, apply coverage/thresholds
#   gaps              every function and branch no layer reaches, by file
#
# A layer is a directory build/coverage/LAYER/ holding gcov.img: the tar
# archive (on a zero-filled raw disk image) that coverage/gcov-dump wrote
# in the x86_64 guest, with the .gcda files under their object paths.
# ci/kunit.sh x86_64 writes the "kunit" layer; the selftest and IGT runs
# add theirs the same way.  The .gcno files come from build/x86_64, the
# kernel that ran.  Outputs, all in build/coverage/:
#   LAYER.info      one layer, our sources only, branch data on
#   merged.info     all layers together (what the gates judge)
#   html/index.html genhtml report of merged.info
#   cobertura.xml   merged.info in Cobertura form (for GitLab, Jenkins)
#   summary.txt     the table printed at the end
#   gates.stats     passed=N failed=N: one check per thresholds line
# Exits 1 when data is missing or a file is below its threshold.
set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-$TOP/build}
OBJ=$BUILD/x86_64
KO=$BUILD/vxe-ko
C=$BUILD/coverage
THRESHOLDS=${COVERAGE_THRESHOLDS:-$TOP/coverage/thresholds}
MODE=${1:-report}
RC=(--rc lcov_branch_coverage=1)
# our sources, as they appear in the prepared tree and in build/vxe-ko
PATTERNS=('*/drivers/gpu/drm/drm_gpusvm.c' '*/drivers/gpu/drm/drm_pagemap*.c'
	  '*/drivers/gpu/drm/vxe/*.c' '*/vxe-ko/*.c')

die() { echo "coverage: $*" >&2; exit 1; }

# ours ALL.INFO OUT.INFO LOG - keep our sources only, with the tree's
# overlay symlinks resolved to the files in the repo
ours() {
	lcov --quiet "${RC[@]}" --extract "$1" "${PATTERNS[@]}" \
		--output-file "$2.tmp" >>"$3" 2>&1 ||
		{ cat "$3" >&2; die "none of our sources in $1"; }
	awk '
		/^SF:/ {
			f = substr($0, 4)
			cmd = "readlink -f \"" f "\""
			cmd | getline real
			close(cmd)
			if (real != "") f = real
			print "SF:" f
			next
		}
		{ print }' "$2.tmp" >"$2"
	rm -f "$2.tmp"
}

# capture LAYER - build/coverage/LAYER.info from LAYER/gcov.img.  The
# archive names each .gcda by the object's path at build time: under
# build/x86_64 for the kernel (built-in vxe, the library), under
# build/vxe-ko for vxe_ko.ko (ci/selftests.sh's module boot).  Each root is
# captured with its own notes, then both are added into one tracefile.
capture() {
	local layer=$1 d=$C/$1 root rel n=0 gcda note="" parts=()
	rm -rf "$d/gcda" "$d"/all*.info "$C/$layer.info"
	mkdir -p "$d/gcda"
	[ "$d/gcov.img" -nt "$OBJ/arch/x86/boot/bzImage" ] ||
		die "$layer: build/x86_64 was rebuilt after this layer ran: run it again (make kunit-x86_64)"
	tar -xf "$d/gcov.img" -C "$d/gcda" ||
		die "$layer: the gcov archive $d/gcov.img is damaged (was the dump cut short? see the console log)"
	[ -d "$d/gcda$OBJ" ] ||
		die "$layer: no data for $OBJ in $d/gcov.img (the run ended before the dump? see the console log)"
	for root in "$OBJ" "$KO"; do
		[ -d "$d/gcda$root" ] || continue
		while IFS= read -r -d '' gcda; do
			rel=${gcda#"$d/gcda$root/"}
			[ -f "$root/${rel%.gcda}.gcno" ] ||
				die "$layer: $root/${rel%.gcda}.gcno is missing: the objects were rebuilt after the run"
			# An object compiled again since (a W=1 check build,
			# say) has notes that no longer match the counters.
			[ "$root/${rel%.gcda}.gcno" -nt "$d/gcov.img" ] &&
				die "$layer: $root/${rel%.gcda}.gcno was compiled after this layer ran: run it again (make coverage)"
			cp "$root/${rel%.gcda}.gcno" "${gcda%.gcda}.gcno"
			n=$((n + 1))
		done < <(find "$d/gcda$root" -name '*.gcda' -print0)
		lcov --quiet "${RC[@]}" --capture --test-name "$layer" \
			--directory "$d/gcda$root" --base-directory "$root" \
			--output-file "$d/all${#parts[@]}.info" >>"$d/lcov.log" 2>&1 ||
			{ cat "$d/lcov.log" >&2; die "$layer: lcov --capture of $root failed"; }
		parts+=(--add-tracefile "$d/all${#parts[@]}.info")
	done
	[ $n -gt 0 ] || die "$layer: the archive holds no .gcda file"
	lcov --quiet "${RC[@]}" "${parts[@]}" --output-file "$d/all.info" >>"$d/lcov.log" 2>&1 ||
		{ cat "$d/lcov.log" >&2; die "$layer: lcov --add-tracefile failed"; }
	ours "$d/all.info" "$d/ours.info" "$d/lcov.log"
	# One record per file: a module boot profiles the built-in copy of a
	# file too (idle, at zero), which names the same source once resolved.
	lcov --quiet "${RC[@]}" --add-tracefile "$d/ours.info" \
		--output-file "$C/$layer.info" >>"$d/lcov.log" 2>&1 ||
		{ cat "$d/lcov.log" >&2; die "$layer: lcov --add-tracefile failed"; }
	[ -n "$(cat "$d/filter" 2>/dev/null)" ] &&
		note=" (KUNIT_FILTER=$(cat "$d/filter"): partial data, gates may fail)"
	echo "  LAYER   $layer: $n objects with data$note"
}

# baseline - every profiled object at zero (lcov --initial, from the
# .gcno files alone), so a file that no layer ever enters is reported at
# 0% instead of missing
baseline() {
	mkdir -p "$C/baseline"
	lcov --quiet "${RC[@]}" --capture --initial --test-name baseline \
		--directory "$OBJ" --base-directory "$OBJ" \
		--output-file "$C/baseline/all.info" >"$C/baseline/lcov.log" 2>&1 ||
		{ cat "$C/baseline/lcov.log" >&2; die "lcov --capture --initial failed"; }
	ours "$C/baseline/all.info" "$C/baseline.info" "$C/baseline/lcov.log"
}

# summarize INFO LABEL - one row per file: lines, functions, branches
summarize() {
	awk -v label="$2" -v top="$TOP/" '
		/^SF:/ { f = substr($0, 4); sub("^" top, "", f); order[++n] = f }
		/^LF:/ { lf[f] = substr($0, 4) } /^LH:/ { lh[f] = substr($0, 4) }
		/^FNF:/ { ff[f] = substr($0, 5) } /^FNH:/ { fh[f] = substr($0, 5) }
		/^BRF:/ { bf[f] = substr($0, 5) } /^BRH:/ { bh[f] = substr($0, 5) }
		function cell(h, t) { return sprintf("%5d/%-5d %6.2f%%", h, t, t ? 100 * h / t : 100) }
		END {
			for (i = 1; i <= n; i++) {
				f = order[i]
				printf "%-44s %-16s %s  %s  %s\n", f, label, cell(lh[f], lf[f]),
					cell(fh[f], ff[f]), cell(bh[f], bf[f])
				tl += lf[f]; th += lh[f]; tf += ff[f]; tfh += fh[f]; tb += bf[f]; tbh += bh[f]
			}
			printf "%-44s %-16s %s  %s  %s\n", "total", label, cell(th, tl), cell(tfh, tf), cell(tbh, tb)
		}' "$1"
}

# gates - every thresholds line checked against merged.info
gates() {
	awk -v top="$TOP/" -v stats="$C/gates.stats" '
		FNR == NR {
			if (/^[[:space:]]*(#|$)/) next
			if (NF != 3) { printf "coverage: %s:%d: expected \"FILE LINES%% BRANCHES%%\"\n", FILENAME, FNR; bad++; next }
			want[$1] = 1; wl[$1] = $2; wb[$1] = $3; order[++n] = $1
			next
		}
		/^SF:/ { f = substr($0, 4); sub("^" top "kernel/", "", f); seen[f] = 1 }
		/^LF:/ { lf[f] = substr($0, 4) } /^LH:/ { lh[f] = substr($0, 4) }
		/^BRF:/ { bf[f] = substr($0, 5) } /^BRH:/ { bh[f] = substr($0, 5) }
		END {
			for (i = 1; i <= n; i++) {
				f = order[i]
				if (!seen[f]) { printf "coverage: FAIL %s: no coverage data (not built, or not profiled?)\n", f; bad++; continue }
				l = lf[f] ? 100 * lh[f] / lf[f] : 100
				b = bf[f] ? 100 * bh[f] / bf[f] : 100
				if (l < wl[f]) { printf "coverage: FAIL %s: lines %.2f%% is below its threshold %s%%\n", f, l, wl[f]; bad++ } else good++
				if (b < wb[f]) { printf "coverage: FAIL %s: branches %.2f%% is below its threshold %s%%\n", f, b, wb[f]; bad++ } else good++
			}
			for (f in seen)
				if (!want[f]) { printf "coverage: FAIL %s: no threshold in coverage/thresholds (add one)\n", f; bad++ }
			printf "passed=%d failed=%d skipped=0 crashed=0 errors=0\n", good, bad > stats
			if (!bad) printf "coverage: all %d gates of coverage/thresholds hold\n", good
			exit bad > 0
		}' "$THRESHOLDS" "$C/merged.info"
}

# gaps - the functions and branches of merged.info that nothing reached
gaps() {
	awk -v top="$TOP/" '
		function flush(   i, k) {
			if (f == "") return
			if (nf + nb == 0) { printf "%s: every function and branch reached\n\n", rel; return }
			printf "%s: %d function(s), %d branch(es) never reached\n", rel, nf, nb
			for (i = 1; i <= nf; i++) printf "  function %-38s line %d\n", fn[i], fline[fn[i]]
			for (i = 1; i <= nl; i++) {
				k = bl[i]
				printf "  branch   line %-5d %d of %d never taken: %s\n", k, miss[k], tot[k], src[k]
			}
			print ""
		}
		/^SF:/ {
			flush(); f = substr($0, 4); rel = f; sub("^" top, "", rel)
			nf = nb = nl = 0; delete fline; delete miss; delete tot; delete src; delete fn; delete bl
			ln = 0
			while ((getline s < f) > 0) { ln++; line[ln] = s }
			close(f)
			next
		}
		/^FN:/ { split(substr($0, 4), a, ","); fline[a[2]] = a[1] }
		/^FNDA:0,/ { fn[++nf] = substr($0, 8) }
		/^BRDA:/ {
			split(substr($0, 6), a, ",")
			if (!(a[1] in tot)) { tot[a[1]] = 0; miss[a[1]] = 0 }
			tot[a[1]]++
			if (a[4] == "-" || a[4] == "0") {
				if (!miss[a[1]]) { bl[++nl] = a[1]; s = line[a[1]]; gsub(/^[ \t]+/, "", s); src[a[1]] = s }
				miss[a[1]]++; nb++
			}
		}
		END { flush() }' "$C/merged.info"
}

# cobertura - merged.info as Cobertura XML (sources relative to the repo)
cobertura() {
	awk -v top="$TOP" -v now="$(date +%s)" '
		function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); gsub(/"/, "\\&quot;", s); return s }
		function rate(h, t) { return t ? sprintf("%.4f", h / t) : "1.0" }
		/^SF:/ { f = substr($0, 4); sub("^" top "/", "", f); files[++n] = f; nl[f] = 0; next }
		/^FN:/ { split(substr($0, 4), a, ","); nfn[f]++; fnname[f, nfn[f]] = a[2]; fnline[f, a[2]] = a[1]; next }
		/^FNDA:/ { split(substr($0, 6), a, ","); fnhit[f, a[2]] = a[1]; next }
		/^DA:/ {
			split(substr($0, 4), a, ",")
			if (!((f, a[1]) in hits)) lines[f, ++nl[f]] = a[1]
			hits[f, a[1]] = a[2]; LV++; lv[f]++; if (a[2] > 0) { LC++; lc[f]++ }
			next
		}
		/^BRDA:/ {
			split(substr($0, 6), a, ",")
			bt[f, a[1]]++; BV++; bv[f]++
			if (a[4] != "-" && a[4] > 0) { bc[f, a[1]]++; BC++; bcf[f]++ }
			next
		}
		END {
			printf "<?xml version=\"1.0\" ?>\n"
			printf "<coverage line-rate=\"%s\" branch-rate=\"%s\" lines-covered=\"%d\" lines-valid=\"%d\" branches-covered=\"%d\" branches-valid=\"%d\" complexity=\"0\" version=\"gpusvm coverage.sh\" timestamp=\"%d\">\n",
				rate(LC, LV), rate(BC, BV), LC, LV, BC, BV, now
			printf "  <sources>\n    <source>%s</source>\n  </sources>\n  <packages>\n", esc(top)
			for (i = 1; i <= n; i++) {
				f = files[i]; pkg = f; sub(/\/[^\/]*$/, "", pkg); gsub(/\//, ".", pkg)
				cls = f; sub(/.*\//, "", cls)
				printf "    <package name=\"%s\" line-rate=\"%s\" branch-rate=\"%s\" complexity=\"0\">\n      <classes>\n", esc(pkg), rate(lc[f], lv[f]), rate(bcf[f], bv[f])
				printf "        <class name=\"%s\" filename=\"%s\" line-rate=\"%s\" branch-rate=\"%s\" complexity=\"0\">\n", esc(cls), esc(f), rate(lc[f], lv[f]), rate(bcf[f], bv[f])
				printf "          <methods>\n"
				for (j = 1; j <= nfn[f]; j++) {
					m = fnname[f, j]; h = fnhit[f, m] + 0
					printf "            <method name=\"%s\" signature=\"\" line-rate=\"%s\" branch-rate=\"1.0\" complexity=\"0\">\n", esc(m), (h > 0 ? "1.0" : "0.0")
					printf "              <lines><line number=\"%d\" hits=\"%d\" branch=\"false\"/></lines>\n            </method>\n", fnline[f, m], h
				}
				printf "          </methods>\n          <lines>\n"
				for (j = 1; j <= nl[f]; j++) {
					l = lines[f, j]
					if ((f, l) in bt)
						printf "            <line number=\"%d\" hits=\"%d\" branch=\"true\" condition-coverage=\"%d%% (%d/%d)\"/>\n", l, hits[f, l], 100 * bc[f, l] / bt[f, l], bc[f, l], bt[f, l]
					else
						printf "            <line number=\"%d\" hits=\"%d\" branch=\"false\"/>\n", l, hits[f, l]
				}
				printf "          </lines>\n        </class>\n      </classes>\n    </package>\n"
			}
			printf "  </packages>\n</coverage>\n"
		}' "$C/merged.info"
}

case "$MODE" in
gaps)
	[ -s "$C/merged.info" ] || die "no $C/merged.info: run make coverage first"
	gaps
	exit 0
	;;
report) ;;
*) die "unknown mode '$MODE' (report or gaps)" ;;
esac

command -v lcov >/dev/null || die "lcov is not installed (make deps)"
layers=()
for img in "$C"/*/gcov.img; do
	[ -f "$img" ] || continue
	l=$(basename "$(dirname "$img")")
	capture "$l"
	layers+=("$l")
done
[ ${#layers[@]} -gt 0 ] ||
	die "no gcov data under $C: run the x86_64 kunit suites first (make kunit-x86_64), with CONFIG_GCOV_KERNEL in ci/configs/x86_64.config"

baseline
# merged.info: one record per file (the layers' test names dropped, so
# lcov adds their counts up); layers.info keeps them apart for the HTML
# report's per-layer details.
adds=() flat=()
for l in baseline "${layers[@]}"; do
	adds+=(--add-tracefile "$C/$l.info")
	sed "s/^TN:.*/TN:/" "$C/$l.info" >"$C/$l.flat.info"
	flat+=(--add-tracefile "$C/$l.flat.info")
done
lcov --quiet "${RC[@]}" "${adds[@]}" --output-file "$C/layers.info" >/dev/null
lcov --quiet "${RC[@]}" "${flat[@]}" --output-file "$C/merged.info" >/dev/null
rm -f "$C"/*.flat.info
rm -rf "$C/html"
genhtml --quiet "${RC[@]}" --branch-coverage --legend --show-details \
	--title "gpusvm: ${layers[*]}" --prefix "$TOP" \
	--output-directory "$C/html" "$C/layers.info" >"$C/genhtml.log" 2>&1 ||
	{ cat "$C/genhtml.log" >&2; die "genhtml failed"; }
cobertura >"$C/cobertura.xml"

{
	printf '%-44s %-16s %-19s  %-19s  %s\n' "file" "layer" "lines" "functions" "branches"
	for l in "${layers[@]}"; do summarize "$C/$l.info" "$l"; done
	summarize "$C/merged.info" merged
} | tee "$C/summary.txt"
echo "  HTML    ${C#"$TOP"/}/html/index.html, lcov ${C#"$TOP"/}/merged.info, Cobertura ${C#"$TOP"/}/cobertura.xml"
gates
