#!/usr/bin/env bash
# Build the harness's test modules (tests/kernel/) against one kernel.
# Usage: kmod.sh KIND        KIND: series | oracle | debug
# Result: build/kmod/KIND/*.ko.  The modules use exported API only, so the
# same source builds against the series and the unpatched oracle.
. "$(dirname "$0")/common.sh"

kind=${1:?series, oracle or debug}
case "$kind" in
series) src=$SERIES_TREE obj=$BUILD/series/obj-x86_64 ;;
oracle) src=$UPSTREAM_TREE obj=$BUILD/upstream/obj-x86_64 ;;
debug) src=$SERIES_TREE obj=$BUILD/series/obj-x86_64-debug ;;
*) die "kmod.sh: unknown kernel '$kind' (series, oracle, debug)" ;;
esac
[ -f "$obj/Module.symvers" ] || die "no kernel built in ${obj#"$TOP"/} (make kernel / make oracle)"

# Out-of-tree modules are built in their source directory: build a copy.
dir=$BUILD/kmod/$kind
rm -rf "$dir"
mkdir -p "$dir"
cp "$TOP"/tests/kernel/Kbuild "$TOP"/tests/kernel/*.c "$dir/"
if ! make -s -C "$src" O="$obj" ARCH=x86_64 CC="ccache gcc" HOSTCC="ccache gcc" \
	M="$dir" W=1 modules > "$dir/build.log" 2>&1; then
	cat "$dir/build.log" >&2
	die "test modules do not build against the $kind kernel"
fi
if grep -q 'warning:' "$dir/build.log"; then
	cat "$dir/build.log" >&2
	die "test modules build with warnings against the $kind kernel"
fi
msg "test modules for the $kind kernel: $(cd "$dir" && ls -- *.ko | tr '\n' ' ')"
