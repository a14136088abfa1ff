#!/usr/bin/env bash
# make lint: checkpatch --strict on every patch of the exported series,
# sparse (C=2) and W=1 on the files the series owns, kernel-doc on them,
# and no run of five upstream lines in them (harness/copied_lines.py).
# Known false positives are listed below with the reason; anything else
# fails.
. "$(dirname "$0")/common.sh"

"$TOP/harness/series.sh" export >/dev/null
tree=$SERIES_TREE
bad=0

# checkpatch's loop-macro heuristic takes a function *named* *for_each*()
# for a loop statement (upstream's own iommu.c trips it the same way); it
# asks for a MAINTAINERS update in every patch that adds files, although
# the group-core patch adds the entry whose F: patterns cover them; and it
# cannot find the commits the fixes' Fixes: tags name: the base is
# Debian's source tarball, without git history (each tag was checked
# against public kernel history instead).
allowed() {
	case "$1" in
	*"that open brace { should be on the previous line"*iommu_group_for_each_dev*) return 0 ;;
	*"does MAINTAINERS need updating?"*) return 0 ;;
	*"Unknown commit id"*) return 0 ;;
	# lsiommu is a userspace tool built with plain gcc, on a host or
	# statically into the test guest: the kernel's compiler.h with its
	# __printf and __noreturn is not there, lsiommu.h spells them out.
	*lsiommu*PREFER_DEFINED_ATTRIBUTE_MACRO*) return 0 ;;
	esac
	return 1
}

for p in "$OUT"/series/0*.patch; do
	case "$p" in */0000-cover-letter.patch) continue ;; esac
	report=$(perl "$tree/scripts/checkpatch.pl" --strict --no-tree --show-types -q "$p" 2>&1 || true)
	# One finding per paragraph: join its lines to judge it.
	while IFS= read -r finding; do
		[ -n "$finding" ] || continue
		allowed "$(basename "$p"): $finding" && continue
		echo "checkpatch: $(basename "$p"): $finding"
		bad=1
	done < <(printf '%s\n' "$report" | awk 'BEGIN{RS=""} /^(ERROR|WARNING|CHECK)/ {gsub(/\n/," "); print}')
done

# Upstream code is read, not copied: no run of five lines of it in a file
# the series adds.  The runs it finds are printed as file:lines = upstream.
if ! out=$(python3 "$TOP/harness/copied_lines.py" "$tree" base series 2>&1); then
	printf 'copied lines:\n%s\n' "$out"
	bad=1
fi

# The KUnit build has every file of the series enabled, tests included.
kobj=$BUILD/series/kunit-x86_64
[ -f "$kobj/.config" ] || "$TOP/harness/kunit.sh" /dev/null >/dev/null
# The files the series adds, and the upstream .c files it changes.
files=$(git -C "$tree" diff --name-only --diff-filter=A base series)
objs=$(printf '%s\n' $files | grep -v '^tools/' | sed -n 's/\.c$/.o/p')
out=$(make -s -C "$tree" O="$kobj" ARCH=x86_64 CC="ccache gcc" \
	C=2 W=1 $objs 2>&1 | grep -v '^make' || true)
if [ -n "$out" ]; then
	printf 'sparse/W=1:\n%s\n' "$out"
	bad=1
fi
# The upstream .c files the series' diffs touch: x86_64 for the common
# ones, ppc64le for arch/powerpc.
touched=$(git -C "$tree" diff --name-only --diff-filter=M base series -- '*.c')
x86=$(printf '%s\n' $touched | grep -v '^arch/' | sed 's/\.c$/.o/' || true)
ppc=$(printf '%s\n' $touched | grep '^arch/powerpc/' | sed 's/\.c$/.o/' || true)
# ...in the series kernel's own configuration, which enables every one of
# them (the KUnit configuration has no VFIO container, for one).
"$TOP/harness/kernel.sh" x86_64 series >/dev/null
out=$(make -s -C "$tree" O="$BUILD/series/obj-x86_64" ARCH=x86_64 CC="ccache gcc" \
	C=2 W=1 $x86 2>&1 | grep -v '^make' || true)
if [ -n "$ppc" ]; then
	[ -f "$BUILD/series/obj-ppc64le/.config" ] || "$TOP/harness/kernel.sh" ppc64le series >/dev/null
	out+=$(make -s -C "$tree" O="$BUILD/series/obj-ppc64le" ARCH=powerpc \
		CROSS_COMPILE=powerpc64le-linux-gnu- CC="ccache powerpc64le-linux-gnu-gcc" \
		C=2 W=1 $ppc 2>&1 | grep -v '^make' || true)
fi
if [ -n "$out" ]; then
	printf 'sparse/W=1 (touched upstream files):\n%s\n' "$out"
	bad=1
fi
out=$(perl "$tree/scripts/kernel-doc" -none -Wall $(printf "$tree/%s\n" $files | grep -v '/tools/' | grep -E '\.[ch]$') 2>&1 || true)
if [ -n "$out" ]; then
	printf 'kernel-doc:\n%s\n' "$out"
	bad=1
fi
[ $bad = 0 ] && msg "lint: checkpatch --strict, sparse, W=1, kernel-doc and copied lines clean on $(ls "$OUT"/series/0*.patch | grep -vc cover-letter) patches"
exit $bad
