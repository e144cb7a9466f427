#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ci/config-check.sh TREE FRAGMENT CONFIG - check that every option the
# merged FRAGMENT asks for is in the generated CONFIG, as kunit.py does.
# For each one that is not, print where it is defined and the "depends on"
# lines of its definition, with the current value of each symbol they name,
# so the unmet dependency is visible.  Exit 1 if any is missing.
set -euo pipefail
tree=$1 frag=$2 config=$3

value() { # value SYM -> y, m, a string, or n
	local v
	v=$(grep -m1 "^CONFIG_$1=" "$config" | cut -d= -f2-) || true
	echo "${v:-n}"
}

missing=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) sym=${line%%=*}; sym=${sym#CONFIG_}; want=${line#*=} ;;
	"# CONFIG_"*" is not set") sym=${line#\# CONFIG_}; sym=${sym%% *}; want=n ;;
	*) continue ;;
	esac
	have=$(value "$sym")
	[ "$have" = "$want" ] && continue
	[ "$want" = n ] && [ "$have" = n ] && continue
	missing=$((missing + 1))
	echo "  missing: CONFIG_$sym=$want (the generated .config has ${have/#n/it unset})"
	# Where is it defined, and what does it depend on?
	defs=$(cd "$tree" && grep -rlE --include='Kconfig*' "^[[:space:]]*(menu)?config[[:space:]]+$sym\$" . 2>/dev/null | sed 's|^\./||') || true
	if [ -z "$defs" ]; then
		echo "      no Kconfig defines $sym (misspelt, or not in this tree or arch)"
		continue
	fi
	for f in $defs; do
		awk -v sym="$sym" '
			$0 ~ "^[ \t]*(menu)?config[ \t]+" sym "$" { inblk = 1; next }
			inblk && /^[ \t]*(menu)?config[ \t]|^[ \t]*(endmenu|endif|menu|choice|endchoice|source|if)([ \t]|$)/ { inblk = 0 }
			inblk && /^[ \t]*depends on/ { sub(/^[ \t]*/, ""); print }
		' "$tree/$f" | while IFS= read -r dep; do
			vals=
			for s in $(echo "${dep#depends on}" | grep -oE '[A-Z][A-Z0-9_]+' | sort -u); do
				vals+=" $s=$(value "$s")"
			done
			echo "      $f: $dep   [${vals# }]"
		done
	done
done < <(
	# A later fragment overrides an earlier one (as kconfig reads the merged
	# file): only the last line of each symbol counts.
	awk 'match($0, /^CONFIG_[A-Za-z0-9_]+=/) { s = substr($0, 8, RLENGTH - 8) }
	     match($0, /^# CONFIG_[A-Za-z0-9_]+ is not set/) { s = $2; sub(/^CONFIG_/, "", s) }
	     s != "" { last[s] = $0; order[s] = NR; s = "" }
	     END { for (k in last) print order[k] "\t" last[k] }' "$frag" | sort -n | cut -f2-)

if [ "$missing" -gt 0 ]; then
	echo "ci/config-check.sh: $missing requested option(s) are not in $config: unmet dependencies (see above)" >&2
	exit 1
fi
