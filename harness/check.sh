#!/usr/bin/env bash
# make check: every suite, one closing line.
# Each suite appends "PASS|FAIL|SKIP name detail" lines to build/results/;
# a suite that dies without saying why is recorded as a failure of its own.
. "$(dirname "$0")/common.sh"

results=$BUILD/results
rm -rf "$results"
mkdir -p "$results" "$BUILD/logs"
t0=$(date +%s)

# suite NAME COMMAND...: run COMMAND, its output in build/logs/NAME.log
suite() {
	local name=$1 rc start
	shift
	start=$(date +%s)
	msg "suite $name"
	set +e
	"$@" > "$BUILD/logs/$name.log" 2>&1
	rc=$?
	set -e
	if [ $rc -ne 0 ] && ! grep -q '^FAIL' "$results/$name.txt" 2>/dev/null; then
		echo "FAIL $name/suite exited $rc: $(tail -n 1 "$BUILD/logs/$name.log") (log build/logs/$name.log)" >> "$results/$name.txt"
	fi
	msg "suite $name: $(grep -c '^PASS' "$results/$name.txt" 2>/dev/null || true) passed, $(grep -c '^FAIL' "$results/$name.txt" 2>/dev/null || true) failed in $(( $(date +%s) - start ))s"
}

build_all() {
	local out=$results/build.txt ok=0
	"$TOP/harness/series.sh" apply || { echo "FAIL build/series-apply patches/series does not apply" >> "$out"; return 1; }
	echo "PASS build/series-apply" >> "$out"
	if "$TOP/harness/series.sh" export; then
		echo "PASS build/series-export out/series applies with git am on the base" >> "$out"
	else
		echo "FAIL build/series-export out/series does not rebuild the series" >> "$out"; ok=1
	fi
	for kind in upstream series; do
		if "$TOP/harness/kernel.sh" x86_64 "$kind"; then
			echo "PASS build/x86_64-$kind" >> "$out"
		else
			echo "FAIL build/x86_64-$kind kernel build failed" >> "$out"; ok=1
		fi
	done
	if "$TOP/harness/initramfs.sh" x86_64; then
		echo "PASS build/initramfs-x86_64" >> "$out"
	else
		echo "FAIL build/initramfs-x86_64" >> "$out"; ok=1
	fi
	return $ok
}

# POWER: two ppc64le kernels and TCG boots of pseries and powernv.
# IG_SKIP_POWER=1 (make check-fast) leaves them out, counted as skipped.
power() {
	local out=$results/power.txt kind
	if [ "${IG_SKIP_POWER:-0}" = 1 ]; then
		echo "SKIP power/suite make check-fast: the POWER suite (ppc64le kernels, pseries and powernv boots) is left out" >> "$out"
		return 0
	fi
	"$TOP/harness/deps.sh" ppc
	for kind in upstream series; do
		if ! "$TOP/harness/kernel.sh" ppc64le "$kind"; then
			echo "FAIL power/build-ppc64le-$kind kernel build failed" >> "$out"
			return 1
		fi
		echo "PASS power/build-ppc64le-$kind" >> "$out"
	done
	if ! "$TOP/harness/initramfs.sh" ppc64le; then
		echo "FAIL power/initramfs-ppc64le" >> "$out"
		return 1
	fi
	echo "PASS power/initramfs-ppc64le" >> "$out"
	python3 "$TOP/harness/scenario.py" --kernel both --arch ppc64le \
		--results "$out" "$TOP"/tests/scenarios/*.scn
}

# The debug kernel (KASAN, lockdep, kmemleak, debugobjects, fault
# injection): every x86 scenario once more, the storm at 100 cycles
# (make check-debug runs all 500); a checker's report fails the scenario.
# IG_SKIP_DEBUG=1 (make check-fast) leaves it out, counted as skipped.
debug() {
	local out=$results/debug.txt
	if [ "${IG_SKIP_DEBUG:-0}" = 1 ]; then
		echo "SKIP debug/suite make check-fast: the debug-kernel suite (KASAN, lockdep, kmemleak, fail-nth) is left out" >> "$out"
		return 0
	fi
	if ! "$TOP/harness/kernel.sh" x86_64 debug; then
		echo "FAIL debug/build-x86_64-debug kernel build failed" >> "$out"
		return 1
	fi
	echo "PASS debug/build-x86_64-debug" >> "$out"
	python3 "$TOP/harness/selftests.py" --kernels debug --results "$out"
	python3 "$TOP/harness/scenario.py" --kernel debug --arch x86_64 --append ig.storm=100 \
		--results "$out" "$TOP"/tests/scenarios/*.scn
}

suite harness python3 "$TOP/tests/harness/run.py" "$results/harness.txt"
suite build build_all
suite lsiommu env LSIOMMU_SRC="$SERIES_TREE/tools/iommu" \
	python3 "$TOP/tests/harness/run.py" "$results/lsiommu.txt" "$TOP/tests/lsiommu" lsiommu
suite kunit "$TOP/harness/kunit.sh" "$results/kunit.txt"
suite docs "$TOP/harness/docs.sh" "$results/docs.txt"
suite deb "$TOP/harness/deb.sh" check "$results/deb.txt"
suite scenarios python3 "$TOP/harness/scenario.py" --kernel both --arch x86_64 \
	--results "$results/scenarios.txt" "$TOP"/tests/scenarios/*.scn
suite iommufd-selftests python3 "$TOP/harness/selftests.py" --results "$results/iommufd-selftests.txt"
suite replay python3 "$TOP/harness/replay.py" --results "$results/replay.txt"
suite power power
suite debug debug

msg "make check took $(( $(date +%s) - t0 ))s"
python3 "$TOP/harness/summary.py" "$results"
