#!/usr/bin/env bash
# Build the series' documentation with the kernel's own documentation build
# (make htmldocs, which runs the kernel's Sphinx extensions and kernel-doc
# on the C files the document renders) and check its ABI entries with the
# kernel's own parser.  Warnings that name our documents or the C files
# they render fail; warnings elsewhere in the book are the base's.
# Usage: docs.sh RESULTS_FILE
# IG_SERIES_TREE=DIR builds another clone of the series (default: build/series/linux).
. "$(dirname "$0")/common.sh"

results=${1:?results file}
tree=${IG_SERIES_TREE:-$SERIES_TREE}
dir=$BUILD/docs
# The narrowest book with both iommu-groups.rst and vfio.rst, which link to
# each other: a directory without an index.rst is no Sphinx project, and
# one without vfio.rst would leave the link undefined.
book=driver-api
doc=Documentation/$book/iommu-groups.rst
rm -rf "$dir"
mkdir -p "$dir/obj" "$dir/abi"
[ -f "$tree/$doc" ] || die "$tree has no $doc (run make apply)"

# Ours: the two documents and every C file iommu-groups.rst renders.
ours=("$doc" "Documentation/$book/vfio.rst")
while read -r f; do ours+=("$f"); done < <(
	sed -n 's/^\.\. kernel-doc:: *//p' "$tree/$doc" | sort -u)

# Sphinx is CPU-heavy: one heavy build at a time on the machine.  The build
# starts from nothing, so every warning is printed again.
log=$dir/htmldocs.log
exec 9>"$BUILD/.kernel-build.lock"
flock 9
start=$(date +%s)
rc=0
make -C "$tree" O="$dir/obj" -j"$JOBS" SPHINXDIRS="$book" htmldocs \
	> "$log" 2>&1 || rc=$?
secs=$(( $(date +%s) - start ))
flock -u 9

pattern=$(printf '%s\n' "${ours[@]}" | sed 's/[.]/\\./g' | paste -sd'|')
warnings=$(grep -iE 'warning|error' "$log" | grep -E "($pattern)" || true)
html=$dir/obj/Documentation/output/$book/iommu-groups.html
if [ "$rc" -ne 0 ]; then
	echo "FAIL docs/htmldocs make htmldocs SPHINXDIRS=$book exited $rc: $(tail -n 1 "$log") (log build/docs/htmldocs.log)" >> "$results"
elif [ -n "$warnings" ]; then
	printf '%s\n' "$warnings" > "$dir/warnings.txt"
	echo "FAIL docs/htmldocs $(wc -l < "$dir/warnings.txt") warnings in our files, first: $(head -n 1 "$dir/warnings.txt" | sed "s|$tree/||g") (build/docs/warnings.txt)" >> "$results"
elif ! grep -q 'iommu_group_alloc' "$html" 2>/dev/null; then
	echo "FAIL docs/htmldocs $book/iommu-groups.html lacks the kernel-doc of iommu_group_alloc() (log build/docs/htmldocs.log)" >> "$results"
else
	echo "PASS docs/htmldocs make htmldocs SPHINXDIRS=$book: no warnings in $doc, vfio.rst or the $(( ${#ours[@]} - 2 )) C files it renders (${secs}s)" >> "$results"
fi

cp "$tree/Documentation/ABI/testing/sysfs-kernel-iommu_groups" "$dir/abi/"
out=$(cd "$tree" && perl scripts/get_abi.pl validate --dir "$dir/abi" 2>&1)
found() {
	(cd "$tree" && perl scripts/get_abi.pl search --dir "$dir/abi" "iommu_groups/.*/$1") | grep -q "$1"
}
if [ -z "$out" ] && found driver_override && found reason; then
	echo "PASS docs/abi sysfs-kernel-iommu_groups parses, driver_override and reason documented" >> "$results"
else
	echo "FAIL docs/abi ${out:-driver_override entry not found}" >> "$results"
fi
