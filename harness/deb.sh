#!/usr/bin/env bash
# make deb: installable Debian packages of the series (linux-image and
# linux-headers, bindeb-pkg) on Debian's own 6.12 configuration, for a
# passthrough host on Debian 12 or Proxmox.
# Usage: deb.sh               the packages, into out/deb/ (hours on 2 cores)
#        deb.sh check FILE    make check's cheap proof instead: Debian's
#                             configuration merges with the series, the
#                             options in configs/deb.config come out as
#                             intended, and the drivers/ directories the
#                             series touches compile with it; PASS/FAIL
#                             lines appended to FILE
# DEB_DEBUG_INFO=1 keeps Debian's debug info (a linux-image-dbg package of
# about 1 GB, BTF; needs pahole from the package dwarves).
. "$(dirname "$0")/common.sh"

mode=${1:-packages}
debconfig=/usr/src/linux-config-6.12/config.amd64_none_amd64.xz
frag=$TOP/configs/deb.config
src=$SERIES_TREE
obj=$BUILD/deb/obj-amd64

"$TOP/harness/deps.sh" deb
[ -f "$src/Makefile" ] || die "no series tree at $src (run 'make apply')"
mkdir -p "$obj"

# LOCALVERSION= on the command line: no "+" for a tree that is not at a tag.
kmake() {
	make -s -C "$src" O="$obj" ARCH=x86_64 CC="ccache gcc" HOSTCC="ccache gcc" \
		LOCALVERSION= "$@"
}

# One kernel build at a time on this machine (as harness/kernel.sh); the
# configuration needs no lock.
build_lock() {
	exec 9>"$BUILD/.kernel-build.lock"
	flock 9
}

# Debian's configuration, the fragment on top, olddefconfig; then every line
# of the fragment must hold, and every option the series adds must be named
# in it.  Output in $obj/config.log.
configure() {
	local sym ok=0
	xz -dc "$debconfig" > "$obj/.config" || return 1
	(cd "$obj" && "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$frag") || return 1
	if [ "${DEB_DEBUG_INFO:-0}" != 1 ]; then
		"$src/scripts/config" --file "$obj/.config" --disable DEBUG_INFO \
			--disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT --enable DEBUG_INFO_NONE
	fi
	kmake olddefconfig || return 1
	"$TOP/harness/check-config.sh" "$frag" "$obj/.config" || ok=1
	for sym in $(git -C "$src" diff base series -- '*Kconfig*' | sed -n 's/^+\(menu\)\?config \([A-Z0-9_]*\).*/\2/p'); do
		grep -q "CONFIG_${sym}[= ]" "$frag" && continue
		echo "config: the series adds CONFIG_$sym; configs/deb.config does not say how a distribution kernel has it" >&2
		ok=1
	done
	return $ok
}

check() {
	local results=$1 dirs d log
	if ! configure > "$obj/config.log" 2>&1; then
		echo "FAIL deb/config Debian's config with the series: $(grep -m1 -E 'config:|WARNING|error' "$obj/config.log" || tail -n 1 "$obj/config.log") (log ${obj#"$TOP"/}/config.log)" >> "$results"
		return 1
	fi
	if grep -q "WARNING: unmet direct dependencies" "$obj/config.log"; then
		echo "FAIL deb/config olddefconfig: $(grep -m1 -A1 'WARNING: unmet' "$obj/config.log" | tr '\n' ' ') (log ${obj#"$TOP"/}/config.log)" >> "$results"
		return 1
	fi
	echo "PASS deb/config Debian's ${debconfig##*/} merges with the series; configs/deb.config holds" >> "$results"
	build_lock
	# The drivers/ directories whose C files the series adds or changes.
	dirs=$(git -C "$src" diff --name-only base series -- 'drivers/*.[ch]' | cut -d/ -f1-2 | sort -u)
	for d in $dirs; do
		log=$obj/build-${d//\//-}.log
		if kmake -j"$JOBS" "$d/" > "$log" 2>&1 && ! grep -q "warning:" "$log"; then
			echo "PASS deb/compile-$d with Debian's configuration" >> "$results"
		else
			echo "FAIL deb/compile-$d $(grep -m1 -E 'error|warning:' "$log" || tail -n 1 "$log") (log ${log#"$TOP"/})" >> "$results"
		fi
	done
}

packages() {
	configure > "$obj/config.log" 2>&1 || { cat "$obj/config.log" >&2; die "Debian's configuration does not merge with the series"; }
	msg "building the packages of $(kmake -s kernelrelease) ($JOBS jobs, log: ${obj#"$TOP"/}/deb.log); hours on 2 cores"
	build_lock
	rm -f "$BUILD"/deb/*.deb "$BUILD"/deb/*.buildinfo "$BUILD"/deb/*.changes
	start=$(date +%s)
	# bindeb-pkg runs dpkg-buildpackage in $obj and writes beside it
	if ! kmake -j"$JOBS" bindeb-pkg > "$obj/deb.log" 2>&1; then
		tail -n 40 "$obj/deb.log" >&2
		die "bindeb-pkg failed"
	fi
	rm -rf "$OUT/deb" && mkdir -p "$OUT/deb"
	mv "$BUILD"/deb/*.deb "$BUILD"/deb/*.buildinfo "$BUILD"/deb/*.changes "$OUT/deb/"
	msg "packages in $(( ($(date +%s) - start) / 60 )) min:"
	ls -1 "$OUT"/deb/*.deb >&2
}

case "$mode" in
packages) packages ;;
check) check "${2:?results file}" ;;
*) die "deb.sh: unknown mode '$mode' (check FILE, or nothing for the packages)" ;;
esac
