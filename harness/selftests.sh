#!/usr/bin/env bash
# Build upstream's iommufd selftests from the base tree, static, unchanged:
# tools/testing/selftests/iommu/{iommufd,iommufd_fail_nth}.c with the base's
# installed UAPI headers (as initramfs.sh has them) and the shim
# tests/selftests/iommufd-compat.h for the names those headers lack.
# Usage: selftests.sh            -> build/selftests/bin/{iommufd,iommufd_fail_nth}
. "$(dirname "$0")/common.sh"

src=$BASE_REPO/tools/testing/selftests/iommu
uapi=$BUILD/uapi/x86_64
bin=$BUILD/selftests/bin
[ -f "$src/iommufd.c" ] || die "no $src: run harness/base.sh"
[ -f "$uapi/.done" ] || die "no UAPI headers in ${uapi#"$TOP"/}: run harness/initramfs.sh x86_64"

rm -rf "$bin"
mkdir -p "$bin"
# The selftests' own Makefile (lib.mk: their flags, _GNU_SOURCE), with the
# base's headers, the shim in front and a static link for the initramfs.
make -s -C "$src" OUTPUT="$bin" KHDR_INCLUDES="-isystem $uapi/include" \
	USERCFLAGS="-include $TOP/tests/selftests/iommufd-compat.h" USERLDFLAGS=-static \
	> "$bin/build.log" 2>&1 || { cat "$bin/build.log" >&2; die "cannot build the iommufd selftests"; }
for prog in iommufd iommufd_fail_nth; do
	[ -x "$bin/$prog" ] || die "the selftests' Makefile built no $prog"
done
msg "iommufd selftests: ${bin#"$TOP"/}/iommufd, iommufd_fail_nth (from ${src#"$CACHE"/})"
