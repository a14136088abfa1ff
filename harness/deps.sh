#!/usr/bin/env bash
# Install (with apt) whatever the harness needs and the machine lacks.
# Usage: deps.sh [group...]   groups: base build x86 (default: all)
. "$(dirname "$0")/common.sh"

declare -A want=(
	[base]="$PACKAGE=$PACKAGE_VERSION xz-utils git"
	[build]="gcc make ccache flex bison bc libelf-dev libssl-dev cpio kmod python3 perl rsync sparse python3-sphinx"
	[x86]="qemu-system-x86 qemu-system-data busybox-static libc6-dev"
)
groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(base build x86)

missing=()
for g in "${groups[@]}"; do
	[ -n "${want[$g]+x}" ] || die "deps.sh: unknown group '$g' (base build x86)"
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
[ ${#missing[@]} -gt 0 ] || exit 0

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
