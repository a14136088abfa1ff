#!/usr/bin/env bash
# Install (with apt) whatever the harness needs and the machine lacks.
# Usage: deps.sh [group...]   groups: base build docs x86 ppc deb (default: all but deb)
# ppc also fetches Debian's ppc64el busybox-static into the cache (the guest
# shell of the POWER scenarios); it is not installed on the host.
. "$(dirname "$0")/common.sh"

declare -A want=(
	[base]="$PACKAGE=$PACKAGE_VERSION xz-utils git"
	[build]="gcc make ccache flex bison bc libelf-dev libssl-dev cpio kmod python3 perl rsync sparse"
	# make htmldocs (harness/docs.sh): what scripts/sphinx-pre-install asks
	# for on Debian, Documentation/sphinx/requirements.txt as packages
	[docs]="python3-sphinx python3-alabaster python3-yaml graphviz"
	[x86]="qemu-system-x86 qemu-system-data busybox-static libc6-dev"
	[ppc]="gcc-powerpc64le-linux-gnu binutils-powerpc64le-linux-gnu libc6-dev-ppc64el-cross qemu-system-ppc qemu-system-data"
	# make deb (harness/deb.sh): Debian's configuration of the same release
	# as the base, and dpkg-buildpackage for bindeb-pkg
	[deb]="linux-config-6.12=$PACKAGE_VERSION dpkg-dev xz-utils"
)
groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(base build docs x86 ppc)

missing=()
for g in "${groups[@]}"; do
	[ -n "${want[$g]+x}" ] || die "deps.sh: unknown group '$g' (base build docs x86 ppc deb)"
	for spec in ${want[$g]}; do
		pkg=${spec%%=*} ver=
		[ "$pkg" = "$spec" ] || ver=${spec#*=}
		have=$(dpkg-query -W -f='${db:Status-Abbrev}|${Version}' "$pkg" 2>/dev/null || true)
		case "$have" in
		ii*) [ -z "$ver" ] || [ "${have#*|}" = "$ver" ] || missing+=("$spec") ;;
		*) missing+=("$spec") ;;
		esac
	done
done
# ppc64el busybox-static, unpacked into the cache: the POWER guest's shell.
ppc_busybox() {
	local dir=$CACHE/ppc64el deb
	[ -x "$dir/bin/busybox" ] && return 0
	[ "$(id -u)" = 0 ] || die "ppc64el busybox missing (run harness/deps.sh ppc as root)"
	if ! dpkg --print-foreign-architectures | grep -qx ppc64el; then
		msg "adding the ppc64el architecture to dpkg (for busybox-static:ppc64el)"
		dpkg --add-architecture ppc64el
	fi
	mkdir -p "$dir/deb"
	# The update may complain about a foreign index it cannot use; the
	# download below is what counts.
	apt-get update -qq 2>/dev/null || true
	(cd "$dir/deb" && apt-get download -qq busybox-static:ppc64el) ||
		die "cannot download busybox-static:ppc64el"
	deb=$(ls "$dir"/deb/busybox-static_*_ppc64el.deb | tail -n 1)
	dpkg-deb -x "$deb" "$dir/root"
	mkdir -p "$dir/bin"
	cp "$dir/root/bin/busybox" "$dir/bin/busybox"
	msg "ppc64el busybox: $(basename "$deb")"
}

install_missing() {
	[ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]} (run as root, or install them)"
	msg "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	if ! apt-get install -y -qq "${missing[@]}" >/dev/null; then
		# The pinned base may have left the archive: take the candidate, loudly.
		fallback=()
		for spec in "${missing[@]}"; do fallback+=("${spec%%=*}"); done
		warn "pinned versions not all available; installing candidates: ${fallback[*]}"
		apt-get install -y -qq "${fallback[@]}" >/dev/null
		warn "$PACKAGE candidate installed: $(dpkg-query -W -f='${Version}' "$PACKAGE")"
	fi
}

[ ${#missing[@]} -eq 0 ] || install_missing
for g in "${groups[@]}"; do [ "$g" != ppc ] || ppc_busybox; done
