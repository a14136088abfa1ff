#!/usr/bin/env bash
# Build the guest initramfs: Debian's busybox-static, the guest init and
# helpers from tests/guest/, and the static test programs (tests/guest/ and
# the series' tools/iommu) compiled against the base kernel's UAPI headers.
# Usage: initramfs.sh ARCH       -> build/initramfs/ARCH.cpio
. "$(dirname "$0")/common.sh"

arch=${1:-x86_64}
case "$arch" in
x86_64) cc=gcc karch=x86_64 busybox=/bin/busybox deps=x86 ;;
# Debian's ppc64el busybox, fetched into the cache by deps.sh ppc.
ppc64le) cc=powerpc64le-linux-gnu-gcc karch=powerpc busybox=$CACHE/ppc64el/bin/busybox deps=ppc ;;
*) die "initramfs.sh: unknown arch '$arch'" ;;
esac
[ -x "$busybox" ] || die "$busybox missing: run harness/deps.sh $deps"
command -v "$cc" >/dev/null || die "$cc missing: run harness/deps.sh $deps"

guest=$TOP/tests/guest
uapi=$BUILD/uapi/$arch
root=$BUILD/initramfs/$arch
cpio_out=$BUILD/initramfs/$arch.cpio

if [ ! -f "$uapi/.done" ]; then
	msg "installing UAPI headers ($arch) from the base"
	make -s -C "$BASE_REPO" O="$BUILD/obj/uapi-$arch" ARCH="$karch" \
		INSTALL_HDR_PATH="$uapi" headers_install
	touch "$uapi/.done"
fi

rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib,scenario}
cp "$busybox" "$root/bin/busybox"
install -m 0755 "$guest/init" "$root/init"
install -m 0644 "$guest/igtest.sh" "$root/lib/igtest.sh"
[ -f "$SERIES_TREE/tools/iommu/lsiommu.c" ] || die "no tools/iommu in build/series/linux: run harness/series.sh apply"
for src in "$guest"/*.c "$SERIES_TREE"/tools/iommu/*.c; do
	prog=$(basename "$src" .c)
	$cc -static -O2 -Wall -Wextra -Werror -isystem "$uapi/include" \
		-o "$root/bin/$prog" "$src" || die "cannot build $prog"
done
(cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc --owner=0:0) > "$cpio_out.tmp"
mv "$cpio_out.tmp" "$cpio_out"
msg "initramfs: ${cpio_out#"$TOP"/} ($(du -h "$cpio_out" | cut -f1))"
