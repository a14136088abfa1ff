#!/usr/bin/env bash
# Build the series' documentation with Sphinx (warnings are errors) and
# check its ABI entries with the kernel's own parser.
# Usage: docs.sh RESULTS_FILE
. "$(dirname "$0")/common.sh"

results=${1:?results file}
tree=$SERIES_TREE
dir=$BUILD/docs
rm -rf "$dir"
mkdir -p "$dir/src" "$dir/abi"

cp "$tree/Documentation/driver-api/iommu-groups.rst" "$dir/src/"
cat > "$dir/src/index.rst" <<'RST'
iommu-groups documentation
==========================

.. toctree::

   iommu-groups
RST
cat > "$dir/src/conf.py" <<'PY'
project = "iommu-groups"
master_doc = "index"
PY
if sphinx-build -W -q -b html "$dir/src" "$dir/html" > "$dir/sphinx.log" 2>&1; then
	echo "PASS docs/sphinx Documentation/driver-api/iommu-groups.rst builds without warnings" >> "$results"
else
	echo "FAIL docs/sphinx $(tail -n 1 "$dir/sphinx.log") (log build/docs/sphinx.log)" >> "$results"
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
