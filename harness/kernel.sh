#!/usr/bin/env bash
# Build one kernel out of tree.
# Usage: kernel.sh ARCH KIND      ARCH: x86_64 | ppc64le   KIND: series | upstream
#   series:   build/series/linux (the base with the series applied)
#   upstream: build/upstream/linux (the pristine base: the oracle)
# Result: out/ARCH/IMAGE (series) or out/ARCH-upstream/IMAGE (oracle), IMAGE
# being bzImage on x86_64 and vmlinux on ppc64le.
. "$(dirname "$0")/common.sh"

arch=${1:?arch} kind=${2:?kind}
case "$arch" in
x86_64) karch=x86_64 image=arch/x86/boot/bzImage cross= ;;
ppc64le) karch=powerpc image=vmlinux cross=powerpc64le-linux-gnu- ;;
*) die "kernel.sh: unknown arch '$arch'" ;;
esac
frags=("$TOP/configs/$arch.config")
case "$kind" in
series) src=$SERIES_TREE name=$arch
	# Series-only options (the KUnit suites as modules), where an
	# architecture has them.
	[ -f "$TOP/configs/$arch-series.config" ] && frags+=("$TOP/configs/$arch-series.config") ;;
upstream) "$TOP/harness/series.sh" upstream; src=$UPSTREAM_TREE name=$arch-upstream ;;
bench-series|bench-upstream)
	"$TOP/harness/series.sh" bench "${kind#bench-}"
	src=$BUILD/bench/${kind#bench-}/linux
	name=$arch-${kind#bench-}-bench; name=${name/-series/}
	frags+=("$TOP/configs/bench.config") ;;
debug)	# the series with the debug checkers (make check-debug)
	src=$SERIES_TREE name=$arch-debug
	frags+=("$TOP/configs/debug.config") ;;
bisect)	# whatever build/bisect/linux has checked out (series.sh bisect)
	src=$BUILD/bisect/linux name=$arch-bisect
	frags+=("$TOP/configs/bisect.config") ;;
*) die "kernel.sh: unknown kind '$kind' (series, upstream, bench-series, bench-upstream, bisect)" ;;
esac
[ -f "$src/Makefile" ] || die "no source tree at $src"

obj=$(dirname "$src")/obj-$arch
[ "$kind" = debug ] && obj=$(dirname "$src")/obj-$arch-debug
mkdir -p "$obj" "$OUT/$name"
# One kernel build at a time on this machine: a second build (another
# make, a helper's run) waits here instead of halving both.
exec 9>"$BUILD/.kernel-build.lock"
flock 9
[ -z "$cross" ] || command -v "${cross}gcc" >/dev/null ||
	die "${cross}gcc missing: run harness/deps.sh ppc"
kmake() {
	make -s -C "$src" O="$obj" ARCH="$karch" CROSS_COMPILE="$cross" \
		CC="ccache ${cross}gcc" HOSTCC="ccache gcc" "$@"
}

# Regenerate the config only when the fragment or a Kconfig file changed.
want=$({ cat "${frags[@]}"; git -C "$src" ls-files -s -- '*Kconfig*'; } | sha256sum | cut -d' ' -f1)
if [ ! -f "$obj/.config" ] || [ "$(cat "$obj/.config.fragment" 2>/dev/null)" != "$want" ]; then
	msg "configuring $name (tinyconfig + ${frags[*]#"$TOP"/})"
	kmake tinyconfig >/dev/null
	# merge_config.sh writes temporaries in the current directory.
	(cd "$obj" && "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "${frags[@]}" >/dev/null)
	kmake olddefconfig >/dev/null
	# bisect.config names options that early patches do not have yet.
	for frag in "${frags[@]}"; do
		[ "$kind" = bisect ] && [ "$frag" = "$TOP/configs/bisect.config" ] && continue
		"$TOP/harness/check-config.sh" "$frag" "$obj/.config"
	done
	echo "$want" > "$obj/.config.fragment"
fi

msg "building $name ($JOBS jobs, log: ${obj#"$TOP"/}/build.log)"
start=$(date +%s)
if ! kmake -j"$JOBS" >"$obj/build.log" 2>&1; then
	tail -n 40 "$obj/build.log" >&2
	die "kernel build failed: $name"
fi
cp "$obj/$image" "$OUT/$name/${image##*/}"
cp "$obj/.config" "$OUT/$name/config"
msg "$name: $(du -h "$OUT/$name/${image##*/}" | cut -f1) in $(( $(date +%s) - start ))s -> ${OUT#"$TOP"/}/$name/${image##*/}"
