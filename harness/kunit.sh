#!/usr/bin/env bash
# Run the series' KUnit suites with kunit.py under QEMU (x86_64) and write
# one result line per test case.
# Usage: kunit.sh RESULTS_FILE
. "$(dirname "$0")/common.sh"

results=${1:?results file}
kunitconfig=tools/testing/kunit/configs/iommu-groups.config
builddir=$BUILD/series/kunit-x86_64
json=$BUILD/series/kunit-x86_64.json
log=$BUILD/logs/kunit-x86_64.log
mkdir -p "$(dirname "$log")" "$builddir"
[ -f "$SERIES_TREE/$kunitconfig" ] || die "no $kunitconfig in the series tree (run harness/series.sh apply)"

msg "KUnit: kunit.py run --arch=x86_64 ($kunitconfig), log ${log#"$TOP"/}"
rm -f "$json"
set +e
(cd "$SERIES_TREE" && timeout 1800 python3 tools/testing/kunit/kunit.py run \
	--arch=x86_64 --build_dir="$builddir" --kunitconfig="$kunitconfig" \
	--jobs="$JOBS" --timeout=300 --make_options="CC=ccache gcc" \
	--make_options="HOSTCC=ccache gcc" --json="$json") >"$log" 2>&1
rc=$?
set -e
python3 "$TOP/harness/kunit_results.py" "$json" "$rc" "${log#"$TOP"/}" >> "$results"
